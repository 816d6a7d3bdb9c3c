"""Gains from trade at the orders' limit prices: the maximum of a book against a plain walk,
and allocative efficiency of every mechanism: within [0, 1], 1 for uniform clearing without
self-trades, below 1 where trade reduction drops a trade with gains."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Book, ClearingResult, clear, make_book
from matching.reference import MECHANISMS, RATIONING
from matching.surplus import efficiency, max_surplus, realised_surplus
from tests.matching.test_clearing_properties import SETTINGS, books, without_members


def walk_reference(book: Book) -> int:
    """The maximum surplus by walking the sorted sides order by order in Python ints."""
    bids = sorted(
        zip(book.bids.price.tolist(), book.bids.quantity.tolist(), strict=True), key=lambda o: -o[0]
    )
    asks = sorted(zip(book.asks.price.tolist(), book.asks.quantity.tolist(), strict=True))
    surplus, i, j = 0, 0, 0
    bid_left = bids[0][1] if bids else 0
    ask_left = asks[0][1] if asks else 0
    while i < len(bids) and j < len(asks) and bids[i][0] > asks[j][0]:
        step = min(bid_left, ask_left)
        surplus += step * (bids[i][0] - asks[j][0])
        bid_left, ask_left = bid_left - step, ask_left - step
        if bid_left == 0 and (i := i + 1) < len(bids):
            bid_left = bids[i][1]
        if ask_left == 0 and (j := j + 1) < len(asks):
            ask_left = asks[j][1]
    return surplus


def maximum(book: Book) -> int:
    return max_surplus(book.bids.price, book.bids.quantity, book.asks.price, book.asks.quantity)


def realised(book: Book, result: ClearingResult) -> int:
    return realised_surplus(book.bids.price, result.bid_filled, book.asks.price, result.ask_filled)


@given(book=books())
@settings(SETTINGS, max_examples=300)
def test_the_maximum_surplus_equals_a_walk_down_the_demand_and_up_the_supply_curve(
    book: Book,
) -> None:
    assert maximum(book) == walk_reference(book)


@given(book=books(), mechanism=st.sampled_from(MECHANISMS), rationing=st.sampled_from(RATIONING))
@SETTINGS
def test_every_mechanism_realises_between_nothing_and_the_maximum_surplus(
    book: Book, mechanism: str, rationing: str
) -> None:
    result = clear(book, mechanism, rationing=rationing)
    best = maximum(book)
    assert 0 <= realised(book, result) <= best
    ratio = efficiency(realised(book, result), best)
    assert ratio is None if best == 0 else 0 <= ratio <= 1


@given(book=books(), k=st.floats(0, 1), rationing=st.sampled_from(RATIONING))
@SETTINGS
def test_uniform_clearing_realises_the_maximum_surplus_of_any_book_without_self_trades(
    book: Book, k: float, rationing: str
) -> None:
    book = without_members(book)  # rationing: the marginal level has one price either way
    result = clear(book, "uniform", k=k, rationing=rationing)
    assert realised(book, result) == maximum(book)
    assert efficiency(realised(book, result), maximum(book)) in (None, 1)


def test_uniform_clearing_falls_below_the_maximum_when_self_trade_prevention_removes_volume() -> (
    None
):
    # Member 1 would buy its own 10 Wh: prevention leaves no volume; the maximum counts it.
    book = make_book([300], [10], [100, 200], [10, 5], bid_member=[1], ask_member=[1, 2])
    result = clear(book, "uniform")
    assert result.volume == 0
    assert maximum(book) == 2_000
    assert efficiency(realised(book, result), maximum(book)) == 0


@given(book=books(), rationing=st.sampled_from(RATIONING))
@SETTINGS
def test_trade_reduction_loses_surplus_whenever_it_drops_a_trade_with_gains(
    book: Book, rationing: str
) -> None:
    book = without_members(book)
    uniform = clear(book, "uniform", rationing=rationing)
    reduced = clear(book, "trade-reduction", rationing=rationing)
    assert realised(book, reduced) <= realised(book, uniform)
    # every Wh of the uniform volume gains at least b* - a* > 0, so less volume loses surplus
    if reduced.volume < uniform.volume and _marginal_gain(book, uniform) > 0:
        assert realised(book, reduced) < maximum(book)


def _marginal_gain(book: Book, uniform: ClearingResult) -> int:
    """b* - a*: the lowest filled bid's price less the highest filled ask's [tick]."""
    if uniform.volume == 0:
        return 0
    b_star = int(book.bids.price[uniform.bid_filled > 0].min())
    a_star = int(book.asks.price[uniform.ask_filled > 0].max())
    return b_star - a_star


def test_trade_reduction_that_drops_the_marginal_pair_realises_four_fifths() -> None:
    book = make_book([300, 250], [1, 1], [100, 200], [1, 1])  # gains 200 and 50
    result = clear(book, "trade-reduction")
    assert result.volume == 1
    assert efficiency(realised(book, result), maximum(book)) == Fraction(4, 5)


def test_sums_beyond_int64_are_exact() -> None:
    huge = 9 * 10**10  # MAX_SIDE_WH
    best = max_surplus([10**8], [huge], [-(10**8)], [huge])
    assert best == huge * 2 * 10**8 > np.iinfo(np.int64).max
    assert realised_surplus([10**8], [huge], [-(10**8)], [huge]) == best
