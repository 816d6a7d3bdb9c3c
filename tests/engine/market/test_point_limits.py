"""A connection point's orders in one interval are held to its limits together: asks to its
export limit, bids to its import limit, across single orders, batches and replaces; fills
use the limit, cancels free what is left (issue 11, "physical limits per interval")."""

from __future__ import annotations

import numpy as np

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder, OrderBatch
from engine.config.cluster import parse_cluster
from engine.market import events
from engine.market.events import OrderAccepted
from engine.market.market import BatchAccepted, Done, Market
from engine.model.clock import SimulatedClock
from engine.model.rejects import BatchRejected, Reject, Rejected
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal
from tests.engine.market.test_market import GATE, P1, P2, PLN, START, T0

AT = "2026-01-01T01:00:00Z"  # START
EXPORT_WH = 1625  # P-1 exports 6.5 kW: 1,625 Wh in 15 minutes (the numbers)
IMPORT_WH = 3000  # 12 kW


def make_market(continuous: int = 0) -> tuple[Market, SimulatedClock, RecordingJournal]:
    """The small test cluster with dom-1's point P-1 exporting at most 6.5 kW."""
    toml = small_cluster_toml(continuous).replace('max_export_kw = "8"', 'max_export_kw = "6.5"', 1)
    cluster = parse_cluster(toml, source="test.toml")
    clock = SimulatedClock(T0 * 1_000_000)
    journal = RecordingJournal()
    return Market(cluster, clock, journal), clock, journal


def sell(wh: int, start: int = START, cid: str | None = None) -> NewOrder:
    return NewOrder(start, P1, SELL, 300 * PLN, wh, cid)


def buy(wh: int, start: int = START) -> NewOrder:
    return NewOrder(start, P1, BUY, 500 * PLN, wh)


def rows(*orders: NewOrder) -> OrderBatch:
    """A batch of dom-1's orders."""

    def column(name: str) -> np.ndarray:
        return np.array([getattr(o, name) for o in orders], np.int64)

    ids = tuple(o.client_order_id for o in orders)
    cids = None if all(c is None for c in ids) else ids
    return OrderBatch(
        *(column(f) for f in ("interval_start", "point", "side", "price")), column("quantity"), cids
    )


def over(result: object) -> list[tuple[int | None, str]]:
    """The rows a refusal names for the interval limit, with their messages."""
    assert isinstance(result, (Rejected, BatchRejected)), result
    found = result.rows if isinstance(result, BatchRejected) else (result,)
    assert all(r.code == Reject.ABOVE_INTERVAL_LIMIT and r.field == "quantity" for r in found)
    return [(r.row, r.message) for r in found]


def offered(booked: int, asks: int) -> str:
    return (
        f"connection point P-1 may export {EXPORT_WH} Wh in interval {AT}; {booked} Wh are "
        f"already offered or sold, this order asks {asks} Wh"
    )


def test_five_offers_of_the_whole_export_limit_book_only_the_first() -> None:
    market, _, journal = make_market()
    answers = [market.submit("dom-1", sell(EXPORT_WH)) for _ in range(5)]
    assert isinstance(answers[0], Done)
    for refused in answers[1:]:
        assert over(refused) == [(0, offered(EXPORT_WH, EXPORT_WH))]
    assert journal.kinds == ["OrderAccepted"]
    assert market.depth(START) == ([], [(300 * PLN, EXPORT_WH)])


def test_a_refusal_names_the_limit_what_is_booked_and_what_the_order_asks() -> None:
    market, _, _ = make_market()
    assert isinstance(market.submit("dom-1", sell(1300)), Done)
    assert over(market.submit("dom-1", sell(500))) == [(0, offered(1300, 500))]
    assert isinstance(market.submit("dom-1", sell(EXPORT_WH - 1300)), Done)  # up to the limit
    assert over(market.submit("dom-1", sell(1))) == [(0, offered(EXPORT_WH, 1))]
    bid = market.submit("dom-1", buy(IMPORT_WH + 0))
    assert isinstance(bid, Done)  # bids count against the import limit, asks do not
    message = (
        f"connection point P-1 may import {IMPORT_WH} Wh in interval {AT}; {IMPORT_WH} Wh are "
        "already bid or bought, this order bids 1 Wh"
    )
    assert over(market.submit("dom-1", buy(1))) == [(0, message)]
    assert isinstance(market.submit("dom-1", sell(EXPORT_WH, START + 900)), Done)  # next one


