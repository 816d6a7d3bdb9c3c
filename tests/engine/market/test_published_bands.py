"""The coordinator's price bands (``Market.publish_bands``, event ``PriceBandsPublished``):
who may publish, what is refused, that orders and settlement use them, and replay."""

from __future__ import annotations

import numpy as np
import pytest

from engine.book.new_orders import NewOrder
from engine.config.cluster import parse_cluster
from engine.market.bands import BandBatch
from engine.market.market import Done, Market
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.model.rejects import BatchRejected, Reject, Rejected
from tests.engine.market.recording import RecordingJournal
from tests.gateway_support import CLUSTER, START, T0

P1 = 1  # dom-1's connection point


def bands(*rows: tuple[int, int, int]) -> BandBatch:
    columns = np.array(rows, np.int64).reshape(-1, 3).T.copy()
    return BandBatch(*columns)


def market() -> tuple[Market, SimulatedClock, RecordingJournal]:
    clock = SimulatedClock(T0 * 1_000_000)
    events = RecordingJournal()
    return Market(parse_cluster(CLUSTER), clock, events), clock, events


def test_a_published_band_overrides_the_clusters_for_orders_and_replays() -> None:
    m, _, events = market()
    assert m.band(START) == (25_000, 90_000)
    assert isinstance(m.publish_bands("oke", bands((START, 20_000, 95_000))), Done)
    assert m.band(START) == (20_000, 95_000)
    assert m.band(START + 900) == (25_000, 90_000)
    assert isinstance(m.submit("dom-1", NewOrder(START, P1, 1, 20_000, 100)), Done)
    refused = m.submit("dom-1", NewOrder(START + 900, P1, 1, 20_000, 100))
    assert isinstance(refused, Rejected) and refused.code == Reject.PRICE_OUT_OF_BAND
    replayed = MarketState(parse_cluster(CLUSTER))
    replayed.replay(events.events)
    assert replayed.band(START) == (20_000, 95_000)


@pytest.mark.parametrize(
    ("member", "rows", "code"),
    [
        ("dom-1", [(START, 1, 2)], Reject.ROLE_FORBIDDEN),
        ("tauron", [(START, 1, 2)], Reject.ROLE_FORBIDDEN),
        ("oke", [(START + 1, 1, 2)], Reject.BAD_INTERVAL),
        ("oke", [(START, 3, 2)], Reject.BAD_VALUE),
        ("oke", [(START, -(10**9), 2)], Reject.BAD_VALUE),
        ("oke", [(START, 1, 2), (START, 1, 2)], Reject.BAD_VALUE),
        ("oke", [(T0, 1, 2)], Reject.INTERVAL_NOT_OPEN),  # its gate closed before T0
        ("oke", [], Reject.EMPTY_BATCH),
    ],
)
def test_a_band_is_refused_whole_and_changes_nothing(
    member: str, rows: list[tuple[int, int, int]], code: Reject
) -> None:
    m, _, events = market()
    result = m.publish_bands(member, bands(*rows))
    assert isinstance(result, BatchRejected) and result.rows[0].code == code
    assert events.events == [] and m.band(START) == (25_000, 90_000)


def test_a_band_is_fixed_once_the_coordinator_closed_the_gate_early() -> None:
    m, _, _ = market()
    assert isinstance(m.close_gate("oke", START), Done)
    result = m.publish_bands("oke", bands((START, 1, 2)))
    assert isinstance(result, BatchRejected)
    assert result.rows[0].code == Reject.INTERVAL_NOT_OPEN
