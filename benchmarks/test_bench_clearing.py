"""Clearing speed against the floor of sorting the same prices.

Every mechanism at 1e3..1e6 orders per side, with per-order fills only (``trades=False``)
and with the trade list, next to ``np.sort`` over the same 2n prices: the issue's target is
clearing 1e6 + 1e6 orders in at most the time of that sort. Run with
``pytest benchmarks/ --benchmark-json=bench.json`` and print the table with
``python benchmarks/table.py bench.json``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from matching import Book
from matching.clearing import MECHANISMS, clear

SIZES = (10**3, 10**4, 10**5, 10**6)
# Timed rounds per size: enough for a stable median, few at 1e6 (2 cores, long runs).
ROUNDS = {10**3: 200, 10**4: 100, 10**5: 30, 10**6: 15}
BASELINE = "np.sort"
# "uniform" = per-order fills only, "uniform+trades" = with the trade list.
CASES = (BASELINE, *(f"{m}{mode}" for m in MECHANISMS for mode in ("", "+trades")))


@pytest.mark.parametrize("size", SIZES, ids=lambda n: f"{n:.0e}")
@pytest.mark.parametrize("case", CASES)
def test_clearing(benchmark, random_book: Callable[[int], Book], size: int, case: str) -> None:
    book = random_book(size)
    benchmark.group = f"{size:.0e} orders per side"
    benchmark.extra_info.update(size=size, case=case)
    if case == BASELINE:
        prices = np.concatenate([book.bids.price, book.asks.price])
        run, args, kwargs = np.sort, (prices,), {}
    else:
        mechanism, _, mode = case.partition("+")
        run, args, kwargs = clear, (book, mechanism), {"trades": mode == "trades"}
    result = benchmark.pedantic(run, args, kwargs, rounds=ROUNDS[size], warmup_rounds=1)
    if case != BASELINE:
        assert result.volume > 0  # the generated book really crosses
