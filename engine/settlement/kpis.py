"""Cluster KPIs over a period, from a settlement and the meters it was made from.

Only *complete* intervals count (every member metered, ``Settlement.complete``); the others
are listed in ``Kpis.pending`` and left out of every figure, so a KPI never mixes settled
and pending data. Per interval first, then summed (``engine/DESIGN.md``, "Settlement"):

- local use ``U_t = min(sum_m export_wh, sum_m import_wh)`` [Wh];
- self-sufficiency ``sum U / sum import``; self-consumption ``sum U / sum export``;
- locally traded share ``sum traded / sum import`` (traded = bought Wh = sold Wh);
- average local price [tick] = trade value / traded Wh, at buyer and at seller prices (they
  differ only under trade reduction), against the cap and floor weighted by traded Wh;
- total savings, exact [Wh*tick] and in grosz (rounded once, half to even).

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
    self_sufficiency: Fraction | None  # local use / import
    self_consumption: Fraction | None  # local use / export
    traded_share: Fraction | None  # traded / import
    average_buyer_price: Fraction | None  # [tick]
    average_seller_price: Fraction | None  # [tick]
    average_cap: Fraction | None  # [tick] weighted by traded Wh
    average_floor: Fraction | None  # [tick] weighted by traded Wh
    savings_value: int  # [Wh*tick]
    savings_grosz: int


def kpis(
    settlement: Settlement,
    import_wh: np.ndarray,
    export_wh: np.ndarray,
    floor: np.ndarray,
    cap: np.ndarray,
    tick_pln_mwh: Decimal | str = DEFAULT_TICK_PLN_MWH,
) -> Kpis:
    """Compute the cluster KPIs of ``settlement``'s complete intervals.

    ``import_wh``, ``export_wh`` [Wh] are the (M x T) meters and ``floor``, ``cap`` [tick]
    the (T,) prices that :func:`engine.settlement.settle.settle` was given.
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
    return Kpis(
        intervals=len(done),
        pending=tuple(np.flatnonzero(~settlement.complete).tolist()),
        import_wh=import_total,
        export_wh=export_total,
        local_use_wh=local_use,
        traded_wh=traded_total,
        self_sufficiency=_ratio(local_use, import_total),
        self_consumption=_ratio(local_use, export_total),
        traded_share=_ratio(traded_total, import_total),
        average_buyer_price=_ratio(total(bought_value), traded_total),
        average_seller_price=_ratio(total(sold_value), traded_total),
        average_cap=_ratio(sum(traded[i] * caps[i] for i in done), traded_total),
        average_floor=_ratio(sum(traded[i] * floors[i] for i in done), traded_total),
        savings_value=savings_total,
        savings_grosz=value_to_grosz(savings_total, tick_pln_mwh),
    )


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None
