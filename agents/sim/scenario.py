"""Simulation scenarios: one TOML file with the cluster, its members' devices and strategies,
the period and the seed.

A scenario is a cluster config (``engine/DESIGN.md``, "The cluster config (TOML)") with
scenario keys added; :func:`load_scenario` takes those keys out, expands ``[[groups]]`` into
members, validates what is left with the engine's own cluster parser and returns a frozen
:class:`Scenario`. Every error is a :class:`ScenarioError` naming the file, the member (or
group) and the field::

    zywiec.toml: member "gmina-zywiec", connection point "PL-TAURON-0002": pv.kwp must be
    a number > 0 [kWp], was -3

Scenario keys (units in brackets; the shipped files in ``agents/scenarios/`` use them all):

- ``[scenario]``: ``name``, ``start`` (TOML local date, the first simulated day), ``days``,
  ``seed``, ``forecast_error`` (relative sigma of the agents' forecasts [1], default 0.1) and
  ``[scenario.site]`` ``latitude``, ``longitude`` [deg], ``altitude`` [m] and optionally
  ``tmy``: a PVGIS typical meteorological year file (``.csv`` or ``.json``, as PVGIS serves
  it; a path relative to the scenario's directory) PV then follows
  (:mod:`agents.devices.pv_tmy`: seasons, weather) instead of the synthetic clouds; its site
  must lie within :data:`TMY_MAX_OFFSET_DEG` of the scenario's.
- per member: ``kind`` (a label such as household, business, public, heat-plant: savings are
  reported per kind) and ``strategy`` (truthful, zic, zip, ramp); ``joins`` and ``leaves``
  (TOML local dates, days of the run after its first): the member is in the cluster from
  ``joins`` and until the day before ``leaves`` (the simulation journals each change as the
  coordinator would, ``klaster cluster apply``, effective at the day's first interval).
- per connection point, each optional: ``load = {profile, annual_kwh}`` (BDEW profile: 1999
  h0, g0-g6, l0 or 2025 h25, g25, l25, p25, :mod:`agents.devices.bdew`; p25 nets a PV
  system's self-consumption, so not with a ``pv`` device), ``pv = {kwp, tilt, azimuth}``,
  ``battery = {capacity_kwh, power_kw, efficiency, mode, spread}`` (mode
  ``self-consumption`` behind the meter, or ``arbitrage``: a stand-alone storage point
  trading on prices, charging when the expected price is ``spread`` x the band below the
  mean of recent prices and discharging when it is as far above; default 0.1),
  ``generator = {kw, marginal_cost_pln_mwh, source}`` (a dispatchable seller: heat plant
  CHP, biogas, power plant; ``source`` one of :data:`engine.SOURCES`, default
  ``"unspecified"``).
- the register facts of a connection point (:mod:`engine.config.register`) come from its
  devices unless the point states them: ``installed_kw`` = PV kWp + generator kW,
  ``source`` = ``"pv"`` for PV, the generator's source, ``"none"`` without either, and
  ``"unspecified"`` for PV and a generator of another source together (one source per
  point: not guessed); ``storage_kw`` and ``storage_kwh`` = the battery's power and
  capacity; ``annual_demand_kwh`` = the load's annual kWh. ``voltage_kv`` (per point) and
  ``legal_kind`` (per member) cannot be derived: a scenario states them.
- ``[[groups]]``: ``count`` similar members ``{id_prefix}-0001``... with one connection point
  each (``{point_prefix}-0001``...); numbers may be ``[low, high]`` ranges drawn uniformly
  per member from the scenario seed, devices may have a ``share`` of members that own them,
  ``terc`` may be a list used round robin, ``strategy`` may be a table of shares
  (``{zic = 0.6, zip = 0.4}``); ``legal_kind`` and ``voltage_kv`` apply to every member and
  point of the group.

The simulation bids once a day for the next day (``agents.sim.simulation``), so the cluster's
horizon must reach a whole day past the bidding round; continuous trading is not simulated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from agents.devices.battery import BatterySpec
from agents.devices.loads import PROFILES
from agents.devices.pv import PvSystem, Site
from agents.devices.tmy import Tmy, TmyError, read_tmy
from engine import (
    POINT_BILLING_KEYS,
    SOURCES,
    Cluster,
    ClusterError,
    FieldError,
    Table,
    cluster_from_document,
    parse_pln_mwh,
    show,
)
from matching.units import KW_DECIMALS, energy_wh, kw_to_w, kwh_to_wh

STRATEGIES = ("truthful", "zic", "zip", "ramp")
BATTERY_MODES = ("self-consumption", "arbitrage")
DEFAULT_KIND = "member"
MAX_DAYS = 366
MAX_GROUP_MEMBERS = 100_000

SCENARIO_KEYS = ("name", "start", "days", "seed", "forecast_error", "site")
MEMBER_SCENARIO_KEYS = ("kind", "strategy", "joins", "leaves")
SITE_KEYS = ("latitude", "longitude", "altitude", "tmy")
#: How far a TMY file's site may lie from the scenario's [deg of latitude and of longitude].
TMY_MAX_OFFSET_DEG = 1.0
DEVICE_KEYS = ("load", "pv", "battery", "generator")
GROUP_KEYS = (
    "id_prefix", "point_prefix", "count", "name", "kind", "strategy", "legal_kind", "terc",
    "dso", "max_import_kw", "max_export_kw", "voltage_kv", *DEVICE_KEYS, *POINT_BILLING_KEYS,
)  # fmt: skip
#: Register facts a point's devices give (engine.config.register), unless the point states them.
DERIVED_KEYS = ("installed_kw", "source", "storage_kw", "storage_kwh", "annual_demand_kwh")


class ScenarioError(ValueError):
    """An invalid scenario: ``SOURCE: WHERE: message``."""


@dataclass(frozen=True, slots=True)
class Load:
    """A consumer: BDEW profile scaled to ``annual_kwh`` [kWh/a]."""

    profile: str
    annual_kwh: float


@dataclass(frozen=True, slots=True)
class Generator:
    """A dispatchable seller: ``max_wh`` per interval [Wh] at ``marginal_cost`` [tick],
    ``kw`` [kW] installed, of ``source`` (:data:`engine.SOURCES`)."""

    max_wh: int
    marginal_cost: int
    kw: float = 0.0
    source: str = "unspecified"


@dataclass(frozen=True, slots=True)
class PointDevices:
    """What stands behind one connection point (its ``code`` in the cluster)."""

    point: int
    load: Load | None = None
    pv: PvSystem | None = None
    battery: BatterySpec | None = None
    battery_mode: str = "self-consumption"
    battery_spread: float = 0.1  # arbitrage thresholds around the mean price [band]
    generator: Generator | None = None


@dataclass(frozen=True, slots=True)
class MemberAgent:
    """A trading member: its kind, its strategy and its points' devices."""

    member_id: str
    kind: str
    strategy: str
    points: tuple[PointDevices, ...]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    name: str
    source: str
    cluster: Cluster
    site: Site
    start: dt.date  # first simulated local day
    days: int
    seed: int
    forecast_error: float  # relative sigma of forecasts [1]
    agents: tuple[MemberAgent, ...]  # trading members only (no coordinator-only, no dso)
    kinds: dict[str, str]  # member id -> kind, every member
    # member id -> (first day in the cluster, first day out of it) as day indexes of the
    # run, None for "from the start" and "to the end": members who join or leave mid-run
    membership: dict[str, tuple[int | None, int | None]] = dataclasses.field(default_factory=dict)
    # the typical meteorological year PV follows ([scenario.site] tmy); None: synthetic clouds
    weather: Tmy | None = None

    def in_force(self, day: int) -> frozenset[str]:
        """The ids of the members in the cluster on ``day`` (a day index of the run)."""
        out = set()
        for member in self.cluster.members:
            joins, leaves = self.membership.get(member.id, (None, None))
            if (joins is None or joins <= day) and (leaves is None or day < leaves):
                out.add(member.id)
        return frozenset(out)


