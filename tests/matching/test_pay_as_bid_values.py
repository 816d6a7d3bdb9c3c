"""Pay-as-bid values without pairing (``clearing._pay_as_bid_values``) give the
reference's bytes, and are what a book without a member on both sides takes for its fills
and values alone.

A bid pays its own limit, so its value is its fill times its price; an ask's is the bids'
prices integrated over its range of the volume (``merge.ask_values_at_bid_prices``), from
the bids sorted by level alone and the asks in priority order. The books here cover dense
and ranked levels, coarse totals, shuffled sequences (the asks then keep a (sequence,
index) order), bids' keys of 31 bits and wider, and the per-side packing and sorts of a
large book.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, clearing, make_book, merge, pairing
from matching.reference import RATIONING, clear_reference
from matching.units import MAX_SIDE_WH
from tests.matching.test_clearing_properties import DIFFERENTIAL_SETTINGS, books
from tests.matching.test_coarse_levels import book_with_keys_too_wide
from tests.matching.test_merge_path import books_without_shared_members

# The patched kernels stay patched across examples, as they should.
SETTINGS = settings(
    DIFFERENTIAL_SETTINGS,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def bids_keys_seen(monkeypatch: pytest.MonkeyPatch) -> list[np.dtype]:
    """Make every other way to the values fail loudly; record the bids' keys' type."""

    def refuse(*args: object) -> int:
        raise AssertionError("another way to the values ran")

    monkeypatch.setattr(pairing, "pair_walk", refuse)
    monkeypatch.setattr(merge, "merge_sorted", refuse)
    monkeypatch.setattr(merge, "order_values", refuse)
    seen: list[np.dtype] = []
    walk = merge.ask_values_at_bid_prices

    def spy(bids: np.ndarray, *args: object) -> None:
        seen.append(bids.dtype)
        walk(bids, *args)

    monkeypatch.setattr(merge, "ask_values_at_bid_prices", spy)
    return seen


def _scaled(book: Book, factor: int) -> Book:
    """The same book with every quantity times ``factor``, or as much less as keeps each
    side's total within ``MAX_SIDE_WH``."""
    total = max(int(book.bids.quantity.sum()), int(book.asks.quantity.sum()), 1)
    factor = min(factor, MAX_SIDE_WH // total)
    return make_book(
        book.bids.price,
        book.bids.quantity * factor,
        book.asks.price,
        book.asks.quantity * factor,
        bid_sequence=book.bids.sequence,
        ask_sequence=book.asks.sequence,
        bid_member=book.bids.member,
        ask_member=book.asks.member,
    )


@SETTINGS
@given(
    book=books_without_shared_members() | books(shared_members=False),
    rationing=st.sampled_from(RATIONING),
    wide_fills=st.booleans(),
    per_side=st.booleans(),
    coarse=st.booleans(),
)
def test_pay_as_bid_values_without_pairing_give_the_reference_bytes(
    bids_keys_seen: list[np.dtype],
    book: Book,
    rationing: str,
    wide_fills: bool,
    per_side: bool,
    coarse: bool,
) -> None:
    if wide_fills:  # fills of 2**30 Wh and more: the bids' keys need int64
        book = _scaled(book, 1 << 30)
    bids_keys_seen.clear()
    with pytest.MonkeyPatch.context() as patch:  # for this example only
        if per_side:
            patch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)  # sorts on two threads
            patch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
        if coarse:
            patch.setattr(clearing, "COARSE_MIN_LEVELS", 0)
            patch.setattr(clearing, "COARSE_SLOTS", 3)
        result = clearing.clear(book, "pay-as-bid", rationing=rationing, trades=False)
    expected = clear_reference(book, "pay-as-bid", rationing=rationing)
    result.trades = expected.trades  # the digest then covers fills, values and prices
    assert result.digest() == expected.digest()
    if result.volume > 0:  # int32 keys when the rank and the largest fill fit 31 bits
        levels = clearing._levels(book)
        assert levels is not None
        bits = max(levels.count - 1, 1).bit_length() + int(result.bid_filled.max()).bit_length()
        # (two halves and the ask across their cut on its own when per side)
        assert set(bids_keys_seen) == {np.dtype(np.int32 if bits <= 31 else np.int64)}


def test_an_ask_across_many_bid_levels_integrates_their_prices(
    bids_keys_seen: list[np.dtype],
) -> None:
    """Asks of 2,999 Wh meet 1,000 bids of 3 Wh at 1,000 prices: each ask's range ends
    inside a bid, and a bid's range is cut by one ask's end or none."""
    n = 1000
    bid_price = np.arange(1000, 1000 + n)
    book = make_book(bid_price, np.full(n, 3), [0, 1, 1], [2999, 1, 2999], ask_sequence=[5, 9, 0])
    result = clearing.clear(book, "pay-as-bid", trades=False)
    expected = clear_reference(book, "pay-as-bid")
    assert np.array_equal(result.ask_value, expected.ask_value)
    assert np.array_equal(result.bid_value, expected.bid_value)
    assert int(result.ask_value.sum()) == 3 * int(bid_price.sum())
    assert bids_keys_seen == [np.dtype(np.int32)]


def test_keys_too_wide_for_63_bits_take_another_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fill of 8e10 Wh (37 bits), 2,048 asks (11 bits) and 65,536 levels (16 bits) do not
    fit an ask's key: the values come from elsewhere, with the same bytes."""
    book = book_with_keys_too_wide()
    values = clearing._pay_as_bid_values
    returned = []

    def spy(*args: object) -> object:
        result = values(*args)
        returned.append(result)
        return result

    monkeypatch.setattr(clearing, "_pay_as_bid_values", spy)
    result = clearing.clear(book, "pay-as-bid", trades=False)
    assert returned == [None]
    expected = clear_reference(book, "pay-as-bid")
    result.trades = expected.trades
    assert result.digest() == expected.digest()
