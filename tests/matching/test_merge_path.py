"""The pairing walk as a merge (``matching.merge``) gives the reference's bytes, and is the
path taken for a book in which no member has filled orders on both sides.

Members are drawn so that the two sides never share one, from ranges that either do not
meet (bids below asks) or interleave (even ids buy, odd ids sell: the byte-per-id check);
prices cluster (21 levels, at least 11 orders a side) so that levels hold several orders
and an order's range crosses levels of the other side; sequences are sometimes shuffled
(the (sequence, index) order within a level).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Book, clear, clearing, make_book, merge, pairing
from matching.reference import MECHANISMS, RATIONING, clear_reference

# The monkeypatched walk stays patched across examples, as it should.
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def books_without_shared_members(draw: st.DrawFn) -> Book:
    """A crossing-prone book in which no member is on both sides."""
    interleaved = draw(st.booleans())
    columns = {}
    for side, parity in (("bid", 0), ("ask", 1)):
        n = draw(st.integers(11, 30))  # 21 price levels: dense enough for the merge
        columns[f"{side}_price"] = draw(st.lists(st.integers(90, 110), min_size=n, max_size=n))
        columns[f"{side}_quantity"] = draw(st.lists(st.integers(1, 50), min_size=n, max_size=n))
        ids = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
        if interleaved:
            columns[f"{side}_member"] = [2 * m + parity for m in ids]
        else:
            columns[f"{side}_member"] = [m + 100 * parity for m in ids]
        if draw(st.booleans()):
            columns[f"{side}_sequence"] = draw(st.permutations(range(n)))
    return make_book(
        columns["bid_price"],
        columns["bid_quantity"],
        columns["ask_price"],
        columns["ask_quantity"],
        bid_sequence=columns.get("bid_sequence"),
        ask_sequence=columns.get("ask_sequence"),
        bid_member=columns["bid_member"],
        ask_member=columns["ask_member"],
    )


@pytest.fixture
def no_pairing_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the general walk fail loudly: the merge must do all the work."""

    def refuse(*args: object) -> int:
        raise AssertionError("the general pairing walk ran")

    monkeypatch.setattr(pairing, "pair_walk", refuse)


@SETTINGS
@given(
    book=books_without_shared_members(),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    trades=st.booleans(),
)
def test_the_merge_gives_the_reference_bytes_without_the_general_walk(
    no_pairing_walk: None, book: Book, mechanism: str, rationing: str, trades: bool
) -> None:
    result = clear(book, mechanism, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, rationing=rationing)
    if not trades:
        assert result.trades is None
        result.trades = expected.trades  # the digest then covers fills, values and prices
    assert result.digest() == expected.digest()


def test_a_member_on_both_sides_takes_the_general_walk(no_pairing_walk: None) -> None:
    book = make_book([100, 100], [5, 5], [90, 90], [5, 5], bid_member=[1, 2], ask_member=[2, 3])
    with pytest.raises(AssertionError, match="general pairing walk"):
        clear(book, "pay-as-bid", trades=False)


def test_an_ask_across_many_bid_levels_is_valued_piece_by_piece() -> None:
    """One ask meets 1,000 bids at 1,000 prices: pay-as-bid pays each its own limit."""
    n = 1000
    bid_price = np.arange(1000, 1000 + n)
    book = make_book(bid_price, np.full(n, 3), [0], [3 * n])
    result = clear(book, "pay-as-bid", trades=False)
    assert int(result.ask_value[0]) == 3 * int(bid_price.sum())
    expected = clear_reference(book, "pay-as-bid")
    assert np.array_equal(result.bid_value, expected.bid_value)
    assert np.array_equal(result.ask_value, expected.ask_value)


