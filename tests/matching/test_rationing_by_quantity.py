"""Pro-rata groups across levels (trade reduction's long side) rationed per quantity give the
reference's bytes.

``matching.kernels._fill_by_quantity`` works out shares and remainders once per quantity
(on sides of at least 16 orders per unit of the largest quantity, all below
``QUANTITY_TABLE``) and breaks the leftover's ties over runs of equal remainders. The books
here are larger than the general property tests' (100 to 300 orders a side) and draw
quantities from a few small values, so that many orders share a remainder and different
quantities tie; in some books a quantity above the table sends the side to the general
path.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Book, make_book
from matching.clearing import clear
from matching.kernels import QUANTITY_TABLE, _kth_largest
from matching.reference import clear_reference

FEW_QUANTITIES = st.sampled_from([1, 2, 3, 4, 6])
LARGE = st.integers(QUANTITY_TABLE, 10 * QUANTITY_TABLE)


@st.composite
def reduced_books(draw: st.DrawFn) -> Book:
    """Bids and asks over 30 ticks that cross in the middle, quantities from a few values,
    now and then one above the table; sequences sometimes shuffled or tied."""
    columns = {}
    with_large = draw(st.integers(0, 4)) == 0
    for side, low in (("bid", 10), ("ask", 0)):
        n = draw(st.integers(100, 300))
        columns[f"{side}_price"] = draw(
            st.lists(st.integers(low, low + 20), min_size=n, max_size=n)
        )
        quantity = FEW_QUANTITIES | LARGE if with_large else FEW_QUANTITIES
        columns[f"{side}_quantity"] = draw(st.lists(quantity, min_size=n, max_size=n))
        kind = draw(st.sampled_from(["index", "shuffled", "tied"]))
        if kind == "shuffled":
            columns[f"{side}_sequence"] = draw(st.permutations(range(n)))
        elif kind == "tied":
            columns[f"{side}_sequence"] = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    return make_book(
        columns["bid_price"],
        columns["bid_quantity"],
        columns["ask_price"],
        columns["ask_quantity"],
        bid_sequence=columns.get("bid_sequence"),
        ask_sequence=columns.get("ask_sequence"),
    )


@settings(max_examples=400, deadline=None)
@given(book=reduced_books(), trades=st.booleans())
def test_trade_reduction_rationed_per_quantity_gives_the_reference_bytes(
    book: Book, trades: bool
) -> None:
    result = clear(book, "trade-reduction", rationing="pro-rata", trades=trades)
    expected = clear_reference(book, "trade-reduction", rationing="pro-rata")
    if not trades:
        result.trades = expected.trades
    assert result.digest() == expected.digest()


def test_equal_remainders_of_different_quantities_share_the_leftover_by_sequence() -> None:
    # Trade reduction: b* = 15, a* = 10; the bids above b* (1, 3, 2 and 4 Wh, 10 in all)
    # share the 5 Wh of the ask below a*. Odd quantities have remainder 5 (of 10), even
    # ones 0: shares 0, 1, 1 and 2 leave 1 Wh for the run of remainder 5, the 1 and 3 Wh
    # bids, and the 3 Wh bid comes first by sequence. 160 bids of 1 Wh below every ask
    # make the side long enough for the table.
    book = make_book(
        [20, 21, 20, 21, 15] + [1] * 160,
        [1, 3, 2, 4, 10] + [1] * 160,
        [5, 10],
        [5, 10],
        bid_sequence=[5, 2, 3, 4, 0] + list(range(6, 166)),
    )
    result = clear(book, "trade-reduction", rationing="pro-rata")
    assert result.bid_filled[:5].tolist() == [0, 2, 1, 2, 0]
    assert result.digest() == clear_reference(book, "trade-reduction").digest()


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 6000),
    bound=st.sampled_from([2, 7, 1000, 1 << 20, 1 << 40]),
    clustered=st.booleans(),
)
def test_the_selection_of_the_leftovers_threshold_is_the_kth_largest(
    data: st.DataObject, n: int, bound: int, clustered: bool
) -> None:
    """The general path's selection (``kernels._kth_largest``: a histogram of the top bits,
    then one bucket partitioned) against a sort, on groups large enough for many buckets,
    with values spread over ``[0, bound)`` or clustered at its top (as trade reduction's
    remainders are when the long side loses little)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    low = bound - max(bound // 50, 1) if clustered else 0
    values = rng.integers(low, bound, n, dtype=np.int64)
    k = data.draw(st.integers(1, n))
    assert _kth_largest(values, k, bound) == np.sort(values)[::-1][k - 1]
