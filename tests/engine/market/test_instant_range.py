"""The market journals no instant outside 2000-01-01T00:00:00Z <= t < 2100-01-01T00:00:00Z,
whoever calls it (the gateway refuses them first; simulations call the market directly), and
nothing after the journal append can turn an accepted command into a failure."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.market.bands import BandBatch
from engine.market.market import Done
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S, in_range
from engine.model.rejects import BatchRejected, Reject, Rejected
from engine.settlement.metering import ReadingBatch
from tests.engine.market.test_market import P1, P2, make_market

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NEAR_INT64 = INT64_MAX - INT64_MAX % 900  # the last 15-minute start an int64 holds
OUTSIDE = [0, FIRST_INSTANT_S - 900, END_INSTANT_S, 253_402_300_800, NEAR_INT64, INT64_MIN]


def readings(*starts: int, points: tuple[int, ...] = ()) -> ReadingBatch:
    n = len(starts)
    return ReadingBatch(
        np.array(starts, np.int64),
        np.array(points or (P1,) * n, np.int64),
        np.ones(n, np.int64),
        np.zeros(n, np.int64),
    )


@pytest.mark.parametrize("start", OUTSIDE)
def test_a_reading_outside_the_range_is_refused_even_where_start_plus_length_overflows(
    start: int,
) -> None:
    market, _, journal = make_market()
    refused = market.record_readings("tauron", readings(start))
    assert isinstance(refused, BatchRejected), refused
    assert [(r.code, r.field) for r in refused.rows] == [(Reject.BAD_INTERVAL, "interval_start")]
    assert journal.kinds == []


STARTS = st.one_of(
    st.integers(INT64_MIN, INT64_MAX),
    st.integers(-(INT64_MAX // 900), INT64_MAX // 900).map(lambda k: k * 900),  # aligned
    st.integers(FIRST_INSTANT_S // 900 - 2, END_INSTANT_S // 900 + 2).map(lambda k: k * 900),
)


@given(STARTS)
@settings(max_examples=300, deadline=None)
def test_a_reading_is_taken_only_for_a_delivered_interval_start_within_the_range(
    start: int,
) -> None:
    market, clock, journal = make_market()
    now = clock.now_us() // 1_000_000
    answer = market.record_readings("tauron", readings(start))
    delivered = start % 900 == 0 and start + 900 <= now  # exact: Python ints do not overflow
    assert isinstance(answer, Done) == (in_range(start) and delivered)
    assert len(journal.kinds) == int(isinstance(answer, Done))


def test_a_point_twice_in_one_interval_is_found_without_a_combined_key() -> None:
    market, clock, _ = make_market()
    delivered = clock.now_us() // 1_000_000 - 900
    twice = readings(delivered, delivered, points=(P1, P1))
    refused = market.record_readings("tauron", twice)
    assert isinstance(refused, BatchRejected)
    assert [r.field for r in refused.rows] == ["readings"]
    both = readings(delivered, delivered, points=(P1, P2))
    assert isinstance(market.record_readings("tauron", both), Done)


@pytest.mark.parametrize("start", OUTSIDE)
def test_a_band_or_a_gate_closure_outside_the_range_is_refused(start: int) -> None:
    market, _, journal = make_market()
    bands = BandBatch(*(np.array([v], np.int64) for v in (start, 25_000, 90_000)))
    refused = market.publish_bands("oke", bands)
    assert isinstance(refused, BatchRejected)
    assert refused.rows[0].code == Reject.BAD_INTERVAL
    closed = market.close_gate("oke", start)
    assert isinstance(closed, Rejected) and closed.code == Reject.BAD_INTERVAL
    assert journal.kinds == []


def test_a_failing_subscriber_neither_fails_the_command_nor_keeps_the_event_from_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    market, _, journal = make_market()
    heard: list[int] = []

    def broken(event: object) -> None:
        raise RuntimeError("a bug in a subscriber")

    market.subscribe(broken)
    market.subscribe(lambda event: heard.append(event.seq))
    end = END_INSTANT_S - 900
    with caplog.at_level(logging.ERROR, logger="klaster.market"):
        done = market.close_gate("oke", end)
    assert isinstance(done, Done)
    assert heard == [done.seq] and journal.kinds == ["GateClosed"]
    assert "a subscriber failed" in caplog.text
