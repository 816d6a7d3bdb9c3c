"""What a call publishes besides its price: the best unfilled bid and ask, and without a trade
an indicative price between them, on any book and mechanism (books drawn as the clearing
property tests draw them)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import clear, make_book
from matching.mechanisms import MECHANISMS
from matching.published import gap_price, published_book
from tests.matching.test_clearing_properties import books


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    book=books(),
    mechanism=st.sampled_from(MECHANISMS),
    k=st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.0),
)
def test_the_best_unfilled_quotes_and_the_indicative_price_follow_from_the_fills(
    book, mechanism: str, k: float
) -> None:
    result = clear(book, mechanism, k=k, trades=False)
    shown = published_book(book, result, k)
    # the plain reading: among the orders with quantity left, the best price of each side
    bids = [
        p
        for p, q, f in zip(book.bids.price, book.bids.quantity, result.bid_filled, strict=True)
        if f < q
    ]
    asks = [
        p
        for p, q, f in zip(book.asks.price, book.asks.quantity, result.ask_filled, strict=True)
        if f < q
    ]
    assert shown.best_bid == (max(bids) if bids else None)
    assert shown.best_ask == (min(asks) if asks else None)
    if result.volume or not (bids and asks):
        assert shown.indicative is None
    else:
        low, high = sorted((shown.best_bid, shown.best_ask))
        assert low <= shown.indicative <= high
    self_trades = set(book.bids.member.tolist()) & set(book.asks.member.tolist())
    if result.volume and result.price is not None and not self_trades:
        # uniform: the losers lie beyond the price (self-trade prevention may leave an
        # order inside it unfilled)
        assert shown.best_bid is None or shown.best_bid <= result.price
        assert shown.best_ask is None or shown.best_ask >= result.price


def test_without_a_trade_the_indicative_price_is_the_uniform_rule_applied_to_the_gap() -> None:
    book = make_book([300, 250], [10, 10], [401, 500], [10, 10])
    for k, expected in ((0.0, 300), (0.5, 351), (1.0, 401)):  # 350.5 rounds half up
        shown = published_book(book, clear(book, "uniform", k=k), k)
        assert (shown.best_bid, shown.best_ask, shown.indicative) == (300, 401, expected)
    assert gap_price(401, 300, 0.5) == gap_price(300, 401, 0.5)


def test_after_a_trade_the_partly_filled_order_is_the_best_unfilled_one() -> None:
    book = make_book([500, 300], [10, 10], [200], [15])  # the 300 bid gets 5 of its 10 Wh
    shown = published_book(book, clear(book, "uniform", k=0.5), 0.5)
    assert (shown.best_bid, shown.best_ask, shown.indicative) == (300, None, None)