@SETTINGS
@given(
    book=books_without_shared_members(),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    trades=st.booleans(),
)
@pytest.mark.parametrize("packing", ["both sides in one call", "per side"])
def test_each_packing_of_the_sort_keys_gives_the_reference_bytes(
    packing: str,
    book: Book,
    mechanism: str,
    rationing: str,
    trades: bool,
) -> None:
    """A small book packs both sides' keys in one call (``merge.pack_filled_both``) when
    their sequences are in order; a large one, or one out of order, packs per side."""

    def refuse(*args: object) -> int:
        raise AssertionError(f"packed the other way than {packing}")

    with pytest.MonkeyPatch.context() as patch:  # for this example only
        if packing == "per side":
            patch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)  # every book counts as large
            patch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
            patch.setattr(merge, "pack_filled_both", refuse)
        elif all(np.all(np.diff(side.sequence) >= 0) for side in (book.bids, book.asks)):
            patch.setattr(merge, "pack_filled", refuse)
        result = clear(book, mechanism, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, rationing=rationing)
    if not trades:
        result.trades = expected.trades  # the digest then covers fills, values and prices
    assert result.digest() == expected.digest()


@SETTINGS
@given(
    book=books_without_shared_members(),
    mechanism=st.sampled_from(MECHANISMS),
    rationing=st.sampled_from(RATIONING),
    trades=st.booleans(),
)
def test_a_walk_in_two_halves_gives_the_reference_bytes(
    monkeypatch: pytest.MonkeyPatch, book: Book, mechanism: str, rationing: str, trades: bool
) -> None:
    """A large book's walk runs in two halves at once from a cut at the end of the first
    half of the bids: the same trades in the same rows, and an ask across the cut gets both
    halves' value."""
    cuts = []
    volume_cut = merge.volume_cut

    def spy(*args: object) -> object:
        cuts.append(volume_cut(*args))
        return cuts[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)  # every book counts as large
        patch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
        patch.setattr(clearing, "SPLIT_PASS_MIN_ORDERS", 0)  # and huge
        patch.setattr(merge, "volume_cut", spy)
        result = clear(book, mechanism, rationing=rationing, trades=trades)
    expected = clear_reference(book, mechanism, rationing=rationing)
    if not trades:
        result.trades = expected.trades  # the digest then covers fills, values and prices
    assert result.digest() == expected.digest()
    walked = trades or mechanism == "pair-midpoint"  # (pay-as-bid values need no walk)
    if walked and np.count_nonzero(result.bid_filled) >= 2:
        assert cuts


@pytest.mark.parametrize(
    ("ask_quantity", "across"),
    [([1, 1], "an ask ends at the cut"), ([2], "an ask straddles the cut")],
)
def test_a_walk_cut_in_two_at_an_ask_end_or_inside_an_ask(
    monkeypatch: pytest.MonkeyPatch, ask_quantity: list[int], across: str
) -> None:
    """The cut after the first of two bids of 1 Wh falls at an ask's end or inside one."""
    monkeypatch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)
    monkeypatch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
    n = len(ask_quantity)
    book = make_book(
        [100, 100], [1, 1], [90] * n, ask_quantity, bid_member=[1, 2], ask_member=[3, 4][:n]
    )
    for mechanism in ("uniform", "pay-as-bid", "pair-midpoint"):  # (trade reduction: none)
        result = clear(book, mechanism, trades=True)
        assert result.digest() == clear_reference(book, mechanism).digest(), across
        assert len(result.trades) == 2
    values = clear(book, "pair-midpoint", trades=False)  # the walk for values alone
    assert np.array_equal(values.ask_value, result.ask_value)


def test_one_seller_across_the_cut_is_valued_over_every_bid_it_meets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cluster's PV farm selling to hundreds of households: its one ask spans the whole
    volume, so every bid of both halves is part of its value."""
    monkeypatch.setattr(clearing, "PARALLEL_MIN_ORDERS", 0)
    monkeypatch.setattr(clearing, "AT_ONCE_MAX_ORDERS", 0)  # and no one call
    monkeypatch.setattr(clearing, "SPLIT_PASS_MIN_ORDERS", 0)
    rng = np.random.default_rng(3)
    quantity = rng.integers(1, 4, 500)
    book = make_book(rng.integers(60, 120, 500), quantity, [50], [int(quantity.sum())])
    for mechanism in ("uniform", "pay-as-bid", "pair-midpoint"):
        for trades in (False, True):
            result = clear(book, mechanism, trades=trades)
            expected = clear_reference(book, mechanism)
            if not trades:
                result.trades = expected.trades
            assert result.digest() == expected.digest()
