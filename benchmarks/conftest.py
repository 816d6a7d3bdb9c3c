"""Shared inputs of the benchmarks: seeded random books, built once per size; a running
``klaster serve``; the options of the HTTP ratio and the figures shown after the run."""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from roomy import start_roomy_server

from matching import Book, make_book
from tests.serving import Server, wait_ready

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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``klaster serve`` of the roomy demo cluster (``roomy.py``) on a free loopback port,
    data in ``tmp_path``, ready (kernels compiled); stopped with SIGTERM after the test if it
    still runs."""
    server = start_roomy_server(tmp_path / "data")
    try:
        wait_ready(server)
        yield server
    finally:
        server.stop(signal.SIGTERM)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Sizes of the single-order ratio (``test_bench_http_ratio.py``); smaller for a quick
    look on a busy machine, the defaults for figures worth recording."""
    group = parser.getgroup("klaster HTTP ratio")
    group.addoption("--http-rounds", type=int, default=3, help="closed-loop rounds per server")
    group.addoption(
        "--http-requests", type=int, default=250, help="requests per connection and round"
    )
    group.addoption("--http-open-seconds", type=float, default=10.0, help="open-loop duration [s]")


REPORT = pytest.StashKey[list[str]]()


@pytest.fixture
def report(request: pytest.FixtureRequest) -> list[str]:
    """Lines a benchmark wants shown after the run (capture would swallow a print)."""
    return request.config.stash.setdefault(REPORT, [])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    lines = config.stash.get(REPORT, [])
    if lines:
        terminalreporter.section("benchmark figures")
        for line in lines:
            terminalreporter.write_line(line)
