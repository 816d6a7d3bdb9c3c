"""Properties of the market under random command sequences: books keep their invariants,
refusals change nothing, clearing conserves energy and keeps limits, and replaying the
journal rebuilds the same state."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine.book.new_orders import NewOrder, OrderBatch
from engine.model.rejects import BatchRejected, Rejected
from tests.engine.market.test_market import GATE, PLN, START, T0, make_market

MEMBERS = (("dom-1", 1), ("dom-2", 2), ("oke", 0))

submit = st.tuples(
    st.just("submit"),
    st.sampled_from(MEMBERS),
    st.sampled_from([START, START + 900]),
    st.integers(0, 1),  # side
    st.integers(240, 910),  # price [PLN/MWh]: some outside the band
    st.integers(-5, 2500),  # quantity [Wh]: some bad, some above the limits
    st.sampled_from([None, "a", "b"]),
)
batch = st.tuples(
    st.just("batch"), st.sampled_from(MEMBERS), st.lists(submit, min_size=1, max_size=5)
)
cancel = st.tuples(st.just("cancel"), st.sampled_from(MEMBERS), st.integers(1, 12))
replace = st.tuples(
    st.just("replace"), st.sampled_from(MEMBERS), st.integers(1, 12), st.integers(250, 900)
)
tick = st.tuples(st.just("tick"), st.integers(0, 60 * 60))  # seconds forward
commands = st.lists(st.one_of(submit, batch, cancel, replace, tick), max_size=25)


def snapshot(market) -> tuple:
    """Everything a member or the operator can see, to compare two markets."""
    orders = tuple(tuple(map(str, market.orders(m))) for m, _ in MEMBERS)
    depth = tuple(str(market.depth(s)) for s in (START, START + 900))
    results = tuple(
        None if market.result(s) is None else market.result(s).clearing.digest()
        for s in (START, START + 900)
    )
    return orders, depth, results


@settings(max_examples=400, deadline=None)
@given(commands, st.sampled_from([0, 30]))
def test_random_commands_keep_the_books_sound_and_replay_to_the_same_market(
    script: list, continuous: int
) -> None:
    market, clock, journal = make_market(continuous=continuous)
    now = T0
    for command in script:
        # Gates the clock has passed close before any command is looked at (time, not the
        # command, moves them), so catch up first: a refusal itself must change nothing.
        market.close_due_gates()
        before = (snapshot(market), len(journal.events))
        kind, *args = command
        if kind == "submit":
            (member, point), start, side, price, quantity, cid = args
            outcome = market.submit(
                member, NewOrder(start, point, side, price * PLN, quantity, cid)
            )
        elif kind == "batch":
            (member, point), rows = args
            outcome = market.submit_batch(
                member,
                OrderBatch(
                    np.array([r[2] for r in rows], np.int64),
                    np.full(len(rows), point, np.int64),
                    np.array([r[3] for r in rows], np.int64),
                    np.array([r[4] * PLN for r in rows], np.int64),
                    np.array([r[5] for r in rows], np.int64),
                ),
            )
        elif kind == "cancel":
            outcome = market.cancel(args[0][0], args[1])
        elif kind == "replace":
            outcome = market.replace(args[0][0], args[1], price=args[2] * PLN)
        else:
            now = min(now + args[0], GATE + 900 + 60)
            clock.advance_to(now * 1_000_000)
            market.close_due_gates()
            outcome = None
        refused = isinstance(outcome, (Rejected, BatchRejected))
        event(f"{kind} {'refused' if refused else 'done'}")
        if refused:
            assert (snapshot(market), len(journal.events)) == before  # refusals change nothing
        for book in market._books.values():
            book.check_invariants()
        check_results(market)
    # Both gates pass in the end, so every example clears.
    clock.advance_to(max(now, GATE + 900 + 60) * 1_000_000)
    market.close_due_gates()
    check_results(market)
    replayed, _, _ = make_market(continuous=continuous)
    replayed.replay(copy.deepcopy(journal.events))
    replayed.clock.advance_to(clock.now_us())
    assert snapshot(replayed) == snapshot(market)
    event(f"cleared intervals: {sum(market.result(s) is not None for s in (START, START + 900))}")


def check_results(market) -> None:
    """Cleared intervals conserve energy and keep every order's quantity and limit."""
    for start in (START, START + 900):
        result = market.result(start)
        if result is None:
            continue
        c = result.clearing
        assert c.bid_filled.sum() == c.ask_filled.sum() == c.volume
        event("an interval traded" if c.volume else "an interval cleared without trades")
        book = market._books[start].orders if start in market._books else None
        if book is None:
            continue
        for ids, fills, value, buying in (
            (result.bid_order_ids, c.bid_filled, c.bid_value, True),
            (result.ask_order_ids, c.ask_filled, c.ask_value, False),
        ):
            rows = np.searchsorted(book["order_id"], ids)
            assert np.all(fills <= book["quantity"][rows])
            filled = fills > 0
            limit = fills[filled] * book["price"][rows][filled]
            # The average price paid (received) is within the buyer's (seller's) limit.
            assert np.all(value[filled] <= limit) if buying else np.all(value[filled] >= limit)
