"""Clearing speed against the floor of sorting the same prices.

Every mechanism at 1e3..1e6 orders per side, with per-order fills only (``trades=False``)
and with the trade list, next to ``np.sort`` of the same 2n prices in every kind numpy has
(``np.sort:quicksort`` is the default): the issue's target is each mechanism's fills and the
uniform trade list in at most the time of the fastest of them. Run with
``pytest benchmarks/test_bench_clearing.py --benchmark-json=bench.json`` and print the table
with ``python benchmarks/table.py bench.json``, which divides by the fastest kind of the
same run and names it; the SIMD extensions numpy dispatches to are printed after the run
and recorded with the baseline rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sort_baseline import KINDS, simd_summary

from matching import Book
from matching.clearing import MECHANISMS, clear

SIZES = (10**3, 10**4, 10**5, 10**6)
# Timed rounds per size: enough for a stable median, few at 1e6 (2 cores, long runs).
ROUNDS = {10**3: 200, 10**4: 100, 10**5: 30, 10**6: 15}
BASELINES = tuple(f"np.sort:{kind}" for kind in KINDS)
# "uniform" = per-order fills only, "uniform+trades" = with the trade list.
CASES = (*BASELINES, *(f"{m}{mode}" for m in MECHANISMS for mode in ("", "+trades")))


@pytest.fixture(autouse=True)
def name_the_simd(report: list[str]) -> None:
    line = f"clearing baseline: np.sort of the 2n prices; {simd_summary()}"
    if line not in report:
        report.append(line)


@pytest.mark.parametrize("size", SIZES, ids=lambda n: f"{n:.0e}")
@pytest.mark.parametrize("case", CASES)
def test_clearing(benchmark, random_book: Callable[[int], Book], size: int, case: str) -> None:
    book = random_book(size)
    benchmark.group = f"{size:.0e} orders per side"
    benchmark.extra_info.update(size=size, case=case)
    if case in BASELINES:
        prices = np.concatenate([book.bids.price, book.asks.price])
        kind = case.partition(":")[2]
        benchmark.extra_info["simd"] = simd_summary()
        run, args, kwargs = np.sort, (prices,), {"kind": kind}
    else:
        mechanism, _, mode = case.partition("+")
        run, args, kwargs = clear, (book, mechanism), {"trades": mode == "trades"}
    result = benchmark.pedantic(run, args, kwargs, rounds=ROUNDS[size], warmup_rounds=1)
    if case not in BASELINES:
        assert result.volume > 0  # the generated book really crosses
