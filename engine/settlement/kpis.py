"""Cluster KPIs over a period, from a settlement and the meters it was made from.

Only *complete* intervals count (every member metered, ``Settlement.complete``); the others
are listed in ``Kpis.pending`` and left out of every figure, so a KPI never mixes settled
and pending data. Per interval first, then summed (``engine/DESIGN.md``, "Settlement"), with
``I_t = sum_m import_wh`` and ``E_t = sum_m export_wh`` the members' metered flows [Wh]:

- local use ``U_t = min(E_t, I_t)`` [Wh]: what the members' exports could cover of their
  imports inside the interval (netting inside the cluster);
- boundary import ``B_t = max(0, I_t - E_t) = I_t - U_t`` [Wh]: what crossed the cluster's
  boundary inwards after that netting; boundary export ``X_t = max(0, E_t - I_t)`` [Wh];
- locally covered share of the members' import ``sum U / sum I`` (= 1 - sum B / sum I) and
  locally used share of the members' export ``sum U / sum E``;
- locally traded share ``sum traded / sum I`` (traded = bought Wh = sold Wh);
- average local price [tick] = trade value / traded Wh, at buyer and at seller prices (they
  differ only under trade reduction), against the cap and floor weighted by traded Wh;
- total savings, exact [Wh*tick] and in grosz (rounded once, half to even);
- with the renewable points' export (:class:`~engine.settlement.register.RenewableExport`),
  the hourly renewable figures of :func:`engine.settlement.register.hourly_renewable_use`.

Self-sufficiency and self-consumption as the field names them (the usual definitions)
need the members' consumption and generation behind their meters, which
no meter of the market reads: whoever knows them (a simulation, submetering) computes them
with :func:`self_sufficiency` and :func:`self_consumption` from ``boundary_import_wh`` and
``boundary_export_wh``; with ``import_wh`` and ``export_wh`` instead, the same functions give
the members' own figures, summed (what they would reach without netting inside the cluster).

Ratios and prices are exact ``Fraction``s, None where the denominator is 0. Sums across
members per interval are int64 for energy (exact for fewer than 1.8e9 members, as each cell
is at most ``MAX_CELL_WH``) and split into 32-bit halves for values
(:func:`engine.settlement.settle.exact_column_sums`); sums across intervals are Python ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from engine.settlement.register import RenewableExport, hourly_renewable_use
from engine.settlement.settle import Settlement, SettlementError, exact_column_sums, value_to_grosz
from matching.units import DEFAULT_TICK_PLN_MWH


@dataclass(frozen=True, slots=True)
class Kpis:
    """Cluster KPIs over the complete intervals of a period."""

    intervals: int  # complete intervals counted
    pending: tuple[int, ...]  # intervals left out: some reading missing
    import_wh: int
    export_wh: int
    local_use_wh: int  # sum over intervals of min(export, import)
    traded_wh: int
    boundary_import_wh: int  # sum over intervals of max(0, import - export)
    boundary_export_wh: int  # sum over intervals of max(0, export - import)
    import_covered_locally: Fraction | None  # local use / import
    export_used_locally: Fraction | None  # local use / export
    traded_share: Fraction | None  # traded / import
    average_buyer_price: Fraction | None  # [tick]
    average_seller_price: Fraction | None  # [tick]
    average_cap: Fraction | None  # [tick] weighted by traded Wh
    average_floor: Fraction | None  # [tick] weighted by traded Wh
    savings_value: int  # [Wh*tick]
    savings_grosz: int
    renewable_export_wh: int | None = None  # export of points with a renewable source
    renewable_local_use_wh: int | None = None  # per hour min(renewable export, import)
    renewable_used_locally: Fraction | None = None  # renewable local use / renewable export


def kpis(
    settlement: Settlement,
    import_wh: np.ndarray,
    export_wh: np.ndarray,
    floor: np.ndarray,
    cap: np.ndarray,
    tick_pln_mwh: Decimal | str = DEFAULT_TICK_PLN_MWH,
    renewable: RenewableExport | None = None,
) -> Kpis:
    """Compute the cluster KPIs of ``settlement``'s complete intervals.

    ``import_wh``, ``export_wh`` [Wh] are the (M x T) meters and ``floor``, ``cap`` [tick]
    the (T,) prices that :func:`engine.settlement.settle.settle` was given; ``renewable``, the
    export of the points with a renewable source, adds the hourly renewable figures (else
    they are None).
    """
    shape = settlement.shape
    for name, array, expected in (
        ("import_wh", import_wh, shape),
        ("export_wh", export_wh, shape),
        ("floor", floor, shape[1:]),
        ("cap", cap, shape[1:]),
    ):
        if np.shape(array) != expected:
            raise SettlementError(f"{name} must have shape {expected}, had {np.shape(array)}")
    done = np.flatnonzero(settlement.complete).tolist()
    # Garbage in pending cells may wrap these int64 sums; only complete intervals are read.
    imports = np.asarray(import_wh, np.int64).sum(axis=0).tolist()
    exports = np.asarray(export_wh, np.int64).sum(axis=0).tolist()
    traded = settlement.bought_wh.sum(axis=0).tolist()
    bought_value = exact_column_sums(settlement.bought_value)
    sold_value = exact_column_sums(settlement.sold_value)
    savings = exact_column_sums(settlement.savings_value)
    caps, floors = np.asarray(cap).tolist(), np.asarray(floor).tolist()

    def total(per_interval: list[int]) -> int:
        return sum(per_interval[i] for i in done)

    import_total, export_total, traded_total = total(imports), total(exports), total(traded)
    local_use = sum(min(exports[i], imports[i]) for i in done)
    savings_total = total(savings)
    hourly = (None, None)
    if renewable is not None:
        hourly = hourly_renewable_use(renewable, imports, settlement.complete)
    return Kpis(
        intervals=len(done),
        pending=tuple(np.flatnonzero(~settlement.complete).tolist()),
        import_wh=import_total,
        export_wh=export_total,
        local_use_wh=local_use,
        traded_wh=traded_total,
        boundary_import_wh=import_total - local_use,
        boundary_export_wh=export_total - local_use,
        import_covered_locally=_ratio(local_use, import_total),
        export_used_locally=_ratio(local_use, export_total),
        traded_share=_ratio(traded_total, import_total),
        average_buyer_price=_ratio(total(bought_value), traded_total),
        average_seller_price=_ratio(total(sold_value), traded_total),
        average_cap=_ratio(sum(traded[i] * caps[i] for i in done), traded_total),
        average_floor=_ratio(sum(traded[i] * floors[i] for i in done), traded_total),
        savings_value=savings_total,
        savings_grosz=value_to_grosz(savings_total, tick_pln_mwh),
        renewable_export_wh=hourly[0],
        renewable_local_use_wh=hourly[1],
        renewable_used_locally=None if hourly[0] is None else _ratio(hourly[1], hourly[0]),
    )


def self_sufficiency(imported_wh: int, consumption_wh: int) -> Fraction | None:
    """Return ``1 - min(imported, consumption) / consumption`` [1], None without consumption.

    Self-sufficiency as the field uses it (the usual definition):
    with ``imported_wh`` the boundary import it is the cluster's, with the sum of the members'
    grid imports the members' own (summed). ``consumption_wh`` [Wh] is the members' final
    consumption (their loads, storage charging not included, as the field counts it). Only
    storage charged from outside beyond the consumption could make the import exceed it;
    the figure is then 0, never negative.
    """
    if consumption_wh <= 0:
        return None
    return 1 - Fraction(min(imported_wh, consumption_wh), consumption_wh)


def self_consumption(exported_wh: int, generation_wh: int) -> Fraction | None:
    """Return ``1 - min(exported, generation) / generation`` [1], None without generation.

    Self-consumption as the field uses it: the share of the members' generation [Wh]
    consumed inside, with ``exported_wh`` the boundary export (the cluster's) or the sum of
    the members' grid exports (the members' own, summed); 0, never negative, should storage
    export more than was generated.
    """
    if generation_wh <= 0:
        return None
    return 1 - Fraction(min(exported_wh, generation_wh), generation_wh)


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None
