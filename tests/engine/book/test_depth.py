"""The interval book's depth: queued deltas merged on read (one by one into a deep book, or
by a rebuild) always equal the sums of the active orders, also when the queues of single
orders (the depth's deltas, the columns' waiting rows) fill up between reads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book import auction
from engine.book.auction import IntervalBook
from engine.model import columns

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.lists(
                st.tuples(st.integers(0, 1), st.integers(1, 60), st.integers(1, 9)),
                min_size=1,
                max_size=30,
            ),
        ),
        st.tuples(st.just("one"), st.integers(0, 1), st.integers(1, 60), st.integers(1, 9)),
        st.tuples(st.just("cancel"), st.integers(0, 200)),
        st.just(("read",)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_depth_equals_the_active_orders_whatever_the_order_of_writes_and_reads(script) -> None:
    run(script)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_depth_and_columns_hold_when_their_queues_fill_up_between_reads(script) -> None:
    with pytest.MonkeyPatch.context() as patch:  # merged every 3 entries, not thousands
        patch.setattr(auction, "PENDING_LIMIT", 3)
        patch.setattr(columns, "PENDING_ROWS", 3)
        run(script)


def run(script: list[tuple]) -> None:
    """Play ``script`` on a new book, checking the invariants at every read and at the end."""
    book = IntervalBook(0)
    next_id = 1
    for op in script:
        if op[0] == "add":
            rows = np.array(op[1], np.int64)
            n = rows.shape[0]
            ids = np.arange(next_id, next_id + n, dtype=np.int64)
            book.add(
                ids,
                np.zeros(n, np.int64),
                np.zeros(n, np.int64),
                rows[:, 0],
                rows[:, 1],
                rows[:, 2],
            )
            next_id += n
        elif op[0] == "one":
            book.add_one(next_id, 0, 0, op[1], op[2], op[3])
            next_id += 1
        elif op[0] == "cancel":
            active = book.active_rows()
            if active.size:
                book.cancel(int(active[op[1] % active.size]))
        else:
            book.check_invariants()  # reads the depth: merges what is queued
    book.check_invariants()
    bids, asks = book.depth
    assert all(q > 0 for q in bids.values()) and all(q > 0 for q in asks.values())
