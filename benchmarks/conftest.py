"""Shared inputs of the benchmarks: seeded random books, built once per size."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from matching import Book, make_book

SEED = 20250515  # recorded so every run times the same books
MAX_TICK = 100_000  # 1000.00 PLN/MWh
# Bids uniform in [10%, 100%] of the band, asks in [0%, 90%]: they meet at the middle, where
# about 5/9 of each side crosses.
BID_LOW, ASK_HIGH = MAX_TICK // 10, MAX_TICK * 9 // 10
MAX_WH = 2_000


@functools.cache
def build_random_book(orders_per_side: int, seed: int = SEED) -> Book:
    """Build a book of ``orders_per_side`` bids and asks, every order its own member.

    Prices [tick] are uniform integers, bids in ``BID_LOW..MAX_TICK`` and asks in
    ``0..ASK_HIGH``; quantities [Wh] uniform in ``1..MAX_WH``. Sequences are the index.
    """
    rng = np.random.default_rng([seed, orders_per_side])
    n = orders_per_side
    return make_book(
        rng.integers(BID_LOW, MAX_TICK, n, endpoint=True, dtype=np.int64),
        rng.integers(1, MAX_WH, n, endpoint=True, dtype=np.int64),
        rng.integers(0, ASK_HIGH, n, endpoint=True, dtype=np.int64),
        rng.integers(1, MAX_WH, n, endpoint=True, dtype=np.int64),
    )


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile or load every kernel before any timing starts."""
    from matching.clearing import warm_up

    warm_up()


@pytest.fixture(scope="session")
def random_book() -> Callable[[int], Book]:
    """The seeded book generator (cached per size across the session)."""
    return build_random_book
