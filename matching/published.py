"""What a call publishes besides its price: the best quotes it left unfilled, and an
indicative price when nothing traded.

These are the signals a trader that quotes once per call learns from (``agents.strategies``'
ZIP): after a trade, the best bid and ask still (partly) unfilled show how far the losing
orders were from the price; after a call with no trade they show the gap that kept it from
clearing, and the indicative price is the point in that gap the uniform price rule would pick.
All are derived from the book and its clearing, so publishing them adds no fact to a journal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from matching.book import Book
from matching.result import ClearingResult
from matching.units import K_SCALE, k_to_ppm


@dataclass(frozen=True, slots=True)
class Published:
    """A call's public result besides its price [tick]: the highest bid and the lowest ask
    left with unfilled quantity after the clearing (None: every order of that side filled,
    or the side was empty) and, only when nothing traded and both exist, the indicative
    price between them."""

    best_bid: int | None
    best_ask: int | None
    indicative: int | None


@njit(cache=True, nogil=True)
def _best(price, quantity, rows, filled, highest):  # pragma: no cover - compiled
    """(found, price): the best price [tick] among ``rows`` with ``filled < quantity``; one
    pass over the book's columns, no gathered copies (a gate may clear a million orders)."""
    found, best = False, 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if filled[i] < quantity[r]:
            p = price[r]
            if not found or (p > best if highest else p < best):
                found, best = True, p
    return found, best


def _best_or_none(price, quantity, rows, filled, highest: bool) -> int | None:
    found, best = _best(price, quantity, rows, filled, highest)
    return int(best) if found else None


def gap_price(bid: int, ask: int, k: float) -> int:
    """The point ``k`` of the way from the lower to the higher of ``bid`` and ``ask``
    [tick], rounded as the uniform price is (``matching/SPEC.md`` section 1)."""
    lower, upper = min(bid, ask), max(bid, ask)
    return lower + (k_to_ppm(k) * (upper - lower) + K_SCALE // 2) // K_SCALE


def published(
    result: ClearingResult,
    price: np.ndarray,
    quantity: np.ndarray,
    bid_rows: np.ndarray,
    ask_rows: np.ndarray,
    k: float,
) -> Published:
    """The public result of a clearing ``result`` whose bids and asks are the rows
    ``bid_rows`` and ``ask_rows`` (in the book's order) of the int64 columns ``price``
    [tick] and ``quantity`` [Wh], with the pricing parameter ``k`` [1] (see
    :class:`Published`)."""
    best_bid = _best_or_none(price, quantity, bid_rows, result.bid_filled, True)
    best_ask = _best_or_none(price, quantity, ask_rows, result.ask_filled, False)
    indicative = None
    if result.volume == 0 and best_bid is not None and best_ask is not None:
        indicative = gap_price(best_bid, best_ask, k)
    return Published(best_bid, best_ask, indicative)


def published_book(book: Book, result: ClearingResult, k: float) -> Published:
    """:func:`published` of the clearing ``result`` of ``book``."""
    bids, asks = len(book.bids), len(book.asks)
    price = np.concatenate((book.bids.price, book.asks.price))
    quantity = np.concatenate((book.bids.quantity, book.asks.quantity))
    rows = np.arange(bids + asks, dtype=np.int64)
    return published(result, price, quantity, rows[:bids], rows[bids:], k)
