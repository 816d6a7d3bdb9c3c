"""The figures of ``kpis.json``: the cluster's measures and its register conditions, each
rounded once by one rule.

**The rounding rule.** Every figure is computed exactly (int Wh and grosz, ``Fraction``
ratios and prices) and rounded once, half to even (:func:`matching.units.round_decimal`),
to the decimals of its unit: energy [kWh] and power [kW] 3 (whole Wh, W), money [PLN] 2
(whole grosz), ratios 6 (:data:`matching.units.RATIO_DECIMALS`, as the HTTP API gives them), prices
[PLN/MWh] 2 more than the cluster's tick (as the API gives averages). The API's figures are
rounded by that same rule from the same exact values, so an in-process run and a ``--url``
run of one scenario give the same decimals and the same ``kpis.json`` bytes.

**The measures** (names from ``../shared/domain.md``, "Common measures"; per interval, then
summed over the complete intervals):

- ``import_kwh``, ``export_kwh``: the members' metered grid import and export, summed;
- ``boundary_import_kwh`` = sum max(0, import - export): energy that crossed the cluster's
  boundary inwards after netting inside the cluster; ``boundary_export_kwh`` outwards;
- ``self_sufficiency`` = 1 - boundary import / consumption, consumption = ``load_kwh`` (the
  members' loads); ``members_self_sufficiency`` = 1 - members' import / consumption (each
  member on its own, summed: without netting inside the cluster);
- ``self_consumption`` = 1 - boundary export / generation, generation = PV + dispatchable
  generators; ``members_self_consumption`` likewise with the members' export;
- ``import_covered_locally`` = local use / members' import (the figure earlier reports called
  "self-sufficiency") and ``export_used_locally`` = local use / members' export;
- ``allocative_efficiency`` = realised surplus / maximum surplus of the submitted orders,
  each at the orders' limit prices, per interval then summed (:mod:`matching.surplus`
  defines both), with the two sums as ``surplus_pln`` and ``max_surplus_pln``: savings
  alone cannot rank mechanisms, since the prices members pay each other are transfers;
- ``register``: :func:`register_section`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine import RENEWABLE_SOURCES, register_figures, self_consumption, self_sufficiency
from matching.units import (
    GROSZ_PER_PLN,
    KWH_DECIMALS,
    PLN_DECIMALS,
    RATIO_DECIMALS,
    WH_PER_KWH,
    average_price_decimals,
    round_decimal,
)

KW_PER_MW = 1000


def kwh(wh: int) -> Decimal:
    """Energy [Wh] as kWh, to the Wh."""
    return round_decimal(Fraction(int(wh), WH_PER_KWH), KWH_DECIMALS)


def pln(grosz: int) -> Decimal:
    """Money [grosz] as PLN, to the grosz."""
    return round_decimal(Fraction(int(grosz), GROSZ_PER_PLN), PLN_DECIMALS)


def ratio(value: Fraction | Decimal | None) -> Decimal | None:
    """A ratio [1] to :data:`RATIO_DECIMALS` decimals; None stays None."""
    return None if value is None else round_decimal(value, RATIO_DECIMALS)


def kilo(value: Decimal) -> Decimal:
    """A power [kW] or energy [kWh] given exactly, to the W or Wh."""
    return round_decimal(value, KWH_DECIMALS)


def price(ticks: Fraction | Decimal | None, tick: Decimal) -> Decimal | None:
    """An average price [tick] as PLN/MWh with the tick's decimals + 2; None stays None."""
    if ticks is None:
        return None
    return round_decimal(Fraction(ticks) * Fraction(tick), average_price_decimals(tick))


def measures(k: Any, load_wh: int, generation_wh: int) -> dict[str, Any]:
    """The cluster's measures (module docstring) from the market's KPIs ``k``
    (:class:`agents.sim.market_port.ClusterKpis`) and the members' loads and generation
    [Wh] over the same intervals."""
    return {
        "import_kwh": kwh(k.import_wh),
        "export_kwh": kwh(k.export_wh),
        "local_use_kwh": kwh(k.local_use_wh),
        "boundary_import_kwh": kwh(k.boundary_import_wh),
        "boundary_export_kwh": kwh(k.boundary_export_wh),
        "traded_kwh": kwh(k.traded_wh),
        "self_sufficiency": ratio(self_sufficiency(k.boundary_import_wh, load_wh)),
        "members_self_sufficiency": ratio(self_sufficiency(k.import_wh, load_wh)),
        "import_covered_locally": ratio(k.import_covered_locally),
        "self_consumption": ratio(self_consumption(k.boundary_export_wh, generation_wh)),
        "members_self_consumption": ratio(self_consumption(k.export_wh, generation_wh)),
        "export_used_locally": ratio(k.export_used_locally),
        "traded_share": ratio(k.traded_share),
    }


def register_section(cluster: Any, k: Any, generation_by_source: dict[str, int]) -> dict[str, Any]:
    """The register conditions as figures: the config's (installed capacity, storage,
    expected generation and demand cover, legal conditions:
    :func:`engine.register_figures`), the run's generation by source [Wh] (PV under
    ``"pv"``, generators under theirs) and the market's hourly renewable figures."""
    r = register_figures(cluster)
    generated = sum(generation_by_source.values())
    renewable = sum(wh for s, wh in generation_by_source.items() if s in RENEWABLE_SOURCES)
    unspecified = generation_by_source.get("unspecified", 0)
    return {
        "installed_kw": kilo(r.installed_kw),
        "renewable_kw": kilo(r.renewable_kw),
        "other_source_kw": kilo(r.other_kw),
        "unspecified_source_kw": kilo(r.unspecified_kw),
        "max_installed_kw": kilo(r.installed.threshold * KW_PER_MW),
        "installed_within_limit": r.installed.met,
        "storage_kw": kilo(r.storage_kw),
        "storage_kwh": kilo(r.storage_kwh),
        "storage_share": ratio(r.storage_share.value),
        "min_storage_share": ratio(r.storage_share.threshold),
        "storage_share_met": r.storage_share.met,
        "annual_demand_kwh": kilo(r.annual_demand_kwh),
        "expected_generation_kwh": kilo(r.expected_generation_kwh),
        "demand_cover": ratio(r.demand_cover.value),
        "min_demand_cover": ratio(r.demand_cover.threshold),
        "demand_cover_met": r.demand_cover.met,
        "renewable_share_of_expected_generation": ratio(r.renewable_share.value),
        "min_renewable_share": ratio(r.renewable_share.threshold),
        "renewable_share_met": r.renewable_share.met,
        "generation_kwh": kwh(generated),
        "renewable_generation_kwh": kwh(renewable),
        "unspecified_source_generation_kwh": kwh(unspecified),
        "renewable_share_of_generation": ratio(
            Fraction(renewable, generated) if generated else None
        ),
        "renewable_export_kwh": kwh(k.renewable_export_wh),
        "renewable_local_use_kwh": kwh(k.renewable_local_use_wh),
        "renewable_used_locally": ratio(k.renewable_used_locally),
        "network_below_kv": kilo(r.max_voltage_kv),
        "network": r.network,
        "points_without_voltage": len(r.voltage_unspecified),
        "municipality": r.municipality,
        "municipal_members": list(r.municipal_members),
        "members_without_legal_kind": len(r.legal_kind_unspecified),
    }
