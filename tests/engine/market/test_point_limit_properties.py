"""Properties of the limits per interval under random command sequences (single orders,
batches, replaces, cancels, the clock's and the coordinator's gate closures, with and
without continuous trading): for every interval and connection point, what it sold plus its
active asks stays within its export limit and what it bought plus its active bids within
its import limit; a refusal changes nothing; the interval limit refuses only what would pass
it; the per-order limit keeps its own reason; replaying the journal rebuilds the same sums."""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine.book.auction import ACTIVE, BUY, CANCELLED, CLEARED, CONTINUOUS, SELL
from engine.book.new_orders import NewOrder, OrderBatch
from engine.model.rejects import BatchRejected, Reject, Rejected
from tests.engine.market.test_market import PLN, START, T0
from tests.engine.market.test_point_limits import make_market

MEMBERS = (("dom-1", 1), ("dom-2", 2), ("oke", 0))
TRADERS = st.sampled_from([MEMBERS[0], *MEMBERS])  # dom-1, with the smallest limit, most
STARTS = (START, START + 900)
END = START + 900  # both intervals delivered: every gate has passed

# [Wh]: mostly orders that add up to P-1's 1,625 Wh export limit, some above it alone
QUANTITY = st.integers(1, 900) | st.integers(1, 900) | st.integers(900, 2200)
row = st.tuples(
    st.sampled_from(STARTS),
    st.integers(0, 1),  # side
    st.integers(250, 900),  # price [PLN/MWh]
    QUANTITY,
)
submit = st.tuples(st.just("submit"), TRADERS, row, st.sampled_from([None, "a"]))
batch = st.tuples(st.just("batch"), TRADERS, st.lists(row, min_size=1, max_size=6))
# cancel and replace name one of the member's own orders (by position, newest last)
cancel = st.tuples(st.just("cancel"), TRADERS, st.integers(0, 9))
replace = st.tuples(
    st.just("replace"),
    TRADERS,
    st.integers(0, 9),
    st.one_of(st.none(), QUANTITY),  # the new quantity [Wh], or the old one
)
tick = st.tuples(st.just("tick"), st.integers(0, 20 * 60))  # seconds forward
close = st.tuples(st.just("close"), st.sampled_from(STARTS))  # the coordinator, early
commands = st.lists(
    st.one_of(submit, submit, submit, batch, batch, cancel, replace, replace, tick, close),
    min_size=4,
    max_size=30,
)


def used(market) -> dict[tuple[int, int, int], int]:
    """What each (interval, point, side) uses of its limit, from the books, the auction's
    fills and the continuous trades (not from the sums the market keeps): an active order's
    quantity, what a cleared or continuous order filled and what of it still rests, what a
    cancelled continuous order filled before it was cancelled."""
    out: dict[tuple[int, int, int], int] = defaultdict(int)
    for start, book in market._books.items():
        result = market.result(start)
        resting = market._continuous.get(start)
        traded: dict[int, int] = defaultdict(int)
        for f in market.continuous_fills(start):
            traded[f.buyer_order_id] += f.quantity
            traded[f.seller_order_id] += f.quantity
        o = book.orders
        columns = (o[name].tolist() for name in ("order_id", "point", "side", "quantity", "status"))
        for order_id, point, side, quantity, status in zip(*columns, strict=True):
            if status == ACTIVE:
                wh = quantity
            else:
                wh = traded[order_id]
                if status == CLEARED:
                    wh += result.filled(order_id)
                if status in (CLEARED, CONTINUOUS) and resting is not None:
                    wh += resting.remaining(order_id)
                assert status in (CANCELLED, CLEARED, CONTINUOUS)
            if wh:
                out[(start, point, side)] += wh
    return dict(out)


def own_order(market, member: str, k: int) -> int:
    """The member's ``k``-th order that may still change, counted from its newest (else
    its newest order, else an id nobody has)."""
    orders = market.orders(member)
    ids = [o["order_id"] for o in orders if o["status"] in ("active", "continuous")]
    ids = ids or [o["order_id"] for o in orders[-1:]]
    return ids[-1 - k % len(ids)] if ids else 10**6


def limit(market, point: int, side: int) -> int:
    registry = market.registry
    return int((registry.max_import_wh if side == BUY else registry.max_export_wh)[point])