def load_scenario(
    path: str | Path,
    *,
    days: int | None = None,
    seed: int | None = None,
    group_size: int | None = None,
    start: dt.date | None = None,
    mechanism: str | None = None,
    allocation: str | None = None,
) -> Scenario:
    """Read and validate the scenario in ``path``; ``days``, ``seed``, ``start`` (the first
    simulated day), ``mechanism`` (the cluster's clearing mechanism), ``allocation`` (the
    ``[sharing]`` table's allocation: market, key, key_then_market or market_then_key, the
    key and its parameters from the table, pro rata without one) and ``group_size`` (the
    count of every ``[[groups]]`` table) override the file's."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScenarioError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{source}: the file must be UTF-8 text") from None
    return parse_scenario(
        text,
        source,
        Path(path).parent,
        days=days,
        seed=seed,
        group_size=group_size,
        start=start,
        mechanism=mechanism,
        allocation=allocation,
    )


def parse_scenario(
    text: str,
    source: str = "<string>",
    base_dir: Path | None = None,
    *,
    days: int | None = None,
    seed: int | None = None,
    group_size: int | None = None,
    start: dt.date | None = None,
    mechanism: str | None = None,
    allocation: str | None = None,
) -> Scenario:
    """Parse and validate a scenario; ``source`` names it in errors (overrides as
    :func:`load_scenario`'s, each checked like the file's value)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    try:
        scenario = document.get("scenario")
        if isinstance(scenario, dict):  # the overrides are checked like the file's values
            for key, value in (("days", days), ("seed", seed), ("start", start)):
                if value is not None:
                    scenario[key] = value
        cluster = document.get("cluster")
        if mechanism is not None and isinstance(cluster, dict):
            cluster["mechanism"] = mechanism
        if allocation is not None:  # checked by the cluster's own parser, as in a file
            sharing = document.get("sharing")
            document["sharing"] = {**(sharing if isinstance(sharing, dict) else {}),
                                   "allocation": allocation}  # fmt: skip
        if group_size is not None:
            for group in document.get("groups", []):
                if isinstance(group, dict):
                    group["count"] = group_size
        return _scenario(document, source, base_dir or Path())
    except FieldError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    except ClusterError as exc:
        raise ScenarioError(str(exc)) from None


