"""What the cluster register asks of a cluster: the conditions, the facts of each connection
point and member they are checked on, and the legal checks made when a config is loaded.

Sources: the OZE act (ustawa o odnawialnych źródłach energii of 20 February 2015, art. 2
pt 15a, the cluster; amended 2023: the register, a municipality among the members) and the
2023 draft register thresholds.
The legal conditions, checked at load, are that the cluster's network is below 110 kV and that
at least one member is a municipality (JST) or its company (the 2023 rule). The register's
thresholds come from the 2023 *draft* bill and are configuration, never constants (drafts
change): at least 30% of the members' generation from renewables, at most 100 MW installed,
capacity able to cover at least 40% of the members' annual demand, storage at least 2% of the
installed capacity. They are reported (:mod:`engine.settlement.register`), not enforced: a
cluster may exist without being registered.

Config keys (all optional, so a config written before them still loads):

- per connection point: ``installed_kw`` (generating capacity [kW], default 0), ``source``
  (:data:`SOURCES`; default ``"unspecified"``: counted and reported as such, never guessed),
  ``storage_kw`` and ``storage_kwh`` (storage power [kW] and energy [kWh], default 0),
  ``voltage_kv`` (the network voltage the point is connected at [kV]; default unspecified),
  ``annual_demand_kwh`` (the point's yearly consumption [kWh], default 0);
- per member: ``legal_kind`` (:data:`LEGAL_KINDS`, default ``"unspecified"``);
- ``[register]``: ``max_voltage_kv`` ("110"), ``max_installed_mw`` ("100"),
  ``min_renewable_share`` ("0.30"), ``min_demand_cover`` ("0.40"), ``min_storage_share``
  ("0.02") and ``full_load_hours`` (a table source -> hours a year [h/a], overriding
  :data:`FULL_LOAD_HOURS` source by source).

The legal checks refuse only what the config states: a point at or above ``max_voltage_kv``;
members whose legal kinds are all stated and none of them :data:`MUNICIPAL_KINDS`. A point
without ``voltage_kv`` or a member without ``legal_kind`` leaves its condition unverified, and
the register figures say so.

None of this changes what an event means: it is left out of the cluster's fingerprint (the
fields are ``repr=False``, see :func:`engine.market.recovery.cluster_fingerprint`), so a
journal written before these keys existed opens with a config that states them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from engine.config.price_bands import PLAIN_DECIMAL
from engine.config.toml_table import FieldError, Table, show

#: Renewable sources (ustawa o OZE: sun, wind, water, biogas including landfill and sewage
#: gas, biomass, geothermal heat).
RENEWABLE_SOURCES = ("pv", "wind", "hydro", "biogas", "biomass", "geothermal")
#: Generating sources that are not renewable.
OTHER_SOURCES = ("gas", "coal", "oil", "other")
#: ``none``: the point generates nothing (a load, or storage only); ``unspecified``: not stated.
SOURCES = (*RENEWABLE_SOURCES, *OTHER_SOURCES, "none", "unspecified")
#: Legal kinds of members. ``municipality`` is any local government (JST: gmina, powiat,
#: voivodeship, or a union of them); ``municipal-unit`` one of its organisational units (a
#: school); ``municipal-company`` a company it owns.
LEGAL_KINDS = (
    "municipality", "municipal-unit", "municipal-company", "company", "person", "research",
    "public-transport", "cooperative", "association", "other", "unspecified",
)  # fmt: skip
#: Kinds of which a cluster needs at least one member (2023 rule).
MUNICIPAL_KINDS = ("municipality", "municipal-company")
#: Yearly full-load hours per source [h/a]: how much energy a kW of it gives in a year, to
#: turn installed capacity into expected generation. Rough Polish figures, an assumption of
#: this project and not law: configure them per cluster (``[register] full_load_hours``).
FULL_LOAD_HOURS = MappingProxyType(
    {
        "pv": 1000, "wind": 2300, "hydro": 3500, "biogas": 7500, "biomass": 6500,
        "geothermal": 7000, "gas": 4500, "coal": 5500, "oil": 500, "other": 4000,
    }
)  # fmt: skip
REGISTER_KEYS = (
    "max_voltage_kv", "max_installed_mw", "min_renewable_share", "min_demand_cover",
    "min_storage_share", "full_load_hours",
)  # fmt: skip
POINT_REGISTER_KEYS = (
    "installed_kw", "source", "storage_kw", "storage_kwh", "voltage_kv", "annual_demand_kwh",
)  # fmt: skip
#: Largest capacity, storage or demand figure of one point: 1 GW, 1 GWh, 1 TWh a year.
MAX_POINT_KW = 1_000_000
MAX_POINT_KWH = 1_000_000
MAX_DEMAND_KWH = 10**9
HOURS_PER_YEAR = 8784  # a leap year


@dataclass(frozen=True, slots=True)
class RegisterRules:
    """The ``[register]`` table: the legal voltage limit and the draft register thresholds."""

    max_voltage_kv: Decimal = Decimal("110")  # the network must be below this [kV]
    max_installed_mw: Decimal = Decimal("100")  # [MW]
    min_renewable_share: Decimal = Decimal("0.30")  # [1] of the members' generation
    min_demand_cover: Decimal = Decimal("0.40")  # [1] of the members' annual demand
    min_storage_share: Decimal = Decimal("0.02")  # [1] storage kW / installed kW
    full_load_hours: Mapping[str, int] = field(default_factory=lambda: FULL_LOAD_HOURS)

    def __hash__(self) -> int:  # the mapping proxy is not hashable; its items are
        return hash((self.max_voltage_kv, self.max_installed_mw, *self.full_load_hours.items()))


@dataclass(frozen=True, slots=True)
class PointRegister:
    """What the register asks of one connection point (see the module docstring)."""

    installed_kw: Decimal = Decimal(0)
    source: str = "unspecified"
    storage_kw: Decimal = Decimal(0)
    storage_kwh: Decimal = Decimal(0)
    voltage_kv: Decimal | None = None  # None: not stated
    annual_demand_kwh: Decimal = Decimal(0)

    @property
    def renewable(self) -> bool:
        """True if the point's source is renewable."""
        return self.source in RENEWABLE_SOURCES


