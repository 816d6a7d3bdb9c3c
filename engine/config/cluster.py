"""The cluster: its configuration (one TOML file), members and connection points, validated.

:func:`load_cluster` reads a file, :func:`parse_cluster` a string; both return a frozen
:class:`Cluster` or raise :class:`ClusterError`, whose text names the file, the member, the
connection point and the field, what was expected and what was found::

    zywiec.toml: member "szkola-1", connection point "PL-2": max_import_kw must be a decimal
    >= 0 [kW] with at most 3 decimals, was "-3"

The format is in ``engine/DESIGN.md`` ("The cluster config (TOML)"). Rules checked here:
unknown keys are errors; ids ``[a-z0-9-]{1,40}`` (cluster, members) and unique; connection
point ids unique in the cluster; exactly one coordinator; at most one dso, which has no
connection points; every other member has at least one; one DSO for all points; the area rule
(:mod:`engine.config.area`); interval length divides 60 or is a multiple of 60 up to 1440; the
auction gate falls inside the horizon; prices whole numbers of ticks within
±MAX_ABS_PRICE_TICKS, floor <= cap (also per CSV row, :mod:`engine.config.price_bands`); the
legal conditions of a cluster as far as the config states them (network below 110 kV, a
municipality or its company among the members: :mod:`engine.config.register`).

Units: power limits are decimal kW in the file and exact Wh per interval inside,
``max_wh = floor(kw * 1000 * interval_minutes / 60)``, so a limit never rounds up. Prices are
int ticks of ``tick_pln_mwh`` PLN/MWh; the network fee too (``network_fee_ticks`` per MWh).
Codes: a member's ``code`` is its index in the file's member list, a connection point's
``code`` its index among all points of the cluster in file order (dense ints for columns).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.config.billing import SettlementRules, parse_settlement, point_billing_parser
from engine.config.files import ConfigFiles
from engine.config.members import (
    ID_EXPECTED,
    ID_PATTERN,
    ROLES,
    ConnectionPoint,
    Member,
    check_cluster_rules,
    max_wh_per_interval,
    parse_members,
)
from engine.config.price_bands import (
    PLAIN_DECIMAL,
    BandsCsvError,
    PriceBands,
    parse_bands_csv,
    parse_pln_mwh,
)
from engine.config.register import RegisterRules, check_legal, parse_rules
from engine.config.sharing import SharingRules, parse_sharing
from engine.config.toml_table import FieldError, Table, show
from matching.mechanisms import MECHANISMS, RATIONING
from matching.units import DEFAULT_TICK_PLN_MWH, k_to_ppm

__all__ = [
    "ROLES",
    "Cluster",
    "ClusterError",
    "cluster_from_document",
    "ConnectionPoint",
    "Member",
    "PriceBands",
    "load_cluster",
    "max_wh_per_interval",
    "parse_cluster",
]

#: Furthest an interval may open ahead [min]: horizon_intervals * interval_minutes.
MAX_HORIZON_MINUTES = 31 * 1440

CLUSTER_KEYS = (
    "id", "name", "timezone", "interval_minutes", "gate_closure_minutes", "horizon_intervals",
    "continuous_minutes", "mechanism", "k", "rationing", "tick_pln_mwh", "network_fee_pln_mwh",
)  # fmt: skip
PRICES_KEYS = ("floor_pln_mwh", "cap_pln_mwh", "csv")


class ClusterError(ValueError):
    """An invalid cluster config: ``SOURCE: WHERE: message`` (``SOURCE: message`` if no place)."""

    def __init__(self, source: str, where: str, message: str) -> None:
        super().__init__(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        self.source = source
        self.where = where
        self.message = message


@dataclass(frozen=True, slots=True)
class Cluster:
    """A validated cluster config. Build it with :func:`load_cluster` or :func:`parse_cluster`."""

    id: str
    name: str
    timezone: ZoneInfo
    interval_minutes: int
    gate_closure_minutes: int
    horizon_intervals: int
    continuous_minutes: int
    mechanism: str
    k: float
    rationing: str
    tick_pln_mwh: Decimal
    network_fee_ticks: int  # [tick] per MWh, paid by the buyer on locally bought energy
    bands: PriceBands
    members: tuple[Member, ...]
    source: str = "<string>"
    # engine.config.register: reported, and checked at load; not in repr, so not in the
    # fingerprint (it does not change what any event means).
    register: RegisterRules = field(default=RegisterRules(), repr=False)
    # engine.config.billing: how statements bill the points; out of the fingerprint too.
    settlement: SettlementRules = field(default=SettlementRules(), repr=False)
    # engine.config.sharing: the market, a sharing key or both; out of the fingerprint too.
    sharing: SharingRules = field(default=SharingRules(), repr=False)
    # The document it was read from and the bytes of the files it names (engine.config.
    # document): what a journal holds to rebuild it. Not in repr, so not in the fingerprint.
    document: dict | None = field(default=None, repr=False, compare=False)
    files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    points: tuple[ConnectionPoint, ...] = field(init=False)  # all, in code order
    _members_by_id: dict[str, Member] = field(init=False, repr=False, compare=False)
    _points_by_id: dict[str, ConnectionPoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        points = tuple(point for member in self.members for point in member.connection_points)
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "_members_by_id", {m.id: m for m in self.members})
        object.__setattr__(self, "_points_by_id", {p.id: p for p in points})

    @property
    def interval_seconds(self) -> int:
        """Length of one interval [s]."""
        return self.interval_minutes * 60

    @property
    def coordinator(self) -> Member:
        """The member with role ``coordinator`` (exactly one in a validated cluster)."""
        return next(m for m in self.members if m.role == "coordinator")

    @property
    def dso(self) -> Member | None:
        """The member with role ``dso``, if the cluster has one."""
        return next((m for m in self.members if m.role == "dso"), None)

    def band(self, interval_start: int) -> tuple[int, int]:
        """Return ``(floor, cap)`` [tick] of the interval starting at ``interval_start`` [s]."""
        return self.bands.band(interval_start)

    def member_by_id(self, member_id: str) -> Member | None:
        """Return the member with id ``member_id``, or None."""
        return self._members_by_id.get(member_id)

    def point_by_id(self, point_id: str) -> ConnectionPoint | None:
        """Return the connection point with id ``point_id``, or None."""
        return self._points_by_id.get(point_id)


def load_cluster(path: str | Path) -> Cluster:
    """Read and validate the cluster config in ``path``; a ``prices.csv`` is relative to it."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ClusterError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ClusterError(source, "", "the file must be UTF-8 text") from None
    return parse_cluster(text, source=source, base_dir=Path(path).parent)