def _scenario(document: dict, source: str, base_dir: Path) -> Scenario:
    if not isinstance(document.get("scenario"), dict):
        raise FieldError("", "a [scenario] table is required")
    s = Table(document["scenario"], "", "scenario.", SCENARIO_KEYS, "[scenario]")
    name = s.string("name")
    start = s.raw("start")
    if type(start) is not dt.date:
        s.fail(f"scenario.start must be a TOML local date such as 2026-06-01, was {show(start)}")
    days = s.integer("days", 1, 7, "day")
    if days > MAX_DAYS:
        s.fail(f"scenario.days must be <= {MAX_DAYS}, was {days}")
    seed = s.integer("seed", 0, 0)
    forecast_error = _real(s, "forecast_error", 0.0, 1.0, 0.1)
    site_table = Table(s.raw("site"), "", "scenario.site.", SITE_KEYS, "[scenario.site]")
    latitude = _real(site_table, "latitude", -90.0, 90.0)
    longitude = _real(site_table, "longitude", -180.0, 180.0)
    altitude = _real(site_table, "altitude", -500.0, 9000.0, 0.0)
    weather = _weather(site_table, base_dir, latitude, longitude)

    groups = document.get("groups", [])
    if not isinstance(groups, list):
        raise FieldError("", f"groups must be an array of tables ([[groups]]), was {show(groups)}")
    members = document.get("members")
    if not isinstance(members, list):
        raise FieldError("", "members must be an array of tables ([[members]])")
    rng = np.random.default_rng(seed)
    members = list(members) + [m for g in groups for m in _expand_group(g, rng)]

    # Take the scenario keys out so the engine validates the cluster as it would a file.
    extras: list[tuple[str, dict, str | None, list[dict]]] = []
    cluster_members = []
    for number, raw in enumerate(members, start=1):
        if not isinstance(raw, dict):
            raise FieldError(f"member #{number}", f"a member must be a table, was {show(raw)}")
        member = {k: v for k, v in raw.items() if k not in MEMBER_SCENARIO_KEYS}
        points, point_devices = [], []
        for point in (
            raw.get("connection_points", [])
            if isinstance(raw.get("connection_points"), list)
            else []
        ):
            if isinstance(point, dict):
                points.append({k: v for k, v in point.items() if k not in DEVICE_KEYS})
                point_devices.append({k: v for k, v in point.items() if k in DEVICE_KEYS})
            else:
                points.append(point)
                point_devices.append({})
        if "connection_points" in raw and isinstance(raw["connection_points"], list):
            member["connection_points"] = points
        cluster_members.append(member)
        extras.append((str(raw.get("id")), raw, raw.get("strategy"), point_devices))
    cluster_document = {k: v for k, v in document.items() if k not in ("scenario", "groups")}
    cluster_document["members"] = cluster_members
    cluster = cluster_from_document(cluster_document, source, base_dir)
    _check_timing(cluster)

    agents, kinds, point_devices = [], {}, {}
    for member, (_, raw, strategy, devices) in zip(cluster.members, extras, strict=True):
        where = f'member "{member.id}"'
        kind = raw.get("kind", member.role if member.role != "member" else DEFAULT_KIND)
        if not isinstance(kind, str) or not kind.strip():
            raise FieldError(where, f"kind must be a non-empty string, was {show(kind)}")
        kinds[member.id] = kind
        if member.role == "dso":
            continue
        if strategy is None:
            strategy = "truthful"
        if strategy not in STRATEGIES:
            raise FieldError(
                where, f"strategy must be one of {', '.join(STRATEGIES)}, was {show(strategy)}"
            )
        points = tuple(
            _devices(d, f'{where}, connection point "{p.id}"', p.code, cluster)
            for p, d in zip(member.connection_points, devices, strict=True)
        )
        agents.append(MemberAgent(member.id, kind, strategy, points))
        stated = raw.get("connection_points", [])
        for p, d, table in zip(member.connection_points, points, stated, strict=True):
            point_devices[p.code] = (d, table)
    membership = _membership(cluster, extras, start, days)
    cluster = _with_register_facts(cluster_document, cluster, point_devices, source, base_dir)
    site = Site(latitude, longitude, altitude, str(cluster.timezone))
    return Scenario(
        name,
        source,
        cluster,
        site,
        start,
        days,
        seed,
        forecast_error,
        tuple(agents),
        kinds,
        membership,
        weather,
    )


