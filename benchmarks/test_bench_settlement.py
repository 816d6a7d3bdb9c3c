"""Settlement speed: 100,000 members x 96 intervals with 1,000,000 trades.

The issue's target is settling that period in at most 1 s. Two floors measured in the same
run put the figure in proportion: ``np.sum`` over the (M x T) import matrix (one read of one
input) and ``np.add.at`` of the trade quantities into a fresh (M x T) matrix (one of the
four scatters settlement needs). ``settle+key`` settles with a sharing key as well
(``market_then_key``, pro rata: what the trades left shared per interval). Each settlement
case records its ratio to both in
``extra_info`` (``vs_np.sum``, ``vs_np.add.at``); the baselines run first, in file order.
Run with ``pytest benchmarks/test_bench_settlement.py --benchmark-json=settle.json``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from engine.settlement.kpis import kpis
from engine.settlement.settle import PeriodTrades, settle
from engine.settlement.sharing import SharingPlan

SEED = 20250516  # recorded so every run times the same period
MEMBERS, INTERVALS, TRADES = 100_000, 96, 1_000_000
FLOOR, CAP, FEE = 25_000, 90_000, 4_500  # 250, 900 and 45 PLN/MWh at the default tick
ROUNDS = 10
BASELINES = ("np.sum", "np.add.at")
medians: dict[str, float] = {}  # [s] per baseline, filled as the baselines run


@functools.cache
def period() -> tuple[PeriodTrades, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Build the seeded period: trades, import, export, floor, cap and a full meter mask.

    Meters [Wh] are uniform in 0..2000 (up to 8 kW for 15 minutes); trades are uniform over
    intervals and members, 1..1000 Wh at prices between the floor and the cap [tick].
    """
    rng = np.random.default_rng(SEED)
    n = TRADES
    prices = rng.integers(FLOOR, CAP, n, endpoint=True, dtype=np.int64)
    trades = PeriodTrades(
        interval=rng.integers(0, INTERVALS, n, dtype=np.int64),
        buyer=rng.integers(0, MEMBERS, n, dtype=np.int64),
        seller=rng.integers(0, MEMBERS, n, dtype=np.int64),
        quantity=rng.integers(1, 1000, n, endpoint=True, dtype=np.int64),
        buyer_price=prices,
        seller_price=prices,
    )
    shape = (MEMBERS, INTERVALS)
    import_wh = rng.integers(0, 2000, shape, endpoint=True, dtype=np.int64)
    export_wh = rng.integers(0, 2000, shape, endpoint=True, dtype=np.int64)
    floor = np.full(INTERVALS, FLOOR, np.int64)
    cap = np.full(INTERVALS, CAP, np.int64)
    return trades, import_wh, export_wh, floor, cap, np.ones(shape, bool)


def scatter_quantities(trades: PeriodTrades) -> np.ndarray:
    """Sum the trade quantities per buyer cell: one of settlement's four scatters."""
    out = np.zeros(MEMBERS * INTERVALS, np.int64)
    np.add.at(out, trades.buyer * INTERVALS + trades.interval, trades.quantity)
    return out


KEY = SharingPlan(
    "market_then_key", "pro-rata", np.zeros(MEMBERS, np.int64), np.zeros(0, np.int64), None, 30_000
)


@pytest.mark.parametrize("case", (*BASELINES, "settle", "settle+kpis", "settle+key"))
def test_settlement(benchmark, case: str) -> None:
    trades, import_wh, export_wh, floor, cap, metered = period()
    benchmark.group = f"{MEMBERS:,} members x {INTERVALS} intervals, {TRADES:,} trades"
    benchmark.extra_info.update(size=MEMBERS * INTERVALS, case=case)

    def settle_period():
        return settle(trades, import_wh, export_wh, floor, cap, FEE, metered)

    def settle_and_kpis():
        return kpis(settle_period(), import_wh, export_wh, floor, cap)

    run = {
        "np.sum": functools.partial(np.sum, import_wh),
        "np.add.at": functools.partial(scatter_quantities, trades),
        "settle": settle_period,
        "settle+kpis": settle_and_kpis,
        "settle+key": lambda: settle(trades, import_wh, export_wh, floor, cap, FEE, metered, KEY),
    }[case]
    result = benchmark.pedantic(run, rounds=ROUNDS, warmup_rounds=1)
    median = benchmark.stats.stats.median
    if case in BASELINES:
        medians[case] = median
    else:
        benchmark.extra_info.update({f"vs_{b}": median / medians[b] for b in medians})
    if case == "settle":
        assert int(result.bought_wh.sum()) == int(trades.quantity.sum())
    if case == "settle+key":
        assert int(result.shared_in_wh.sum()) == int(result.shared_out_wh.sum()) > 0
        print(f"\nsettle+key: {median * 1e3:.0f} ms, {median / medians['np.sum']:.1f} x np.sum")
