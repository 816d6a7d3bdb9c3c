"""The prosumer credits folded as readings come (``engine/settlement/credit_fold.py``) equal
the credits of the whole history billed again section by section (the computation they
replace), at any instant, live and on replay (issue 11).

Property: over random histories of two years (readings now and then, some of them partial,
late corrections of earlier ones, trades, changes of regime and members joining and
leaving), ``credits_at`` at every read interval, just after it and at every month's start
equals ``bill_parts`` over every read interval before it, on the live market and on a
replay of its journal."""

from __future__ import annotations

import copy
from datetime import datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder
from engine.config.cluster import cluster_from_document
from engine.market.market import Market
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.settlement.metering import ReadingBatch
from engine.settlement.periods import bill_parts
from tests.engine.market.recording import RecordingJournal
from tests.engine.market.test_membership import joined, left
from tests.engine.settlement.test_carried_credits import WARSAW, L, noon, prosumer_document

FIRST = noon(2026, 1)
DAY = 86_400
BASE = prosumer_document()


def regimes_changed(doc: dict) -> dict:
    """P-1 on net billing at RCEm, P-2 from net metering to net billing at RCE."""
    doc = copy.deepcopy(doc)
    doc["members"][1]["connection_points"][0]["net_billing_price"] = "rcem"
    p2 = doc["members"][2]["connection_points"][0]
    p2 |= {"regime": "net-billing", "net_billing_price": "rce"}
    return doc


VARIANTS = [BASE, regimes_changed(BASE), joined(BASE), left(joined(BASE), "dom-2")]
CLUSTERS = [cluster_from_document(v, "test.toml") for v in VARIANTS]

cell = st.tuples(st.integers(0, 4_000), st.integers(0, 6_000), st.booleans())
steps = st.lists(
    st.tuples(
        st.integers(0, 80),  # days after the step before
        st.integers(0, 95),  # quarter of the day
        st.lists(cell, min_size=4, max_size=4),  # (import, export, read?) per point code
        st.none() | st.integers(0, len(VARIANTS) - 1),  # a change in force from it
        st.none() | st.tuples(st.integers(1, 3_000), st.integers(25_000, 90_000)),  # a trade
        st.none() | st.tuples(st.integers(0, 50), cell),  # a correction of an earlier one
    ),
    min_size=1,
    max_size=12,
)


def history(drawn) -> tuple[Market, RecordingJournal, list[int]]:
    clock, journal = SimulatedClock((FIRST - DAY) * 1_000_000), RecordingJournal()
    m = Market(CLUSTERS[0], clock, journal)
    at, read = FIRST - DAY, []
    for days, quarter, cells, variant, trade, correction in drawn:
        start = at + 4 * L + days * DAY + quarter * L
        start -= (start - FIRST) % L
        clock.advance_to((start - 2 * L) * 1_000_000)
        if variant is not None:
            m.change_cluster("oke", CLUSTERS[variant], start)  # (the same one: refused)
        registry = m.registry_at(start)
        code = m.registry.point_code
        if trade is not None and registry.active[m.registry.member_code["dom-2"]]:
            quantity, price = trade
            m.submit("dom-1", NewOrder(start, code["P-1"], SELL, price, min(quantity, 2_000)))
            m.submit("dom-2", NewOrder(start, code["P-2"], BUY, price, min(quantity, 2_000)))
        clock.advance_to((start + L) * 1_000_000)
        m.close_due_gates()
        owned = [p for p in np.flatnonzero(registry.owner >= 0).tolist() if cells[p][2]]
        record(m, start, owned, [cells[p] for p in owned])
        if correction is not None and read:
            earlier = read[correction[0] % len(read)]
            points = np.flatnonzero(m.registry_at(earlier).owner >= 0).tolist()
            record(m, earlier, points[:1], [correction[1]])
        read.append(start)
        at = start
    return m, journal, read


def record(m: Market, start: int, points: list[int], cells: list[tuple]) -> None:
    if points:
        batch = ReadingBatch(
            np.full(len(points), start, np.int64),
            np.array(points, np.int64),
            np.array([c[0] for c in cells], np.int64),
            np.array([c[1] for c in cells], np.int64),
        )
        assert not hasattr(m.record_readings("oke", batch), "rejects")


def billed_again(state: MarketState, start_s: int):
    """The computation the fold replaces: every read interval before ``start_s`` billed."""
    return bill_parts(state._parts(state.readings.read_before(start_s)), {})[1]


def instants(read: list[int]) -> list[int]:
    """Every read interval, the one after it, and every local month's start in between."""
    first = datetime.fromtimestamp(read[0], WARSAW)
    last = datetime.fromtimestamp(read[-1], WARSAW)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month + 1):
        months.append(int(datetime(year, month, 1, tzinfo=WARSAW).timestamp()))
        year, month = year + month // 12, month % 12 + 1
    return sorted({*read, *(s + L for s in read), *months})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_the_folded_credits_equal_the_history_billed_again_live_and_on_replay(drawn) -> None:
    m, journal, read = history(drawn)
    replayed = MarketState(CLUSTERS[0])
    replayed.replay(journal.events)
    for start in instants(read):
        expected = billed_again(m, start)
        assert m.credits_at(start) == expected
        assert replayed.credits_at(start) == expected


def test_a_history_s_credits_are_summed_as_the_readings_come() -> None:
    """Statements fold the sums (no history billed again): what a reading adds is in the
    sums as soon as it is applied, and a correction replaces what it corrects."""
    cells = [(0, 10_000, True)] * 4
    m, _, read = history([(0, 48, cells, None, None, None), (40, 48, cells, None, None, None)])
    assert m._unfolded == set()
    sections = m._credits._sections
    assert sorted(s.intervals for s in sections.values()) == [1, 1]
    record(m, read[0], [m.registry.point_code["P-1"]], [(10_000, 0, True)])
    assert m._unfolded == set() and sorted(s.intervals for s in sections.values()) == [1, 1]
    assert m.credits_at(read[1] + L) == billed_again(m, read[1] + L)