def _weather(site: Table, base_dir: Path, latitude: float, longitude: float) -> Tmy | None:
    """The PVGIS TMY file ``[scenario.site] tmy`` names (relative to the scenario's
    directory), read and checked, or None without one."""
    if site.raw("tmy", None) is None:
        return None
    name = site.string("tmy")
    try:
        tmy = read_tmy(base_dir / name)
    except TmyError as exc:
        site.fail(f"scenario.site.tmy: {exc}")
    if max(abs(tmy.latitude - latitude), abs(tmy.longitude - longitude)) > TMY_MAX_OFFSET_DEG:
        site.fail(
            f"scenario.site.tmy: {name} is for {tmy.latitude:g} N {tmy.longitude:g} E, more "
            f"than {TMY_MAX_OFFSET_DEG:g} deg from the site ({latitude:g} N {longitude:g} E)"
        )
    return tmy


def _membership(
    cluster: Cluster, extras: list, start: dt.date, days: int
) -> dict[str, tuple[int | None, int | None]]:
    """Each member's ``joins`` and ``leaves`` (TOML local dates within the run) as day
    indexes; the coordinator and the dso stay for the whole run."""
    out: dict[str, tuple[int | None, int | None]] = {}
    for member, (_, raw, _, _) in zip(cluster.members, extras, strict=True):
        where = f'member "{member.id}"'
        found: list[int | None] = []
        for key in ("joins", "leaves"):
            value = raw.get(key)
            if value is None:
                found.append(None)
                continue
            if type(value) is not dt.date:
                raise FieldError(where, f"{key} must be a TOML local date, was {show(value)}")
            day = (value - start).days
            if not 1 <= day < days:
                raise FieldError(
                    where,
                    f"{key} must be a day of the run after its first ({start + dt.timedelta(1)}"
                    f"..{start + dt.timedelta(days - 1)}), was {value}",
                )
            found.append(day)
        joins, leaves = found
        if joins is None and leaves is None:
            continue
        if member.role != "member":
            raise FieldError(where, f"a {member.role} stays for the whole run (no joins/leaves)")
        if joins is not None and leaves is not None and leaves <= joins:
            raise FieldError(where, f"leaves must be after joins, was {raw['leaves']}")
        out[member.id] = (joins, leaves)
    return out


def _with_register_facts(
    document: dict,
    cluster: Cluster,
    devices: dict[int, tuple[PointDevices, dict]],
    source: str,
    base_dir: Path | None,
) -> Cluster:
    """The cluster with each point's register facts derived from its devices, where the
    point does not state them (module docstring): written into its ``document`` (the
    cluster's tables, in the cluster's member and point order) and read again, so that the
    cluster is its document's and a server journals it whole (``ClusterChanged``)."""
    for member, table in zip(cluster.members, document["members"], strict=True):
        stated = table.get("connection_points", [])
        for point, point_table in zip(member.connection_points, stated, strict=True):
            d, raw = devices.get(point.code, (None, {}))
            derived = _derived_facts(d) if d is not None else {}
            for key, value in derived.items():
                if key not in raw:
                    point_table[key] = str(value)  # Decimals as the config writes them
    return cluster_from_document(document, source, base_dir)


