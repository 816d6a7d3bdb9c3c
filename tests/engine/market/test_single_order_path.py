"""The single-order path (``Market.submit``, the hot path of ``POST /v1/orders``) answers and
journals exactly what the pipeline (``Market.handle``) does for the same command; what it
caches (the version found last, the configured bands, the next gate) follows the changes
that invalidate it; one order refuses a value that is no int64 by its field."""

from __future__ import annotations

import copy
import tomllib
from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book.new_orders import FIELDS, NewOrder, validate_one
from engine.config.cluster import cluster_from_document
from engine.market import events
from engine.market.commands import CancelOrder, SubmitOrders
from engine.market.market import Done, Market
from engine.market.versions import Versions
from engine.model.clock import SimulatedClock
from engine.model.rejects import Reject, Rejected
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
L = 900  # [s] the interval
MEMBERS = ("oke", "dom-1", "dom-2", "tauron", "nobody")

steps = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.integers(-1, 9),  # the interval, in intervals from now
        st.integers(-1, 4),  # the point's code
        st.integers(0, 1),
        st.integers(200, 950),  # [PLN/MWh]
        st.integers(0, 3500),  # [Wh]
        st.sampled_from([None, "a", "b"]),
        st.integers(0, 400),  # [s] the clock moves this much first
        st.booleans(),  # a cancel of the order before this one, instead of an order
    ),
    max_size=40,
)


def market(continuous: int) -> tuple[Market, SimulatedClock, RecordingJournal]:
    doc = tomllib.loads(small_cluster_toml(continuous))
    clock, journal = SimulatedClock(T0 * 1_000_000), RecordingJournal()
    return Market(cluster_from_document(doc, "test.toml"), clock, journal), clock, journal


@settings(max_examples=200, deadline=None)
@given(steps, st.sampled_from([0, 10]))
def test_submit_answers_and_journals_what_the_pipeline_does(script, continuous: int) -> None:
    fast, fast_clock, fast_journal = market(continuous)
    slow, slow_clock, slow_journal = market(continuous)
    for member, ahead, point, side, price, wh, cid, wait, cancel in script:
        for clock in (fast_clock, slow_clock):  # gates close as the clock passes them
            clock.advance(wait * 1_000_000)
        if cancel:
            order_id = max(1, fast.seq)
            assert fast.cancel(member, order_id) == slow.handle(CancelOrder(member, order_id))
            continue
        start = (fast_clock.now_us() // 1_000_000 // L + ahead) * L
        order = NewOrder(start, point, side, price * 100, wh, cid)
        answer = fast.submit(member, order)
        assert answer == slow.handle(SubmitOrders(member, order))
        assert isinstance(answer, Done | Rejected)
    assert journaled(fast_journal) == journaled(slow_journal)
    for start in fast._books:
        assert fast.depth(start) == slow.depth(start)
        fast._books[start].check_invariants()


def journaled(journal: RecordingJournal) -> list[tuple[int, str, int, bytes]]:
    """The journal's rows: seq, kind, timestamp and payload bytes."""
    return [(e.seq, e.kind, e.ts_us, events.encode(e)) for e in journal.events]


def test_an_order_after_a_change_of_bands_is_held_to_the_new_band() -> None:
    doc = tomllib.loads(small_cluster_toml())
    m = Market(cluster_from_document(doc, "test.toml"), SimulatedClock(T0 * 1_000_000))
    start = T0 + 5 * L
    p1 = m.registry.point_code["P-1"]
    assert isinstance(m.submit("dom-1", NewOrder(start, p1, 1, 26_000, 100)), Done)
    changed = copy.deepcopy(doc)
    changed["prices"]["floor_pln_mwh"] = "300.00"
    m.change_cluster("oke", cluster_from_document(changed, "test.toml"), start)
    refused = m.submit("dom-1", NewOrder(start, p1, 1, 26_000, 100))
    assert isinstance(refused, Rejected) and refused.code == Reject.PRICE_OUT_OF_BAND
    assert isinstance(m.submit("dom-1", NewOrder(start, p1, 1, 30_000, 100)), Done)
    before = m.submit("dom-1", NewOrder(start - L, p1, 1, 26_000, 100))  # the old version's
    assert isinstance(before, Done)


@given(
    st.lists(st.integers(-5, 40), min_size=1, max_size=6),
    st.lists(st.integers(-20, 60), max_size=30),
)
def test_the_version_found_last_answers_as_a_search_does(effective, asked) -> None:
    doc = tomllib.loads(small_cluster_toml())
    versions = Versions(cluster_from_document(doc, "test.toml"))
    base = versions.starts[0]
    for k, at in enumerate(effective):
        versions.add(base + at * L, versions.clusters[0])
        for s in [*asked[k:], *asked[:k]]:
            t = base + s * L + s % 3  # on and off the grid
            assert versions.index(t) == max(0, bisect_right(versions.starts, t) - 1)


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 1.0, True])
def test_one_order_names_the_field_that_is_no_int64(name: str, value: object) -> None:
    m, _, _ = market(0)
    good = NewOrder(T0 + 2 * L, 1, 0, 30_000, 100)
    order = NewOrder(**{**{f: getattr(good, f) for f in FIELDS}, name: value})
    args = (1, m.registry, m.calendar, m.band, T0, m.cluster.tick_pln_mwh)
    refused = validate_one(order, *args)
    assert isinstance(refused, Rejected)
    assert (refused.code, refused.field) == (Reject.BAD_VALUE, name)
    edge = NewOrder(**{**{f: getattr(good, f) for f in FIELDS}, name: 2**63 - 1})
    refused = validate_one(edge, *args)  # an int64: refused for what it means, if at all
    assert refused is None or refused.code != Reject.BAD_VALUE
    assert validate_one(good, *args) is None
