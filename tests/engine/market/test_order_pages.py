"""A member's orders page by page: walking every page, with any page size, scan budget and
filter, gives exactly the member's orders, each once, in order id order, and equals
filtering the full list; the same after replaying the journal."""

from __future__ import annotations

import copy
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book.auction import STATUS_NAMES
from engine.book.new_orders import NewOrder, OrderBatch
from engine.market import order_pages
from engine.market.order_pages import scan
from tests.engine.market.test_market import GATE, PLN, START, T0, make_market

MEMBERS = (("dom-1", 1), ("dom-2", 2), ("oke", 0))
STARTS = (START, START + 900, START + 1800)


def walk_scan(ids: np.ndarray, limit: int, keep: Any, budget: int) -> list[int]:
    seen: list[int] = []
    cursor: int | None = 0
    while cursor is not None:
        positions, after = scan(ids, cursor, limit, keep, budget)
        assert len(positions) <= limit
        assert after is None or after > cursor  # every page moves on
        seen += ids[positions].tolist()
        cursor = after
    return seen


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 10_000), unique=True, max_size=300).map(sorted),
    st.integers(0, 2**32),
    st.integers(1, 40),
    st.integers(1, 50),
    st.booleans(),
)
def test_walking_the_scan_gives_every_kept_id_once_in_order(
    ids: list[int], seed: int, limit: int, budget: int, filtered: bool
) -> None:
    column = np.array(ids, np.int64)
    kept = np.random.default_rng(seed).random(len(ids)) < 0.3
    keep = (lambda lo, hi: kept[lo:hi]) if filtered else None
    expected = column[kept].tolist() if filtered else ids
    with mock.patch.object(order_pages, "FIRST_WINDOW", 2):  # several windows per page
        assert walk_scan(column, limit, keep, budget) == expected


def walk(market: Any, member: str, limit: int, start: int | None, status: str | None) -> list:
    rows: list[dict[str, Any]] = []
    cursor: int | None = 0
    while cursor is not None:
        page = market.order_page(member, cursor, limit, start, status)
        assert len(page.orders) <= limit
        assert page.next_cursor is None or page.next_cursor > cursor
        rows += page.orders
        cursor = page.next_cursor
    return rows


def check_pages(market: Any, limit: int) -> None:
    for member, _ in MEMBERS:
        everything = sorted(market.orders(member), key=lambda o: o["order_id"])
        for start in (None, *STARTS):
            for status in (None, *STATUS_NAMES):
                expected = [
                    o
                    for o in everything
                    if start in (None, o["interval_start"]) and status in (None, o["status"])
                ]
                assert walk(market, member, limit, start, status) == expected


order_rows = st.lists(
    st.tuples(st.sampled_from(STARTS), st.integers(0, 1), st.integers(250, 900)),
    min_size=1,
    max_size=6,
)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("one"), st.sampled_from(MEMBERS), order_rows),
        st.tuples(st.just("batch"), st.sampled_from(MEMBERS), order_rows),
        st.tuples(st.just("cancel"), st.sampled_from(MEMBERS), st.integers(1, 40)),
        st.tuples(st.just("replace"), st.sampled_from(MEMBERS), st.integers(1, 40)),
        st.tuples(st.just("tick"), st.integers(0, 40 * 60)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(actions, st.integers(1, 7), st.integers(1, 9), st.sampled_from([0, 30]))
def test_every_page_walk_equals_the_filtered_full_list_also_after_replay(
    script: list, limit: int, budget: int, continuous: int
) -> None:
    market, clock, journal = make_market(continuous=continuous)
    now = T0
    for kind, *args in script:
        if kind in ("one", "batch"):
            (member, point), rows = args
            if kind == "one":  # single-order events: a replay applies them as mixed runs
                for start, side, price in rows:
                    market.submit(member, NewOrder(start, point, side, price * PLN, 100))
            else:
                starts, sides, prices = (np.array(c, np.int64) for c in zip(*rows, strict=True))
                points = np.full(len(rows), point, np.int64)
                quantities = np.full(len(rows), 100, np.int64)
                market.submit_batch(
                    member, OrderBatch(starts, points, sides, prices * PLN, quantities)
                )
        elif kind == "cancel":
            market.cancel(args[0][0], args[1])
        elif kind == "replace":
            market.replace(args[0][0], args[1], price=400 * PLN)
        else:
            now = min(now + args[0], GATE + 1800 + 60)
            clock.advance_to(now * 1_000_000)
            market.close_due_gates()
    with (
        mock.patch.object(order_pages, "SCAN_BUDGET", budget),
        mock.patch.object(order_pages, "FIRST_WINDOW", 2),
    ):
        check_pages(market, limit)
        replayed, _, _ = make_market(continuous=continuous)
        replayed.replay(copy.deepcopy(journal.events))
        replayed.clock.advance_to(clock.now_us())
        check_pages(replayed, limit)


def test_a_page_of_a_long_history_starts_at_the_cursor() -> None:
    market, _, _ = make_market()
    n = 5_000
    batch = OrderBatch(  # 1 Wh asks over the five open intervals: within P-1's limit
        START + 900 * (np.arange(n, dtype=np.int64) % 5),
        np.full(n, 1, np.int64),
        np.ones(n, np.int64),
        np.full(n, 300 * PLN, np.int64),
        np.ones(n, np.int64),
    )
    market.submit_batch("dom-1", batch)
    page = market.order_page("dom-1", after=4_000, limit=3)
    assert [o["order_id"] for o in page.orders] == [4_001, 4_002, 4_003]
    assert page.next_cursor == 4_003
    last = market.order_page("dom-1", after=4_998, limit=3)
    assert [o["order_id"] for o in last.orders] == [4_999, 5_000] and last.next_cursor is None
    assert market.order_page("dom-2", 0, 10).orders == []
    assert market.order_page("nobody", 0, 10).orders == []
