"""A call-auction book in columns: the validated input of every clearing mechanism.

A book has two sides, bids (buy) and asks (sell). Each side holds four int64 columns of one
length: limit ``price`` [tick], ``quantity`` [Wh], arrival ``sequence`` and ``member`` id.
Orders are referred to by their index in their side. Validation happens here, once, so the
kernels may trust their input: 1-D integer arrays of equal length, quantity > 0, the side's
total quantity at most ``MAX_SIDE_WH``, ``|price| <= MAX_ABS_PRICE_TICKS`` and, when a band
is given, ``floor <= price <= cap``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.units import MAX_ABS_PRICE_TICKS, MAX_SIDE_WH


class BookError(ValueError):
    """A book that no mechanism may clear; the message says what was expected and found."""


def _int64_column(name: str, values: object, length: int | None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise BookError(f"{name} must be a 1-D array, has {array.ndim} dimensions")
    if array.size == 0:
        array = array.astype(np.int64)
    elif not np.issubdtype(array.dtype, np.integer):
        raise BookError(f"{name} must hold integers, holds {array.dtype}")
    elif array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
        raise BookError(f"{name} holds values above the int64 range")
    if length is not None and array.shape[0] != length:
        raise BookError(f"{name} has {array.shape[0]} entries, expected {length}")
    return np.ascontiguousarray(array, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a book; build it with :func:`make_side`, which validates."""

    price: np.ndarray  # int64 [tick]
    quantity: np.ndarray  # int64 [Wh], > 0
    sequence: np.ndarray  # int64 arrival sequence; earlier is smaller
    member: np.ndarray  # int64 member id

    def __len__(self) -> int:
        return int(self.price.shape[0])


def make_side(
    name: str,
    price: object,
    quantity: object,
    sequence: object | None = None,
    member: object | None = None,
    *,
    band: tuple[int, int] | None = None,
    default_member_start: int = 0,
) -> Side:
    """Validate and build one side named ``name`` ("bids" or "asks").

    ``sequence`` defaults to the index (arrival in array order); ``member`` defaults to a
    distinct id per order, counting from ``default_member_start``.
    """
    price_col = _int64_column(f"{name}.price", price, None)
    n = price_col.shape[0]
    quantity_col = _int64_column(f"{name}.quantity", quantity, n)
    if sequence is None:
        sequence_col = np.arange(n, dtype=np.int64)
    else:
        sequence_col = _int64_column(f"{name}.sequence", sequence, n)
    if member is None:
        member_col = np.arange(default_member_start, default_member_start + n, dtype=np.int64)
    else:
        member_col = _int64_column(f"{name}.member", member, n)
    if n:
        bad = np.flatnonzero(quantity_col <= 0)
        if bad.size:
            i = int(bad[0])
            raise BookError(
                f"{name}.quantity must be > 0 Wh, was {int(quantity_col[i])} at index {i}"
            )
        # Sum in Python ints: an int64 sum could wrap before we compare it.
        total = (
            int(quantity_col.sum(dtype=np.uint64))
            if int(quantity_col.max()) <= MAX_SIDE_WH
            else None
        )
        if total is None or total > MAX_SIDE_WH:
            raise BookError(f"{name} total quantity must be <= {MAX_SIDE_WH} Wh, was larger")
        lo, hi = int(price_col.min()), int(price_col.max())
        if lo < -MAX_ABS_PRICE_TICKS or hi > MAX_ABS_PRICE_TICKS:
            raise BookError(
                f"{name}.price must be within +-{MAX_ABS_PRICE_TICKS} ticks, found {lo}..{hi}"
            )
        if band is not None:
            floor, cap = band
            if lo < floor or hi > cap:
                i = int(np.flatnonzero((price_col < floor) | (price_col > cap))[0])
                raise BookError(
                    f"{name}.price must be within the band {floor}..{cap} ticks, "
                    f"was {int(price_col[i])} at index {i}"
                )
    return Side(price_col, quantity_col, sequence_col, member_col)


@dataclass(frozen=True, slots=True)
class Book:
    """Bids and asks of one interval's call auction."""

    bids: Side
    asks: Side


def make_book(
    bid_price: object,
    bid_quantity: object,
    ask_price: object,
    ask_quantity: object,
    *,
    bid_sequence: object | None = None,
    ask_sequence: object | None = None,
    bid_member: object | None = None,
    ask_member: object | None = None,
    band: tuple[int, int] | None = None,
) -> Book:
    """Validate columns into a :class:`Book`.

    Default members are distinct for every order on both sides (bids 0..nb-1, asks
    nb..nb+na-1), so a book without members never triggers self-trade prevention.
    """
    if band is not None:
        floor, cap = (int(band[0]), int(band[1]))
        if floor > cap:
            raise BookError(f"band floor must be <= cap, was {floor} > {cap}")
        band = (floor, cap)
    bids = make_side("bids", bid_price, bid_quantity, bid_sequence, bid_member, band=band)
    asks = make_side(
        "asks",
        ask_price,
        ask_quantity,
        ask_sequence,
        ask_member,
        band=band,
        default_member_start=len(bids),
    )
    return Book(bids, asks)
