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


def _best(price: np.ndarray, quantity: np.ndarray, filled: np.ndarray, highest: bool):
    left = price[filled < quantity]
    if left.size == 0:
        return None
    return int(left.max() if highest else left.min())


def gap_price(bid: int, ask: int, k: float) -> int:
    """The point ``k`` of the way from the lower to the higher of ``bid`` and ``ask``
    [tick], rounded as the uniform price is (``matching/SPEC.md`` section 1)."""
    lower, upper = min(bid, ask), max(bid, ask)
    return lower + (k_to_ppm(k) * (upper - lower) + K_SCALE // 2) // K_SCALE


def published(
    result: ClearingResult,
    bid_price: np.ndarray,
    bid_quantity: np.ndarray,
    ask_price: np.ndarray,
    ask_quantity: np.ndarray,
    k: float,
) -> Published:
    """The public result of a clearing ``result`` of the bids and asks given by their prices
    [tick] and quantities [Wh] (in the book's order), with the pricing parameter ``k`` [1]
    (see :class:`Published`)."""
    best_bid = _best(bid_price, bid_quantity, result.bid_filled, highest=True)
    best_ask = _best(ask_price, ask_quantity, result.ask_filled, highest=False)
    indicative = None
    if result.volume == 0 and best_bid is not None and best_ask is not None:
        indicative = gap_price(best_bid, best_ask, k)
    return Published(best_bid, best_ask, indicative)


def published_book(book: Book, result: ClearingResult, k: float) -> Published:
    """:func:`published` of the clearing ``result`` of ``book``."""
    b, a = book.bids, book.asks
    return published(result, b.price, b.quantity, a.price, a.quantity, k)
