"""The market facade: order validation, idempotency, cancel and replace, gate closure,
continuous trading and replay, on a small cluster read from TOML."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder, OrderBatch, validate_batch, validate_one
from engine.config.cluster import parse_cluster
from engine.market.commands import CancelOrder, CloseGate, ReplaceOrder, SubmitOrders
from engine.market.market import BatchAccepted, Done, Market
from engine.market.state import ReplayMismatch
from engine.model.calendar import IntervalState
from engine.model.clock import SimulatedClock
from engine.model.rejects import BatchRejected, Reject, Rejected
from engine.settlement.metering import ReadingBatch
from matching import clear
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
START = T0 + 3600  # an interval an hour ahead: open at T0
GATE = START - 5 * 60  # gate closure lead of 5 minutes

P1, P2 = 1, 2  # connection point codes of dom-1 and dom-2
PLN = 100  # ticks per PLN/MWh


def make_market(continuous: int = 0) -> tuple[Market, SimulatedClock, RecordingJournal]:
    cluster = parse_cluster(small_cluster_toml(continuous), source="test.toml")
    clock = SimulatedClock(T0 * 1_000_000)
    journal = RecordingJournal()
    return Market(cluster, clock, journal), clock, journal


def order(point: int, side: int, price_pln: int, wh: int, cid: str | None = None) -> OrderBatch:
    return OrderBatch.one(START, point, side, price_pln * PLN, wh, cid)


def codes(result: object) -> list[Reject]:
    assert isinstance(result, (BatchRejected, Rejected)), result
    rows = result.rows if isinstance(result, BatchRejected) else (result,)
    return [r.code for r in rows]


def test_an_accepted_batch_books_every_row_and_updates_the_depth() -> None:
    market, _, journal = make_market()
    batch = OrderBatch(
        np.full(3, START, np.int64),
        np.array([P1, P1, P1], np.int64),
        np.array([SELL, SELL, BUY], np.int64),
        np.array([300, 300, 280], np.int64) * PLN,
        np.array([500, 700, 400], np.int64),
    )
    accepted = market.submit_batch("dom-1", batch)
    assert isinstance(accepted, BatchAccepted)
    assert accepted.order_ids.tolist() == [1, 2, 3]
    assert market.depth(START) == ([(280 * PLN, 400)], [(300 * PLN, 1200)])
    assert journal.kinds == ["OrdersAccepted"]
    market._books[START].check_invariants()


def test_a_batch_with_one_bad_row_books_nothing_and_names_every_bad_row() -> None:
    market, _, journal = make_market()
    batch = OrderBatch(
        np.full(3, START, np.int64),
        np.array([P1, P2, P1], np.int64),
        np.array([SELL, SELL, SELL], np.int64),
        np.array([300, 300, 1000], np.int64) * PLN,
        np.array([500, 500, 0], np.int64),
    )
    rejected = market.submit_batch("dom-1", batch)
    assert isinstance(rejected, BatchRejected)
    assert [(r.row, r.code) for r in rejected.rows] == [
        (1, Reject.NOT_YOUR_CONNECTION_POINT),
        (2, Reject.BAD_QUANTITY),
        (2, Reject.PRICE_OUT_OF_BAND),
    ]
    assert journal.events == []
    assert market.depth(START) == ([], [])


@pytest.mark.parametrize(
    ("member", "batch", "expected"),
    [
        ("nobody", order(P1, SELL, 300, 100), [Reject.UNKNOWN_MEMBER]),
        ("tauron", order(P1, SELL, 300, 100), [Reject.ROLE_FORBIDDEN]),
        ("dom-1", order(7, SELL, 300, 100), [Reject.UNKNOWN_CONNECTION_POINT]),
        ("dom-1", order(P1, 2, 300, 100), [Reject.BAD_SIDE]),
        ("dom-1", order(P1, SELL, 300, -5), [Reject.BAD_QUANTITY]),
        # 8 kW for 15 minutes is 2000 Wh of export, 12 kW 3000 Wh of import.
        ("dom-1", order(P1, SELL, 300, 2001), [Reject.QUANTITY_ABOVE_LIMIT]),
        ("dom-1", order(P1, BUY, 300, 3001), [Reject.QUANTITY_ABOVE_LIMIT]),
        ("dom-1", order(P1, SELL, 249, 100), [Reject.PRICE_OUT_OF_BAND]),
        ("dom-1", order(P1, SELL, 901, 100), [Reject.PRICE_OUT_OF_BAND]),
        ("dom-1", OrderBatch.one(START + 60, P1, SELL, 300 * PLN, 100), [Reject.BAD_INTERVAL]),
        (
            "dom-1",
            OrderBatch.one(T0 + 9 * 900, P1, SELL, 300 * PLN, 100),
            [Reject.INTERVAL_NOT_OPEN],
        ),
        ("dom-1", OrderBatch.one(T0, P1, SELL, 300 * PLN, 100), [Reject.INTERVAL_NOT_OPEN]),
        ("dom-1", order(P1, SELL, 300, 100, cid=""), [Reject.BAD_CLIENT_ORDER_ID]),
    ],
)
def test_an_order_breaking_a_rule_is_refused_with_its_reason(
    member: str, batch: OrderBatch, expected: list[Reject]
) -> None:
    market, _, journal = make_market()
    assert codes(market.submit_batch(member, batch)) == expected
    assert journal.events == []


def test_quantity_at_the_connection_points_limit_is_accepted() -> None:
    market, _, _ = make_market()
    assert isinstance(market.submit_batch("dom-1", order(P1, SELL, 300, 2000)), BatchAccepted)
    assert isinstance(market.submit_batch("dom-1", order(P1, BUY, 250, 3000)), BatchAccepted)


def test_a_repeated_client_order_id_gives_the_same_answer_and_books_nothing_new() -> None:
    market, _, journal = make_market()
    first = market.submit_batch("dom-1", order(P1, SELL, 300, 100, cid="a-1"))
    again = market.submit_batch("dom-1", order(P1, SELL, 300, 100, cid="a-1"))
    assert isinstance(first, BatchAccepted) and isinstance(again, BatchAccepted)
    assert again.order_ids.tolist() == first.order_ids.tolist() == [1]
    assert len(journal.events) == 1
    other = market.submit_batch("dom-1", order(P1, SELL, 301, 100, cid="a-1"))
    assert codes(other) == [Reject.CLIENT_ORDER_ID_CONFLICT]
    # Client ids are per member: another member may use the same one.
    assert isinstance(
        market.submit_batch("dom-2", order(P2, SELL, 300, 100, cid="a-1")), BatchAccepted
    )


def test_cancel_takes_the_order_out_and_only_its_owner_may_cancel_it() -> None:
    market, _, _ = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 100))
    assert codes(market.cancel("dom-2", 1)) == [Reject.UNKNOWN_ORDER]
    assert codes(market.cancel("dom-1", 99)) == [Reject.UNKNOWN_ORDER]
    assert isinstance(market.cancel("dom-1", 1), Done)
    assert market.depth(START) == ([], [])
    assert codes(market.cancel("dom-1", 1)) == [Reject.ORDER_NOT_ACTIVE]


def test_replace_books_the_new_price_as_a_new_order_and_keeps_the_rules() -> None:
    market, _, _ = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 100))
    done = market.replace("dom-1", 1, price=320 * PLN)
    assert isinstance(done, Done) and done.order_id == 2
    assert market.depth(START) == ([], [(320 * PLN, 100)])
    assert codes(market.replace("dom-1", 2, quantity=5000)) == [Reject.QUANTITY_ABOVE_LIMIT]
    assert [o["status"] for o in market.orders("dom-1")] == ["cancelled", "active"]
    market._books[START].check_invariants()


def test_the_gate_clears_the_book_with_the_matching_core_at_gate_closure() -> None:
    market, clock, journal = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500))
    market.submit_batch("dom-2", order(P2, BUY, 500, 1000))
    market.submit_batch("oke", OrderBatch.one(START, 0, BUY, 400 * PLN, 1000))
    clock.advance_to((GATE - 1) * 1_000_000)
    market.close_due_gates()
    assert market.result(START) is None
    expected = clear(market._books[START].auction_book(market._books[START].active_rows())[0])
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    result = market.result(START)
    assert result is not None and result.clearing.digest() == expected.digest()
    assert result.clearing.volume == 1500 and result.clearing.price == 400 * PLN
    assert journal.kinds[-1] == "GateClosed"
    # dom-2 bought 1000 at 400, the operator 500 (rationed): dom-1 sold all 1500.
    assert result.net_positions(4).tolist() == [-500, 1500, -1000, 0]
    assert [o["filled"] for o in market.orders("dom-1")] == [1500]
    assert codes(market.submit_batch("dom-1", order(P1, SELL, 300, 10))) == [
        Reject.INTERVAL_NOT_OPEN
    ]
    assert codes(market.cancel("dom-1", 1)) == [Reject.ORDER_NOT_ACTIVE]


def test_only_the_coordinator_closes_a_gate_early() -> None:
    market, _, _ = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500))
    assert codes(market.close_gate("dom-1", START)) == [Reject.ROLE_FORBIDDEN]
    assert isinstance(market.close_gate("oke", START), Done)
    assert market.result(START) is not None
    assert codes(market.submit_batch("dom-2", order(P2, BUY, 300, 10))) == [
        Reject.INTERVAL_NOT_OPEN
    ]


def test_replaying_the_journal_rebuilds_the_same_state() -> None:
    market, clock, journal = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500, cid="s"))
    market.submit_batch("dom-2", order(P2, BUY, 500, 1000))
    market.replace("dom-2", 2, price=450 * PLN)
    market.submit_batch("oke", OrderBatch.one(START, 0, BUY, 400 * PLN, 1000))
    market.cancel("oke", 4)
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    replayed, _, _ = make_market()
    replayed.replay(journal.events)
    assert replayed.result(START).clearing.digest() == market.result(START).clearing.digest()
    assert replayed.orders("dom-2") == market.orders("dom-2")
    # The replayed market knows the client id too.
    again = replayed.submit_batch("dom-1", order(P1, SELL, 300, 1500, cid="s"))
    assert isinstance(again, BatchAccepted) and again.order_ids.tolist() == [1]


def test_a_journal_whose_clearing_does_not_reproduce_is_refused() -> None:
    market, clock, journal = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500))
    market.submit_batch("dom-2", order(P2, BUY, 500, 1000))
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    tampered = [*journal.events[:-1], msgspec.structs.replace(journal.events[-1], digest="0" * 64)]
    replayed, _, _ = make_market()
    with pytest.raises(ReplayMismatch):
        replayed.replay(tampered)


def test_subscribers_hear_every_applied_event() -> None:
    market, clock, _ = make_market()
    heard: list[str] = []
    unsubscribe = market.subscribe(lambda event: heard.append(event.kind))
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500))
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    unsubscribe()
    market.submit_batch("dom-1", OrderBatch.one(START + 900, P1, SELL, 300 * PLN, 10))
    assert heard == ["OrdersAccepted", "GateClosed"]


def test_continuous_trading_matches_arriving_orders_against_the_auctions_leftovers() -> None:
    market, clock, journal = make_market(continuous=30)
    auction_gate = START - 35 * 60
    market.submit_batch("dom-1", order(P1, SELL, 300, 2000))
    market.submit_batch("dom-2", order(P2, BUY, 600, 1500))
    clock.advance_to(auction_gate * 1_000_000)
    market.close_due_gates()
    assert market.result(START).clearing.volume == 1500
    assert market.depth(START) == ([], [(300 * PLN, 500)])
    accepted = market.submit_batch("oke", OrderBatch.one(START, 0, BUY, 350 * PLN, 800))
    assert isinstance(accepted, BatchAccepted)
    fills = market.continuous_fills(START)
    assert [(f.seller_order_id, f.quantity, f.price) for f in fills] == [(1, 500, 300 * PLN)]
    assert market.depth(START) == ([(350 * PLN, 300)], [])
    assert isinstance(market.cancel("oke", 3), Done)
    replayed, _, _ = make_market(continuous=30)
    replayed.replay(journal.events)
    assert replayed.continuous_fills(START) == fills
    clock.advance_to(GATE * 1_000_000)
    assert codes(market.submit_batch("dom-2", order(P2, BUY, 600, 10))) == [
        Reject.INTERVAL_NOT_OPEN
    ]


def test_a_single_order_follows_the_same_rules_and_events_replay() -> None:
    market, clock, journal = make_market()
    done = market.submit("dom-1", NewOrder(START, P1, SELL, 300 * PLN, 1500, "one"))
    assert isinstance(done, Done) and done.order_id == 1
    assert market.submit("dom-1", NewOrder(START, P1, SELL, 300 * PLN, 1500, "one")) == Done(
        1, 1, repeat=True
    )
    assert codes(market.submit("dom-1", NewOrder(START, P1, SELL, 301 * PLN, 1500, "one"))) == [
        Reject.CLIENT_ORDER_ID_CONFLICT
    ]
    assert codes(market.submit("dom-1", NewOrder(START, P2, SELL, 300 * PLN, 1))) == [
        Reject.NOT_YOUR_CONNECTION_POINT
    ]
    market.submit_batch("dom-2", order(P2, BUY, 500, 1000))
    clock.advance_to(GATE * 1_000_000)
    market.close_due_gates()
    replayed, _, _ = make_market()
    replayed.replay(journal.events)
    assert replayed.result(START).clearing.digest() == market.result(START).clearing.digest()
    assert market.result(START).clearing.volume == 1000


single_orders = st.builds(
    NewOrder,
    interval_start=st.sampled_from([START, START + 60, T0, T0 + 9 * 900, START + 900]),
    point=st.integers(-1, 4),
    side=st.integers(-1, 2),
    price=st.integers(200, 950).map(lambda pln: pln * PLN),
    quantity=st.integers(-1, 3500),
    client_order_id=st.sampled_from([None, "", "x", "y" * 65]),
)


@settings(max_examples=300, deadline=None)
@given(order=single_orders, member=st.sampled_from(["oke", "dom-1", "dom-2", "tauron"]))
def test_the_single_order_path_refuses_exactly_what_a_batch_of_one_refuses(
    order: NewOrder, member: str
) -> None:
    market, _, _ = make_market()
    code = market.registry.member_code[member]
    c = market.cluster
    args = (code, market.registry, market.calendar, c.band, T0, c.tick_pln_mwh)
    single = validate_one(order, *args)
    batch = OrderBatch.one(
        order.interval_start,
        order.point,
        order.side,
        order.price,
        order.quantity,
        order.client_order_id,
    )
    rejects = validate_batch(batch, *args)
    if single is None:
        assert rejects == []
    else:
        assert rejects and (rejects[0].code, rejects[0].message) == (single.code, single.message)


def readings(rows: list[tuple[int, int, int, int]]) -> ReadingBatch:
    columns = list(zip(*rows, strict=True))
    return ReadingBatch(*(np.array(c, np.int64) for c in columns))


def test_meter_readings_settle_the_interval_and_late_corrections_are_adjustments() -> None:
    market, clock, _ = make_market()
    market.submit_batch("dom-1", order(P1, SELL, 300, 1500))
    market.submit_batch("dom-2", order(P2, BUY, 500, 1000))
    clock.advance_to((START + 900) * 1_000_000)  # delivered
    assert market.state(START) == IntervalState.DELIVERED
    assert codes(market.record_readings("dom-1", readings([(START, P1, 0, 1500)]))) == [
        Reject.ROLE_FORBIDDEN
    ]
    early = readings([(START + 900, P1, 0, 1)])
    assert codes(market.record_readings("tauron", early)) == [Reject.READING_NOT_DELIVERED]
    assert isinstance(
        market.record_readings("tauron", readings([(START, 0, 0, 0), (START, P1, 0, 1000)])), Done
    )
    assert market.readings.missing_points(START) == ["P-2"]
    assert market.state(START) == IntervalState.DELIVERED
    # dom-1's own point is metered, so its lines are final although the interval is not.
    early_statement = market.statement("dom-1", START, START + 900)
    assert early_statement.pending == () and early_statement.sold_wh == 1000
    assert market.statement("dom-2", START, START + 900).pending == (0,)
    market.record_readings("tauron", readings([(START, P2, 1200, 0)]))
    assert market.state(START) == IntervalState.SETTLED
    # Excess supply at 300 PLN/MWh sets the price there. dom-1 sold 1000 Wh of its 1500 and
    # exported exactly 1000: no imbalance.
    seller = market.statement("dom-1", START, START + 900)
    assert (seller.sold_wh, seller.shortfall_wh, seller.surplus_wh) == (1000, 0, 0)
    assert seller.sold_value == 1000 * 300 * PLN
    # dom-2 bought 1000 but imported 1200: 200 Wh from the supplier at the cap, and the fee.
    buyer = market.statement("dom-2", START, START + 900)
    assert (buyer.bought_wh, buyer.shortfall_wh) == (1000, 200)
    assert buyer.cost_value == 1000 * 300 * PLN + 1000 * 4500 + 200 * 900 * PLN
    assert buyer.baseline_value == 1200 * 900 * PLN
    assert market.adjustments == []
    # A corrected reading re-settles: the difference is recorded, not overwritten.
    market.record_readings("tauron", readings([(START, P2, 1300, 0)]))
    assert len(market.adjustments) == 1
    start, delta = market.adjustments[0]
    assert start == START and int(delta.shortfall_wh[2, 0]) == 100
    kpis = market.kpis(START, START + 900)
    assert kpis is not None


def test_a_gate_closed_early_is_cleared_once_even_when_continuous_orders_follow() -> None:
    market, clock, journal = make_market(continuous=30)
    assert isinstance(market.close_gate("oke", START), Done)  # no orders at all yet
    assert market.state(START) == IntervalState.CONTINUOUS
    assert isinstance(market.submit_batch("dom-1", order(P1, SELL, 300, 100)), BatchAccepted)
    clock.advance_to((START - 35 * 60) * 1_000_000)  # the auction gate passes
    market.close_due_gates()
    assert journal.kinds.count("GateClosed") == 1
    assert market.depth(START) == ([], [(300 * PLN, 100)])


def test_every_command_runs_through_handle_and_a_stranger_is_a_bug_not_an_answer() -> None:
    market, clock, journal = make_market()
    answers = [
        market.handle(SubmitOrders("dom-1", order(P1, SELL, 300, 1500))),
        market.handle(SubmitOrders("dom-2", NewOrder(START, P2, BUY, 500 * PLN, 1000))),
        market.handle(ReplaceOrder("dom-2", 2, price=450 * PLN)),
        market.handle(CancelOrder("dom-2", 3)),
        market.handle(CloseGate("oke", START)),
    ]
    assert [type(a) for a in answers] == [BatchAccepted, Done, Done, Done, Done]
    assert journal.kinds == [
        "OrdersAccepted",
        "OrderAccepted",
        "OrderReplaced",
        "OrderCancelled",
        "GateClosed",
    ]
    assert [e.seq for e in journal.events] == [1, 2, 3, 4, 5] and market.seq == 5
    with pytest.raises(TypeError, match="not a command: str"):
        market.handle("close the gate")  # type: ignore[arg-type]
    assert market.seq == 5