def test_an_order_above_the_limit_alone_keeps_its_own_reason() -> None:
    market, _, _ = make_market()
    refused = market.submit("dom-1", sell(EXPORT_WH + 1))
    assert isinstance(refused, Rejected) and refused.code == Reject.QUANTITY_ABOVE_LIMIT


def test_a_batch_is_held_to_the_limit_with_what_is_booked_and_names_every_row_beyond_it() -> None:
    market, _, journal = make_market()
    five = market.submit_batch("dom-1", rows(*[sell(EXPORT_WH)] * 5))
    earlier = [
        offered(0, EXPORT_WH).replace(
            "already offered or sold,",
            f"already offered or sold and {EXPORT_WH * k} Wh asks in earlier rows of this batch,",
        )
        for k in range(1, 5)
    ]
    assert over(five) == list(zip([1, 2, 3, 4], earlier, strict=True))
    assert five.bad_rows == 4 and journal.kinds == []
    assert isinstance(market.submit("dom-1", sell(1000)), Done)
    # 1,000 Wh booked: 400 + 225 fit, the 1 Wh after them does not, the bid and the
    # next interval are other sums.
    batch = rows(sell(400), buy(IMPORT_WH), sell(225), sell(EXPORT_WH, START + 900), sell(1))
    message = offered(1000, 1).replace(
        "already offered or sold,",
        "already offered or sold and 625 Wh asks in earlier rows of this batch,",
    )
    assert over(market.submit_batch("dom-1", batch)) == [(4, message)]
    accepted = market.submit_batch("dom-1", rows(sell(400), buy(IMPORT_WH), sell(225)))
    assert isinstance(accepted, BatchAccepted)


def test_a_batch_names_rows_beyond_the_limit_beside_rows_refused_for_other_reasons() -> None:
    market, _, _ = make_market()
    bad_price = NewOrder(START, P1, SELL, 1 * PLN, 10)
    foreign = NewOrder(START, P2, SELL, 300 * PLN, 10)
    refused = market.submit_batch("dom-1", rows(sell(1000), bad_price, foreign, sell(1000)))
    assert isinstance(refused, BatchRejected)
    assert [(r.row, r.code) for r in refused.rows] == [
        (1, Reject.PRICE_OUT_OF_BAND),
        (2, Reject.NOT_YOUR_CONNECTION_POINT),
        (3, Reject.ABOVE_INTERVAL_LIMIT),
    ]


def test_a_retry_of_booked_orders_is_answered_again_and_not_counted_twice() -> None:
    market, _, _ = make_market()
    assert isinstance(market.submit("dom-1", sell(EXPORT_WH, cid="a")), Done)
    assert market.submit("dom-1", sell(EXPORT_WH, cid="a")) == Done(1, 1, repeat=True)
    batch = rows(sell(EXPORT_WH, cid="a"))
    again = market.submit_batch("dom-1", batch)
    assert isinstance(again, BatchAccepted) and again.repeat
    mixed = market.submit_batch("dom-1", rows(sell(EXPORT_WH, cid="a"), sell(1, cid="b")))
    assert [row for row, _ in over(mixed)] == [1]  # only the new row counts, and it is over


def test_cancelling_frees_what_the_order_had_and_a_replace_frees_the_old_quantity() -> None:
    market, _, _ = make_market()
    assert market.submit("dom-1", sell(1300)) == Done(1, 1)
    assert market.submit("dom-1", sell(325)) == Done(2, 2)
    assert isinstance(market.cancel("dom-1", 2), Done)
    assert isinstance(market.submit("dom-1", sell(325)), Done)  # order 3
    assert isinstance(market.replace("dom-1", 1, price=310 * PLN), Done)  # order 4: same Wh
    assert isinstance(market.replace("dom-1", 4, quantity=1000), Done)  # order 5: less
    message = (
        f"connection point P-1 may export {EXPORT_WH} Wh in interval {AT}; 325 Wh are already "
        "offered or sold besides the order replaced, this order asks 1301 Wh"
    )
    assert over(market.replace("dom-1", 5, quantity=1301)) == [(0, message)]
    assert isinstance(market.replace("dom-1", 5, quantity=1300), Done)
    assert market._point_limits.booked(START, P1, SELL) == EXPORT_WH