def snapshot(market) -> tuple:
    """What anyone can see, and the sums the market keeps."""
    orders = tuple(tuple(map(str, market.orders(m))) for m, _ in MEMBERS)
    depth = tuple(str(market.depth(s)) for s in STARTS)
    return orders, depth, market._point_limits.sums(), market.seq


def check_limits(market) -> None:
    """Every (interval, point, side) within its limit; the kept sums equal what is used
    while the interval still takes orders."""
    now = used(market)
    for (start, point, side), wh in now.items():
        assert wh <= limit(market, point, side), (start, point, side, wh)
    kept = market._point_limits
    for (start, point, side), wh in kept.sums().items():
        assert now.get((start, point, side), 0) == wh
    for key, wh in now.items():
        if kept.tracked(key[0]):
            assert kept.booked(*key) == wh


@settings(max_examples=400, deadline=None)
@given(commands, st.sampled_from([0, 30]))
def test_no_sequence_of_commands_books_more_than_a_point_can_deliver(
    script: list, continuous: int
) -> None:
    market, clock, journal = make_market(continuous=continuous)
    now = T0
    for command in script:
        market.close_due_gates()  # time, not the command, closes gates: catch up first
        before = snapshot(market)
        sums_before = used(market)
        kind, *args = command
        if kind == "submit":
            (member, point), (start, side, price, quantity), cid = args
            order = NewOrder(start, point, side, price * PLN, quantity, cid)
            outcome = market.submit(member, order)
            if isinstance(outcome, Rejected) and quantity > limit(market, point, side):
                assert outcome.code != Reject.ABOVE_INTERVAL_LIMIT  # the order alone is over
            if isinstance(outcome, Rejected) and outcome.code == Reject.ABOVE_INTERVAL_LIMIT:
                booked = sums_before.get((start, point, side), 0)
                assert booked + quantity > limit(market, point, side)
                assert f"; {booked} Wh are already" in outcome.message
        elif kind == "batch":
            (member, point), rows = args
            columns = list(zip(*rows, strict=True))
            outcome = market.submit_batch(
                member,
                OrderBatch(
                    np.array(columns[0], np.int64),
                    np.full(len(rows), point, np.int64),
                    np.array(columns[1], np.int64),
                    np.array(columns[2], np.int64) * PLN,
                    np.array(columns[3], np.int64),
                ),
            )
        elif kind == "cancel":
            outcome = market.cancel(args[0][0], own_order(market, args[0][0], args[1]))
        elif kind == "replace":
            member, order_id, quantity = args[0][0], own_order(market, args[0][0], args[1]), args[2]
            old = {o["order_id"]: o for o in market.orders(member)}.get(order_id)
            outcome = market.replace(member, order_id, quantity=quantity)
            if isinstance(outcome, Rejected) and outcome.code == Reject.ABOVE_INTERVAL_LIMIT:
                point = market.registry.point_code[old["point"]]
                side = BUY if old["side"] == "buy" else SELL
                key = (old["interval_start"], point, side)
                others = sums_before.get(key, 0) - old["quantity"]
                assert others + quantity > limit(market, point, side)
        elif kind == "close":
            outcome = market.close_gate("oke", args[0])
        else:
            now = min(now + args[0], END)
            clock.advance_to(now * 1_000_000)
            market.close_due_gates()
            outcome = None
        refused = isinstance(outcome, (Rejected, BatchRejected))
        over = refused and any(
            r.code == Reject.ABOVE_INTERVAL_LIMIT
            for r in (outcome.rows if isinstance(outcome, BatchRejected) else (outcome,))
        )
        reason = ""
        if refused:
            first = outcome.rows[0] if isinstance(outcome, BatchRejected) else outcome
            reason = first.code.name
        event(f"{kind} {'over the limit' if over else 'refused ' + reason if refused else 'done'}")
        if refused:
            assert snapshot(market) == before  # a refusal changes nothing
        check_limits(market)
    clock.advance_to(max(now, END) * 1_000_000)
    market.close_due_gates()
    check_limits(market)
    replayed, _, _ = make_market(continuous=continuous)
    replayed.replay(copy.deepcopy(journal.events))
    replayed.clock.advance_to(clock.now_us())
    assert snapshot(replayed) == snapshot(market)
    assert used(replayed) == used(market)