def _derived_facts(d: PointDevices) -> dict[str, object]:
    """A point's register facts from its devices (module docstring): kW and kWh exact to
    the W and Wh, as the devices use them."""

    def kilo(units: int) -> Decimal:
        return Decimal(units).scaleb(-KW_DECIMALS)

    sources = (["pv"] if d.pv else []) + ([d.generator.source] if d.generator else [])
    source = "none" if not sources else sources[0] if len(set(sources)) == 1 else "unspecified"
    installed = (kw_to_w(d.pv.kwp) if d.pv else 0) + (kw_to_w(d.generator.kw) if d.generator else 0)
    facts: dict[str, object] = {"installed_kw": kilo(installed), "source": source}
    if d.battery is not None:
        facts["storage_kw"] = kilo(d.battery.power_w)
        facts["storage_kwh"] = kilo(d.battery.capacity_wh)
    if d.load is not None:
        facts["annual_demand_kwh"] = kilo(kwh_to_wh(d.load.annual_kwh))
    return facts


def _check_timing(cluster: Cluster) -> None:
    # The bidding round for day D runs after the last gate of day D-1; every interval of D
    # (up to 25 hours on the autumn DST day) must be open by then.
    length = cluster.interval_seconds
    needed = math.ceil((25 * 3600 + cluster.gate_closure_minutes * 60) / length) + 1
    if cluster.horizon_intervals < needed:
        raise FieldError(
            "cluster",
            f"cluster.horizon_intervals must be >= {needed} for a simulation (agents bid the "
            f"whole next day at once), was {cluster.horizon_intervals}",
        )
    if cluster.continuous_minutes:
        raise FieldError(
            "cluster", "cluster.continuous_minutes must be 0: the simulation runs call auctions"
        )


def _devices(raw: dict, where: str, code: int, cluster: Cluster) -> PointDevices:
    load = pv = battery = generator = None
    mode = "self-consumption"
    spread = 0.1
    if "load" in raw:
        t = Table(raw["load"], where, "load.", ("profile", "annual_kwh"), "load")
        profile = t.choice("profile", PROFILES)
        load = Load(profile, _real(t, "annual_kwh", 0.0, 1e9, unit="kWh"))
    if "pv" in raw:
        t = Table(raw["pv"], where, "pv.", ("kwp", "tilt", "azimuth"), "pv")
        kwp = _real(t, "kwp", 0.0, 1e6, unit="kWp", above=True)
        pv = PvSystem(
            kwp, _real(t, "tilt", 0.0, 90.0, 35.0), _real(t, "azimuth", 0.0, 359.999, 180.0)
        )
    if "battery" in raw:
        keys = ("capacity_kwh", "power_kw", "efficiency", "mode", "spread")
        t = Table(raw["battery"], where, "battery.", keys, "battery")
        capacity = _real(t, "capacity_kwh", 0.0, 1e6, unit="kWh", above=True)
        power = _real(t, "power_kw", 0.0, 1e6, unit="kW", above=True)
        efficiency = _real(t, "efficiency", 0.5, 1.0, 0.9)
        mode = t.choice("mode", BATTERY_MODES, "self-consumption")
        spread = _real(t, "spread", 0.0, 1.0, 0.1)
        battery = BatterySpec(kwh_to_wh(capacity), kw_to_w(power), efficiency)
    if "generator" in raw:
        keys = ("kw", "marginal_cost_pln_mwh", "source")
        t = Table(raw["generator"], where, "generator.", keys, "generator")
        kw = _real(t, "kw", 0.0, 1e6, unit="kW", above=True)
        fuel = t.choice("source", [s for s in SOURCES if s != "none"], "unspecified")
        text = t.decimal_text("marginal_cost_pln_mwh")
        try:
            cost = parse_pln_mwh(text, cluster.tick_pln_mwh, "generator.marginal_cost_pln_mwh")
        except ValueError as exc:
            t.fail(str(exc))
        generator = Generator(energy_wh(kw_to_w(kw), cluster.interval_seconds), cost, kw, fuel)
    if load is not None and load.profile == "p25" and pv is not None:
        raise FieldError(
            where,
            'load.profile "p25" is what a household draws with its PV already netted: with a '
            'pv device use "h25" (or "h0")',
        )
    if mode == "arbitrage" and (load or pv or generator):
        raise FieldError(
            where, 'battery.mode "arbitrage" is for a storage-only point (no load, pv, generator)'
        )
    return PointDevices(
        code, load, pv, battery, battery_mode=mode, battery_spread=spread, generator=generator
    )