def parse_cluster(
    text: str, source: str = "<string>", base_dir: str | Path | None = None
) -> Cluster:
    """Parse and validate a cluster config; ``source`` names it in errors.

    A relative ``prices.csv`` path is resolved against ``base_dir`` (default: the current
    directory).
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClusterError(source, "", f"not valid TOML: {exc}") from None
    return cluster_from_document(document, source, base_dir)


def cluster_from_document(
    document: dict,
    source: str = "<string>",
    base_dir: str | Path | None = None,
    files: dict[str, bytes] | None = None,
) -> Cluster:
    """Validate an already parsed TOML document (a simulation scenario builds its cluster
    tables in memory, a journal holds one); errors as :func:`parse_cluster`'s. ``files``:
    the bytes of files the document names, by name (read from ``base_dir`` otherwise)."""
    reader = ConfigFiles(Path(base_dir) if base_dir is not None else Path(), files)
    try:
        return _cluster(document, source, reader)
    except FieldError as exc:
        raise ClusterError(source, exc.where, exc.message) from None


def _cluster(document: dict, source: str, files: ConfigFiles) -> Cluster:
    top = Table(
        document,
        "",
        "",
        ("cluster", "prices", "members", "register", "tariffs", "settlement", "sharing"),
        "the document",
    )
    for key, table in (
        ("cluster", "[cluster]"),
        ("prices", "[prices]"),
        ("members", "[[members]]"),
    ):
        if key not in document:
            top.fail(f"a {table} table is required")
    c = Table(top.raw("cluster"), "", "cluster.", CLUSTER_KEYS, "[cluster]")
    cluster_id = c.matching("id", ID_PATTERN, ID_EXPECTED)
    name = c.string("name")
    timezone = _timezone(c)
    interval_minutes, gate, horizon, continuous = _timing(c)
    mechanism = c.choice("mechanism", MECHANISMS, "uniform")
    k = c.number("k", 0.5)
    try:
        k_to_ppm(k)
    except ValueError:
        c.fail(f"cluster.k must be a number in [0, 1], was {show(c.raw('k'))}")
    rationing = c.choice("rationing", RATIONING, "pro-rata")
    tick = _tick(c)
    fee = _price(c, "network_fee_pln_mwh", tick, "0")
    if fee < 0:
        c.fail(
            f"cluster.network_fee_pln_mwh must be >= 0, was {show(c.raw('network_fee_pln_mwh'))}"
        )

    bands = _bands(top.raw("prices"), tick, interval_minutes * 60, files)
    interval_s = interval_minutes * 60
    settlement = parse_settlement(
        top.raw("settlement", None), top.raw("tariffs", None), tick, interval_s, files
    )
    billing = point_billing_parser(settlement, tick, interval_s, files)
    members = parse_members(top.tables("members"), interval_minutes, billing)
    check_cluster_rules(members)
    register = parse_rules(top.raw("register", None))
    sharing = parse_sharing(top.raw("sharing", None), tick, tuple(m.id for m in members))
    check_legal(
        tuple((m.id, m.role, m.legal_kind) for m in members),
        tuple((m.id, p.id, p.register) for m in members for p in m.connection_points),
        register,
    )
    return Cluster(
        id=cluster_id,
        name=name,
        timezone=timezone,
        interval_minutes=interval_minutes,
        gate_closure_minutes=gate,
        horizon_intervals=horizon,
        continuous_minutes=continuous,
        mechanism=mechanism,
        k=k,
        rationing=rationing,
        tick_pln_mwh=tick,
        network_fee_ticks=fee,
        bands=bands,
        members=members,
        source=source,
        register=register,
        settlement=settlement,
        sharing=sharing,
        document=document,
        files=dict(files.read),
    )


def _timezone(c: Table) -> ZoneInfo:
    name = c.string("timezone", "Europe/Warsaw")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        pass
    c.fail(f'cluster.timezone must be an IANA time zone such as "Europe/Warsaw", was {show(name)}')


def _timing(c: Table) -> tuple[int, int, int, int]:
    minutes = c.integer("interval_minutes", 1, 15, "min")
    if not (60 % minutes == 0 or (minutes % 60 == 0 and minutes <= 1440)):
        c.fail(
            "cluster.interval_minutes must divide 60 or be a multiple of 60 up to 1440, "
            f"was {minutes}"
        )
    gate = c.integer("gate_closure_minutes", 0, 5, "min")
    horizon = c.integer("horizon_intervals", 1, 96)
    continuous = c.integer("continuous_minutes", 0, 0, "min")
    ahead = horizon * minutes
    if ahead > MAX_HORIZON_MINUTES:
        c.fail(
            f"cluster.horizon_intervals * cluster.interval_minutes must be <= "
            f"{MAX_HORIZON_MINUTES} min (31 days), was {horizon} * {minutes} = {ahead}"
        )
    if gate + continuous >= ahead:
        c.fail(
            "cluster.gate_closure_minutes + cluster.continuous_minutes must be less than the "
            "horizon (horizon_intervals * interval_minutes), or no interval is ever open; "
            f"was {gate} + {continuous} >= {horizon} * {minutes}"
        )
    return minutes, gate, horizon, continuous


def _tick(c: Table) -> Decimal:
    text = c.decimal_text("tick_pln_mwh", str(DEFAULT_TICK_PLN_MWH))
    if not PLAIN_DECIMAL.fullmatch(text) or Decimal(text) <= 0:
        c.fail(f'cluster.tick_pln_mwh must be a decimal > 0 [PLN/MWh] such as "0.01", was "{text}"')
    return Decimal(text)


def _price(table: Table, key: str, tick: Decimal, *default: str) -> int:
    text = table.decimal_text(key, *default)  # no default: the key is required
    try:
        return parse_pln_mwh(text, tick, table.label(key))
    except ValueError as exc:
        table.fail(str(exc))


def _bands(value: object, tick: Decimal, interval_seconds: int, files: ConfigFiles) -> PriceBands:
    p = Table(value, "", "prices.", PRICES_KEYS, "[prices]")
    floor, cap = _price(p, "floor_pln_mwh", tick), _price(p, "cap_pln_mwh", tick)
    if floor > cap:
        found = f"{show(p.raw('floor_pln_mwh'))} > {show(p.raw('cap_pln_mwh'))}"
        p.fail(f"prices.floor_pln_mwh must be <= prices.cap_pln_mwh, was {found}")
    if "csv" not in value:
        return PriceBands(floor, cap)
    name = p.string("csv")
    try:
        overrides = parse_bands_csv(files.read_bytes(name), interval_seconds, tick)
    except OSError as exc:
        path = files.path(name)
        where, reason = f"prices.csv {show(name)}", f"cannot read {path}: {exc.strerror or exc}"
        raise FieldError(where, reason) from None
    except BandsCsvError as exc:
        where = f"prices.csv {show(name)}" + (f", line {exc.line}" if exc.line else "")
        raise FieldError(where, exc.reason) from None
    return PriceBands(floor, cap, overrides)