def test_in_continuous_trading_what_was_sold_keeps_using_the_limit() -> None:
    market, clock, _ = make_market(continuous=30)
    assert isinstance(market.submit("dom-1", sell(1000)), Done)
    assert isinstance(market.submit("dom-2", NewOrder(START, P2, BUY, 600 * PLN, 600)), Done)
    clock.advance_to((START - 35 * 60) * 1_000_000)  # the auction gate
    market.close_due_gates()
    assert market.result(START).clearing.volume == 600  # sold 600, 400 rest
    assert over(market.submit("dom-1", sell(626))) == [(0, offered(1000, 626))]
    assert isinstance(market.submit("dom-1", sell(625, cid="c")), Done)  # order 3, rests
    assert isinstance(market.submit("dom-2", NewOrder(START, P2, BUY, 600 * PLN, 500)), Done)
    # Order 4 bought the 400 Wh left of order 1 and 100 Wh of order 3; cancelling order 3
    # frees its 525 Wh not sold.
    assert isinstance(market.cancel("dom-1", 3), Done)
    assert market._point_limits.booked(START, P1, SELL) == 1100
    assert over(market.submit("dom-1", sell(526))) == [(0, offered(1100, 526))]
    assert isinstance(market.submit("dom-1", sell(525)), Done)


def test_sums_are_forgotten_once_the_interval_takes_no_more_orders() -> None:
    market, clock, _ = make_market()
    market.submit("dom-1", sell(1000))
    market.submit("dom-1", sell(1000, START + 900))
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    assert not market._point_limits.tracked(START)
    assert market._point_limits.booked(START + 900, P1, SELL) == 1000
    continuous, clock, _ = make_market(continuous=30)
    continuous.submit("dom-1", sell(1000))
    continuous.submit("dom-1", sell(1000, START + 1800))
    clock.advance_to((START - 35 * 60) * 1_000_000)
    continuous.close_due_gates()
    assert continuous._point_limits.booked(START, P1, SELL) == 1000  # trading goes on
    # The next auction gate with orders is START's final gate (30 min of continuous trading).
    clock.advance_to((START + 1800 - 35 * 60) * 1_000_000)
    continuous.close_due_gates()
    assert not continuous._point_limits.tracked(START)
    assert continuous._point_limits.tracked(START + 1800)


def test_an_old_journal_beyond_a_limit_replays_and_the_point_takes_nothing_more() -> None:
    """A journal written before the check may hold more than a point's limit: replay folds
    it as it is (the check is a decision, not an invariant of the fold)."""
    market, _, _ = make_market()
    old = [
        OrderAccepted(
            seq=k,
            ts_us=T0 * 1_000_000,
            client_order_id=None,
            interval_start=START,
            member=1,
            order_id=k,
            point=P1,
            price=300 * PLN,
            quantity=EXPORT_WH,
            side=SELL,
        )
        for k in range(1, 6)
    ]
    stored = [events.decode(e.seq, e.kind, e.ts_us, events.encode(e)) for e in old]
    market.replay(stored)
    assert market.depth(START) == ([], [(300 * PLN, 5 * EXPORT_WH)])
    assert over(market.submit("dom-1", sell(1))) == [(0, offered(5 * EXPORT_WH, 1))]
    assert isinstance(market.cancel("dom-1", 1), Done)
    assert market._point_limits.booked(START, P1, SELL) == 4 * EXPORT_WH


def test_replaying_the_journal_rebuilds_the_same_booked_sums() -> None:
    market, clock, journal = make_market(continuous=30)
    market.submit("dom-1", sell(700))
    market.submit_batch("dom-1", rows(sell(300), buy(2000), sell(200, START + 900)))
    market.replace("dom-1", 1, quantity=900)
    market.cancel("dom-1", 2)
    market.submit("dom-2", NewOrder(START, P2, BUY, 600 * PLN, 400))
    clock.advance_to((START - 35 * 60) * 1_000_000)
    market.close_due_gates()
    market.submit("dom-2", NewOrder(START, P2, BUY, 600 * PLN, 100))
    replayed, _, _ = make_market(continuous=30)
    replayed.replay(journal.events)
    assert replayed._point_limits.sums() == market._point_limits.sums()
    assert market._point_limits.sums() == {
        (START, P1, SELL): 900,
        (START, P1, BUY): 2000,
        (START, P2, BUY): 500,
        (START + 900, P1, SELL): 200,
    }