def _real(
    t: Table,
    key: str,
    low: float,
    high: float,
    default: Any = None,
    unit: str = "",
    above: bool = False,
) -> float:
    """A finite number in [low, high] (``above``: > low)."""
    value = t.number(key) if default is None else t.number(key, default)
    bracket = f" [{unit}]" if unit else ""
    ok = math.isfinite(value) and (value > low if above else value >= low) and value <= high
    if not ok:
        relation = ">" if above else ">="
        t.fail(
            f"{t.label(key)} must be a number {relation} {low:g} and <= {high:g}{bracket}, "
            f"was {show(t.raw(key))}"
        )
    return value


# --- groups ------------------------------------------------------------------------------


def _expand_group(raw: object, rng: np.random.Generator) -> list[dict]:
    """The members of one ``[[groups]]`` table, as member tables of the cluster format."""
    prefix = raw.get("id_prefix") if isinstance(raw, dict) else None
    g = Table(raw, f"group {show(prefix)}", "", GROUP_KEYS, "a group")
    id_prefix = g.string("id_prefix")
    point_prefix = g.string("point_prefix", f"PL-{id_prefix.upper()}")
    count = g.integer("count", 1)
    if count > MAX_GROUP_MEMBERS:
        g.fail(f"count must be <= {MAX_GROUP_MEMBERS}, was {count}")
    name = g.string("name", id_prefix)
    kind = g.string("kind", "household")
    tercs = g.raw("terc")
    tercs = tercs if isinstance(tercs, list) else [tercs]
    if not tercs:
        g.fail("terc must be a TERC code or a non-empty array of them")
    strategies = _strategy_shares(g)
    width = max(4, len(str(count)))
    members = []
    for i in range(count):
        number = f"{i + 1:0{width}d}"
        point: dict[str, Any] = {
            "id": f"{point_prefix}-{number}",
            "terc": tercs[i % len(tercs)],
            "dso": g.raw("dso"),
            "max_import_kw": g.raw("max_import_kw"),
            "max_export_kw": g.raw("max_export_kw"),
        }
        for key in ("voltage_kv", *POINT_BILLING_KEYS):  # every point of the group alike
            if key in raw:
                point[key] = raw[key]
        for device in DEVICE_KEYS:
            if device in raw:
                drawn = _draw_device(g, device, raw[device], rng)
                if drawn is not None:
                    point[device] = drawn
        strategy = rng.choice(len(strategies), p=[s for _, s in strategies])
        member = {
            "id": f"{id_prefix}-{number}",
            "name": f"{name} {number}",
            "role": "member",
            "kind": kind,
            "strategy": strategies[strategy][0],
            "connection_points": [point],
        }
        if "legal_kind" in raw:
            member["legal_kind"] = raw["legal_kind"]
        members.append(member)
    return members


def _strategy_shares(g: Table) -> list[tuple[str, float]]:
    value = g.raw("strategy", "truthful")
    if isinstance(value, str):
        value = {value: 1.0}
    if not isinstance(value, dict) or not value:
        g.fail(f"strategy must be a name or a table of shares, was {show(value)}")
    shares = []
    for name, share in value.items():
        if name not in STRATEGIES:
            g.fail(f"strategy must be one of {', '.join(STRATEGIES)}, was {show(name)}")
        if isinstance(share, bool) or not isinstance(share, int | float) or not share >= 0:
            g.fail(f"strategy.{name} must be a share >= 0, was {show(share)}")
        shares.append((name, float(share)))
    total = sum(s for _, s in shares)
    if not total > 0 or not math.isfinite(total):
        g.fail("strategy shares must add up to more than 0")
    return [(n, s / total) for n, s in shares]


def _draw_device(g: Table, device: str, raw: object, rng: np.random.Generator) -> dict | None:
    """One member's device table: ranges drawn, ``share`` decides who owns one."""
    if not isinstance(raw, dict):
        g.fail(f"{device} must be a table, was {show(raw)}")
    share = raw.get("share", 1.0)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        g.fail(f"{device}.share must be a number in [0, 1], was {show(share)}")
    owns = rng.random() < share
    drawn: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "share":
            continue
        if isinstance(value, list):
            if (
                len(value) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
                or not value[0] <= value[1]
            ):
                g.fail(f"{device}.{key} must be a value or a range [low, high], was {show(value)}")
            drawn[key] = float(rng.uniform(value[0], value[1]))
        else:
            drawn[key] = value
    return drawn if owns else None


__all__ = [
    "Generator",
    "Load",
    "MemberAgent",
    "PointDevices",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
]
