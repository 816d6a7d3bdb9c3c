"""Distribution tariff groups: their time zones, variable rates per zone and fixed charges.

A tariff group (grupa taryfowa) is what the DSO bills a connection point by: households
G11 (one zone), G12 (day and night), G12w (night and the weekend cheap); small business C11,
C12a (a peak and an off-peak zone by season); larger low-voltage C21; medium voltage B21.
Each DSO publishes its tariff every year, approved by the President of URE (Prawo
energetyczne, art. 47), and the tariff decree (rozporządzenie taryfowe of the minister of
climate, § 6 and § 14) fixes that the variable network charge is per kWh in each zone and
the fixed ones per month. Zones and rates differ per DSO and year, so every group is
configuration: the built-in :data:`BUILT_IN` tables are illustrative orders of magnitude of
the 2025 tariffs of TAURON Dystrybucja (the Żywiec and Staszów area), not the tariff itself;
a cluster states its DSO's table as ``[tariffs.NAME]``, which also overrides a built-in one::

    [tariffs.G12]
    fixed_pln_month = "26.00"          # network fixed + transitional + subscription [PLN/month]
    zones = [
      { name = "peak", hours = "6-13,15-22", distribution_pln_mwh = "380.00" },
      { name = "offpeak", hours = "13-15,22-6", distribution_pln_mwh = "90.00" },
    ]

A zone's ``hours`` are hours of the day in the cluster's local time (Europe/Warsaw),
``"22-6"`` wrapping past midnight, ``"0-24"`` the whole day; ``weekend_hours`` (Saturdays and
Sundays) and ``summer_hours`` (working days of April to September) default to ``hours``.
Every hour of each kind of day must lie in exactly one zone. An interval belongs to the zone
of the local hour it starts in. Public holidays count as working days (a known limit: some
DSOs bill them as weekends in G12w and C12a).

Units: rates [tick] per MWh of the cluster's tick (whole ticks, like every price), fixed
charges [grosz] per month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from engine.config.price_bands import PLAIN_DECIMAL, parse_pln_mwh
from engine.config.toml_table import FieldError, Table, show
from matching.units import PLN_DECIMALS, decimal_to_int

TARIFF_KEYS = ("fixed_pln_month", "zones")
ZONE_KEYS = ("name", "hours", "weekend_hours", "summer_hours", "distribution_pln_mwh")
#: Kinds of day a zone's hours are given for: working days (October to March), weekends,
#: working days of the summer (April to September).
DAY_KINDS = ("hours", "weekend_hours", "summer_hours")
SUMMER_MONTHS = range(4, 10)
#: Largest fixed charge of one point [PLN/month].
MAX_FIXED_PLN_MONTH = 10**7

#: Illustrative 2025 tables (TAURON Dystrybucja's order of magnitude; the variable rate holds
#: the network variable, quality, RES and cogeneration rates together) [PLN/MWh, PLN/month].
BUILT_IN: Mapping[str, dict] = MappingProxyType(
    {
        "G11": {"fixed_pln_month": "24.00", "zones": [
            {"name": "all", "hours": "0-24", "distribution_pln_mwh": "330.00"}]},
        "G12": {"fixed_pln_month": "26.00", "zones": [
            {"name": "peak", "hours": "6-13,15-22", "distribution_pln_mwh": "380.00"},
            {"name": "offpeak", "hours": "13-15,22-6", "distribution_pln_mwh": "90.00"}]},
        "G12w": {"fixed_pln_month": "27.00", "zones": [
            {"name": "peak", "hours": "6-13,15-22", "weekend_hours": "",
             "distribution_pln_mwh": "400.00"},
            {"name": "offpeak", "hours": "13-15,22-6", "weekend_hours": "0-24",
             "distribution_pln_mwh": "90.00"}]},
        "C11": {"fixed_pln_month": "40.00", "zones": [
            {"name": "all", "hours": "0-24", "distribution_pln_mwh": "320.00"}]},
        "C12a": {"fixed_pln_month": "45.00", "zones": [
            {"name": "peak", "hours": "7-13,16-21", "summer_hours": "7-13,19-22",
             "weekend_hours": "", "distribution_pln_mwh": "420.00"},
            {"name": "offpeak", "hours": "13-16,21-7", "summer_hours": "13-19,22-7",
             "weekend_hours": "0-24", "distribution_pln_mwh": "110.00"}]},
        "C21": {"fixed_pln_month": "350.00", "zones": [
            {"name": "all", "hours": "0-24", "distribution_pln_mwh": "230.00"}]},
        "B21": {"fixed_pln_month": "1500.00", "zones": [
            {"name": "all", "hours": "0-24", "distribution_pln_mwh": "110.00"}]},
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TariffGroup:
    """One distribution tariff group: zone names, the zone of each local hour per kind of
    day, the variable rate per zone [tick/MWh] and the fixed charge [grosz/month]."""

    name: str
    zones: tuple[str, ...]
    # (working day, weekend, summer working day) -> zone index of each local hour 0..23
    hour_zone: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
    distribution_ticks: tuple[int, ...]
    fixed_grosz_month: int

    def zone_of(self, interval_start: int, timezone: ZoneInfo) -> int:
        """Return the index of the zone the interval starting at ``interval_start`` [s,
        UTC] falls in, by its local start hour and kind of day."""
        if len(self.zones) == 1:
            return 0
        local = datetime.fromtimestamp(interval_start, timezone)
        kind = 1 if local.weekday() >= 5 else 2 if local.month in SUMMER_MONTHS else 0
        return self.hour_zone[kind][local.hour]


def parse_tariffs(value: object, tick: Decimal) -> dict[str, TariffGroup]:
    """Parse the ``[tariffs]`` table (absent: none) on top of the built-in groups: name ->
    group. A named table replaces the built-in group of that name whole."""
    tables = {name: dict(table) for name, table in BUILT_IN.items()}
    if value is not None:
        if not isinstance(value, dict):
            raise FieldError("", f"[tariffs] must be a table of tariff groups, was {show(value)}")
        tables.update(value)
    return {name: _group(name, table, tick) for name, table in tables.items()}


def _group(name: str, value: object, tick: Decimal) -> TariffGroup:
    where = f"tariff {show(name)}"
    t = Table(value, where, f"tariffs.{name}.", TARIFF_KEYS, "a tariff group")
    fixed = t.decimal_text("fixed_pln_month", "0")
    if not PLAIN_DECIMAL.fullmatch(fixed) or not 0 <= Decimal(fixed) <= MAX_FIXED_PLN_MONTH:
        t.fail(
            f"{t.label('fixed_pln_month')} must be a decimal in 0..{MAX_FIXED_PLN_MONTH} "
            f'[PLN/month], was "{fixed}"'
        )
    try:
        fixed_grosz = decimal_to_int(fixed, PLN_DECIMALS, "fixed_pln_month")
    except ValueError:
        t.fail(f'{t.label("fixed_pln_month")} must have at most 2 decimals [PLN], was "{fixed}"')
    zones = t.raw("zones")
    if not isinstance(zones, list) or not zones:
        t.fail(f"{t.label('zones')} must be a non-empty array of zone tables, was {show(zones)}")
    names: list[str] = []
    rates: list[int] = []
    hours: dict[str, list[int | None]] = {kind: [None] * 24 for kind in DAY_KINDS}
    for number, zone in enumerate(zones, start=1):
        z = Table(zone, f"{where}, zone #{number}", "", ZONE_KEYS, "a zone")
        zone_name = z.string("name")
        if zone_name in names:
            z.fail(f"name {show(zone_name)} is already used by zone #{names.index(zone_name) + 1}")
        rate_text = z.decimal_text("distribution_pln_mwh")
        try:
            rate = parse_pln_mwh(rate_text, tick, "distribution_pln_mwh")
        except ValueError as exc:
            z.fail(str(exc))
        if rate < 0:
            z.fail(f'distribution_pln_mwh must be >= 0, was "{rate_text}"')
        index = len(names)
        names.append(zone_name)
        rates.append(rate)
        default = z.raw("hours")
        for kind in DAY_KINDS:
            text = z.raw(kind, default)
            for hour in _hours(z, kind, text):
                if hours[kind][hour] is not None:
                    other = names[hours[kind][hour]]
                    z.fail(f"{kind} {show(text)}: hour {hour} is already in zone {show(other)}")
                hours[kind][hour] = index
    for kind in DAY_KINDS:
        gaps = [h for h, zone in enumerate(hours[kind]) if zone is None]
        if gaps:
            t.fail(f"zones must cover every hour of the day in {kind}, hour {gaps[0]} is in none")
    table = tuple(tuple(int(z) for z in hours[kind]) for kind in DAY_KINDS)
    return TariffGroup(name, tuple(names), table, tuple(rates), fixed_grosz)  # type: ignore[arg-type]


def _hours(z: Table, key: str, text: object) -> list[int]:
    """Read ``"22-6,13-15"`` as the local hours it covers (``""``: none)."""
    expected = 'comma-separated local hour ranges such as "22-6,13-15" (end exclusive, 0..24)'
    if not isinstance(text, str):
        z.fail(f"{key} must be {expected}, was {show(text)}")
    covered: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, dash, last = part.partition("-")
        if not (dash and first.isdigit() and last.isdigit()):
            z.fail(f"{key} must be {expected}, was {show(text)}")
        begin, end = int(first), int(last)
        if not (0 <= begin <= 23 and 0 <= end <= 24) or begin == end:
            z.fail(f"{key} must be {expected}, was {show(text)}")
        span = range(begin, end) if begin < end else [*range(begin, 24), *range(end)]
        covered.extend(span)
    return covered