def parse_rules(value: object) -> RegisterRules:
    """Parse the ``[register]`` table (absent: the defaults)."""
    if value is None:
        return RegisterRules()
    r = Table(value, "", "register.", REGISTER_KEYS, "[register]")
    defaults = RegisterRules()
    hours = dict(FULL_LOAD_HOURS)
    if "full_load_hours" in value:
        h = Table(
            r.raw("full_load_hours"), "", "register.full_load_hours.",
            (*RENEWABLE_SOURCES, *OTHER_SOURCES), "register.full_load_hours",
        )  # fmt: skip
        for source in value["full_load_hours"]:
            hours[source] = h.integer(source, 0, unit="h/a")
            if hours[source] > HOURS_PER_YEAR:
                h.fail(
                    f"register.full_load_hours.{source} must be <= {HOURS_PER_YEAR} [h/a], "
                    f"was {hours[source]}"
                )
    return RegisterRules(
        max_voltage_kv=decimal(r, "max_voltage_kv", "kV", str(defaults.max_voltage_kv), 10**4),
        max_installed_mw=decimal(
            r, "max_installed_mw", "MW", str(defaults.max_installed_mw), 10**6
        ),
        min_renewable_share=decimal(
            r, "min_renewable_share", "1", str(defaults.min_renewable_share), 1
        ),
        min_demand_cover=decimal(r, "min_demand_cover", "1", str(defaults.min_demand_cover), 10),
        min_storage_share=decimal(r, "min_storage_share", "1", str(defaults.min_storage_share), 1),
        full_load_hours=MappingProxyType(hours),
    )


def parse_point_register(p: Table) -> PointRegister:
    """Read a connection point's register keys from its table ``p`` (all optional)."""
    installed = decimal(p, "installed_kw", "kW", "0", MAX_POINT_KW)
    source = p.choice("source", SOURCES, "unspecified")
    if source == "none" and installed > 0:
        p.fail(f'source "none" means no generation, but installed_kw was "{installed}"')
    voltage = decimal(p, "voltage_kv", "kV", None, 10**4, positive=True)
    return PointRegister(
        installed_kw=installed,
        source=source,
        storage_kw=decimal(p, "storage_kw", "kW", "0", MAX_POINT_KW),
        storage_kwh=decimal(p, "storage_kwh", "kWh", "0", MAX_POINT_KWH),
        voltage_kv=voltage,
        annual_demand_kwh=decimal(p, "annual_demand_kwh", "kWh", "0", MAX_DEMAND_KWH),
    )


def decimal(
    t: Table,
    key: str,
    unit: str,
    default: str | None,
    maximum: int,
    *,
    positive: bool = False,
) -> Decimal | None:
    """Read an exact decimal ``>= 0`` (``> 0`` if ``positive``), ``<= maximum``, with at
    most 3 decimals; ``default`` None: return None when the key is absent."""
    if default is None and t.raw(key, None) is None:
        return None
    text = t.decimal_text(key, default)
    value = Decimal(text) if PLAIN_DECIMAL.fullmatch(text) else None
    relation = "> 0" if positive else ">= 0"
    if value is None or not (value > 0 if positive else value >= 0) or value.scaleb(3) % 1:
        t.fail(
            f"{t.label(key)} must be a decimal {relation} [{unit}] with at most 3 decimals, "
            f'was "{text}"'
        )
    if value > maximum:
        t.fail(f'{t.label(key)} must be <= {maximum} [{unit}], was "{text}"')
    return value


def check_legal(
    members: tuple[tuple[str, str, str], ...],
    points: tuple[tuple[str, str, PointRegister], ...],
    rules: RegisterRules,
) -> None:
    """Refuse a config that states a breach of a legal condition.

    ``members`` are ``(id, role, legal_kind)``, ``points`` ``(member id, point id,
    register facts)``. Raise :class:`FieldError` naming the condition, the member and point.
    """
    for member_id, point_id, facts in points:
        if facts.voltage_kv is not None and facts.voltage_kv >= rules.max_voltage_kv:
            raise FieldError(
                f"member {show(member_id)}, connection point {show(point_id)}",
                f"voltage_kv must be below register.max_voltage_kv = "
                f"{rules.max_voltage_kv} [kV] (a cluster's network is below 110 kV), was "
                f'"{facts.voltage_kv}"',
            )
    parties = [(i, kind) for i, role, kind in members if role != "dso"]
    stated = all(kind != "unspecified" for _, kind in parties)
    if parties and stated and not any(kind in MUNICIPAL_KINDS for _, kind in parties):
        found = ", ".join(f"{show(i)} {kind}" for i, kind in parties[:5])
        more = f" and {len(parties) - 5} more" if len(parties) > 5 else ""
        raise FieldError(
            "members",
            "at least one member must have legal_kind "
            f"{' or '.join(show(k) for k in MUNICIPAL_KINDS)} (a cluster needs a "
            f"municipality or its company), found {found}{more}",
        )
