"""The first statement after a start: 3 connection points (net billing, net metering) and
11 months of 15-minute readings (one batch a day), then December's statement.

Before, a statement opened with the credits of the whole history billed again, section by
section, on the market's writer (the event loop): the baseline ``billed again`` is that
computation, measured in the same run (December billed on top of the history billed
again). Now the market folds each reading's sums as it applies it
(``engine/settlement/credit_fold.py``): ``statement`` is December's statement of a market
just replayed. Where the cost went: ``replay`` (the journal replayed, the fold of the
whole history once at its end included), ``fold`` (that fold alone), ``one reading``
(one interval's readings applied live, correcting earlier ones: their sums out and in
again). Each case records its ratio
to the baseline in ``extra_info`` (``vs_billed_again``); the baseline runs first.
Run with ``pytest benchmarks/test_bench_credits.py --benchmark-json=credits.json``.
"""

from __future__ import annotations

import functools
from datetime import datetime

import numpy as np
import pytest

from engine.config.cluster import cluster_from_document
from engine.market.market import Market
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.settlement.metering import ReadingBatch
from engine.settlement.periods import bill_parts
from tests.engine.market.recording import RecordingJournal
from tests.engine.settlement.test_carried_credits import WARSAW, L, prosumer_document

SEED = 20261201  # recorded so every run times the same readings
DAY = 96  # intervals
medians: dict[str, float] = {}  # [s] per case, filled as the cases run


def local(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=WARSAW).timestamp())


HISTORY = list(range(local(2026, 1), local(2026, 12), L))  # January to November
DECEMBER = list(range(local(2026, 12), local(2027, 1), L))


def day_batch(rng: np.random.Generator, starts: list[int], codes: list[int]) -> ReadingBatch:
    n = len(starts) * len(codes)
    return ReadingBatch(
        np.repeat(np.array(starts, np.int64), len(codes)),
        np.tile(np.array(codes, np.int64), len(starts)),
        rng.integers(0, 1_500, n, dtype=np.int64),
        rng.integers(0, 1_500, n, dtype=np.int64),
    )


@functools.cache
def journal() -> tuple[tuple, Market]:
    """The events of 11 months of readings and December's, and the live market."""
    rng = np.random.default_rng(SEED)
    clock = SimulatedClock((local(2027, 1) + L) * 1_000_000)
    market = Market(cluster(), clock, (sink := RecordingJournal()))
    codes = sorted(market.registry.point_code.values())
    every = HISTORY + DECEMBER
    for day in range(0, len(every), DAY):
        market.record_readings("oke", day_batch(rng, every[day : day + DAY], codes))
    return tuple(sink.events), market


@functools.cache
def cluster():
    return cluster_from_document(prosumer_document(), "bench.toml")


def replayed() -> MarketState:
    state = MarketState(cluster())
    state.replay(journal()[0])
    return state


def billed_again(state: MarketState) -> None:
    """The computation replaced: the history billed again, then December on top of it."""
    ledger = bill_parts(state._parts(state.readings.read_before(DECEMBER[0])), {})[1]
    bill_parts(state._parts(DECEMBER), ledger)


def one_reading(market: Market, rng: np.random.Generator) -> None:
    """One interval's readings applied live (a correction of November's last), its sums
    taken out and folded again."""
    codes = sorted(market.registry.point_code.values())
    market.record_readings("oke", day_batch(rng, HISTORY[-1:], codes))


def deferred() -> tuple[tuple[MarketState], dict]:
    """A state replayed with the fold not yet done (its setup, untimed)."""
    state = MarketState(cluster())
    state._replaying = True
    state._replay(journal()[0])
    state._replaying = False
    return (state,), {}


CASES = ("billed again", "statement", "replay", "fold", "one reading")


@pytest.mark.parametrize("case", CASES)
def test_first_statement_after_a_start(benchmark, case: str) -> None:
    benchmark.group = "3 points, 11 months of 15-minute readings, then December's statement"
    benchmark.extra_info.update(case=case, intervals=len(HISTORY))
    state = replayed()
    if case == "statement":  # the same credits as the computation it replaces
        before = bill_parts(state._parts(state.readings.read_before(DECEMBER[0])), {})[1]
        assert state.credits_at(DECEMBER[0]) == before
    if case == "fold":
        benchmark.pedantic(MarketState._fold_credits, setup=deferred, rounds=3)
    else:
        run = {
            "billed again": functools.partial(billed_again, state),
            "statement": functools.partial(state.bill_points, DECEMBER),
            "replay": replayed,
            "one reading": functools.partial(
                one_reading, journal()[1], np.random.default_rng(SEED + 1)
            ),
        }[case]
        benchmark.pedantic(run, rounds=3, warmup_rounds=0 if case == "billed again" else 1)
    medians[case] = benchmark.stats.stats.median
    if "billed again" in medians:
        benchmark.extra_info["vs_billed_again"] = medians[case] / medians["billed again"]
