"""Bad input is refused with a clear message: books by ``make_book``, options by the clearers."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from matching import Book, BookError, make_book
from matching.reference import clear_reference
from matching.units import MAX_ABS_PRICE_TICKS, MAX_SIDE_WH

try:
    from matching.clearing import clear
except ImportError as error:  # the kernels are written alongside; skip until they exist
    clear = None
    KERNEL_MISSING = f"matching.clearing cannot be imported: {error!r}"
else:
    KERNEL_MISSING = ""

GOOD = {"bid_price": [50, 40], "bid_quantity": [1, 2], "ask_price": [30], "ask_quantity": [3]}


def book_with(**changes: object) -> Book:
    """A valid two-bid, one-ask book with some arguments replaced."""
    return make_book(**{**GOOD, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"bid_quantity": [1, 0]},
            r"bids\.quantity must be > 0 Wh, was 0 at index 1",
            id="zero quantity",
        ),
        pytest.param(
            {"ask_quantity": [-5]},
            r"asks\.quantity must be > 0 Wh, was -5 at index 0",
            id="negative quantity",
        ),
        pytest.param(
            {"bid_price": [50.0, 40.0]},
            r"bids\.price must hold integers, holds float64",
            id="float prices",
        ),
        pytest.param(
            {"ask_quantity": np.array([3.5])},
            r"asks\.quantity must hold integers, holds float64",
            id="float quantities",
        ),
        pytest.param(
            {"bid_price": [[50, 40]], "bid_quantity": [[1, 2]]},
            r"bids\.price must be a 1-D array, has 2 dimensions",
            id="a 2-D array",
        ),
        pytest.param(
            {"bid_price": 50, "bid_quantity": 1},
            r"bids\.price must be a 1-D array, has 0 dimensions",
            id="a scalar",
        ),
        pytest.param(
            {"bid_quantity": [1, 2, 3]},
            r"bids\.quantity has 3 entries, expected 2",
            id="quantities longer than prices",
        ),
        pytest.param(
            {"ask_sequence": [0, 1]},
            r"asks\.sequence has 2 entries, expected 1",
            id="sequences of another length",
        ),
        pytest.param(
            {"bid_member": [7]},
            r"bids\.member has 1 entries, expected 2",
            id="members of another length",
        ),
        pytest.param(
            {"bid_price": [MAX_ABS_PRICE_TICKS + 1, 40]},
            rf"bids\.price must be within \+-{MAX_ABS_PRICE_TICKS} ticks, found 40\.\.100000001",
            id="a price above the absolute limit",
        ),
        pytest.param(
            {"ask_price": [-MAX_ABS_PRICE_TICKS - 1]},
            rf"asks\.price must be within \+-{MAX_ABS_PRICE_TICKS} ticks",
            id="a price below the absolute limit",
        ),
        pytest.param(
            {"bid_price": [50, 40], "band": (45, 100)},
            r"bids\.price must be within the band 45\.\.100 ticks, was 40 at index 1",
            id="a price below the band floor",
        ),
        pytest.param(
            {"ask_price": [130], "band": (0, 100)},
            r"asks\.price must be within the band 0\.\.100 ticks, was 130 at index 0",
            id="a price above the band cap",
        ),
        pytest.param(
            {"band": (100, 0)},
            r"band floor must be <= cap, was 100 > 0",
            id="a band with floor above cap",
        ),
        pytest.param(
            {"bid_quantity": [MAX_SIDE_WH, 1]},
            rf"bids total quantity must be <= {MAX_SIDE_WH} Wh, was larger",
            id="a side total just over the limit",
        ),
        pytest.param(
            {"ask_quantity": [MAX_SIDE_WH + 1]},
            rf"asks total quantity must be <= {MAX_SIDE_WH} Wh",
            id="one order over the side limit",
        ),
        pytest.param(
            # Each fits in int64 but their int64 sum wraps to a negative number.
            {"bid_quantity": [2**62, 2**62]},
            rf"bids total quantity must be <= {MAX_SIDE_WH} Wh",
            id="quantities whose int64 sum would wrap",
        ),
        pytest.param(
            {"bid_quantity": np.array([1, 2**63], dtype=np.uint64)},
            r"bids\.quantity holds values above the int64 range",
            id="uint64 quantities beyond int64",
        ),
        pytest.param(
            {"ask_sequence": np.array([2**64 - 1], dtype=np.uint64)},
            r"asks\.sequence holds values above the int64 range",
            id="uint64 sequences beyond int64",
        ),
    ],
)
def test_make_book_refuses_bad_input_saying_what_was_expected(changes: dict, message: str) -> None:
    with pytest.raises(BookError, match=message):
        book_with(**changes)


def test_book_error_is_a_value_error() -> None:
    assert issubclass(BookError, ValueError)


def test_make_book_accepts_the_limits_themselves() -> None:
    book = book_with(
        bid_price=[MAX_ABS_PRICE_TICKS, -MAX_ABS_PRICE_TICKS],
        bid_quantity=[MAX_SIDE_WH - 1, 1],
        ask_quantity=np.array([MAX_SIDE_WH], dtype=np.uint64),
        band=(-MAX_ABS_PRICE_TICKS, MAX_ABS_PRICE_TICKS),
    )
    assert book.asks.quantity.dtype == np.int64
    assert int(book.bids.quantity.sum()) == MAX_SIDE_WH


def test_make_book_accepts_empty_sides_of_any_dtype() -> None:
    book = book_with(bid_price=[], bid_quantity=[], ask_price=np.array([]), ask_quantity=[])
    assert (len(book.bids), len(book.asks)) == (0, 0)
    assert book.asks.price.dtype == np.int64


CLEARERS = [
    pytest.param(clear_reference, id="reference"),
    pytest.param(
        clear, id="kernel", marks=pytest.mark.skipif(clear is None, reason=KERNEL_MISSING)
    ),
]


@pytest.mark.parametrize("clearer", CLEARERS)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"mechanism": "vickrey"}, r"mechanism must be one of .*'vickrey'", id="mechanism"
        ),
        pytest.param({"mechanism": "Uniform"}, r"mechanism must be one of", id="mechanism case"),
        pytest.param({"rationing": "fifo"}, r"rationing must be one of .*'fifo'", id="rationing"),
        pytest.param({"k": math.nan}, r"k must be in \[0, 1\], was nan", id="k NaN"),
        pytest.param({"k": -0.1}, r"k must be in \[0, 1\], was -0\.1", id="k below 0"),
        pytest.param({"k": 1.5}, r"k must be in \[0, 1\], was 1\.5", id="k above 1"),
        pytest.param({"k": math.inf}, r"k must be in \[0, 1\]", id="k infinite"),
        pytest.param({"k": "0.5"}, r"k must be a number in \[0, 1\], was '0\.5'", id="k a string"),
        pytest.param({"k": True}, r"k must be a number", id="k a bool"),
    ],
)
def test_clearing_refuses_unknown_options(
    clearer: Callable[..., object], options: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        clearer(book_with(), **options)
