"""Continuous trading: price-time priority at the resting order's price, no self-trades."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book.continuous import BUY, SELL, ContinuousBook


def test_an_arriving_buy_takes_the_cheapest_asks_first_at_their_prices() -> None:
    book = ContinuousBook()
    assert book.submit(1, member=1, side=SELL, price=50, quantity=3) == []
    assert book.submit(2, member=2, side=SELL, price=40, quantity=2) == []
    fills = book.submit(3, member=3, side=BUY, price=55, quantity=4)
    assert [(f.seller_order_id, f.quantity, f.price) for f in fills] == [(2, 2, 40), (1, 2, 50)]
    assert book.remaining(1) == 1 and 3 not in book
    book.check_invariants()


def test_orders_at_one_price_fill_in_arrival_order() -> None:
    book = ContinuousBook()
    book.submit(1, member=1, side=BUY, price=60, quantity=2)
    book.submit(2, member=2, side=BUY, price=60, quantity=2)
    fills = book.submit(3, member=3, side=SELL, price=60, quantity=3)
    assert [(f.buyer_order_id, f.quantity) for f in fills] == [(1, 2), (2, 1)]
    assert book.depth(BUY) == [(60, 1)]


def test_an_order_that_does_not_cross_rests() -> None:
    book = ContinuousBook()
    book.submit(1, member=1, side=SELL, price=70, quantity=5)
    assert book.submit(2, member=2, side=BUY, price=69, quantity=5) == []
    assert book.depth(BUY) == [(69, 5)] and book.depth(SELL) == [(70, 5)]


def test_an_arriving_order_skips_its_own_members_resting_orders_and_keeps_them() -> None:
    book = ContinuousBook()
    book.submit(1, member=7, side=SELL, price=40, quantity=2)
    book.submit(2, member=8, side=SELL, price=45, quantity=2)
    fills = book.submit(3, member=7, side=BUY, price=50, quantity=3)
    assert [(f.seller_order_id, f.quantity, f.price) for f in fills] == [(2, 2, 45)]
    assert book.remaining(1) == 2  # untouched
    assert book.remaining(3) == 1  # rests, crossed only with its own member
    book.check_invariants()


def test_cancel_returns_what_was_left_and_removes_the_order() -> None:
    book = ContinuousBook()
    book.submit(1, member=1, side=SELL, price=40, quantity=5)
    book.submit(2, member=2, side=BUY, price=40, quantity=2)
    assert book.cancel(1) == 3
    assert book.cancel(1) == 0
    assert book.depth(SELL) == []


orders = st.lists(
    st.tuples(
        st.integers(0, 3),  # member
        st.sampled_from((BUY, SELL)),
        st.integers(40, 50),  # price
        st.integers(1, 5),  # quantity
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(orders)
def test_continuous_trading_conserves_energy_and_respects_limits(book_orders) -> None:
    book = ContinuousBook()
    submitted: dict[int, tuple[int, int, int, int]] = {}
    traded = {}
    for order_id, (member, side, price, quantity) in enumerate(book_orders, start=1):
        submitted[order_id] = (member, side, price, quantity)
        for f in book.submit(order_id, member, side, price, quantity):
            assert f.buyer != f.seller
            assert f.quantity > 0
            b, s = submitted[f.buyer_order_id], submitted[f.seller_order_id]
            assert s[2] <= f.price <= b[2]  # both limits kept
            # The price is the resting order's, i.e. the one that came first.
            resting = b if f.buyer_order_id < f.seller_order_id else s
            assert f.price == resting[2]
            for oid in (f.buyer_order_id, f.seller_order_id):
                traded[oid] = traded.get(oid, 0) + f.quantity
        book.check_invariants()
    for order_id, (_, _, _, quantity) in submitted.items():
        assert traded.get(order_id, 0) + book.remaining(order_id) == quantity
