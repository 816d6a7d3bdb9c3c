"""Cliff's symmetric market as a call market: does a population of traders find the price?

Eleven buyers and eleven sellers, each wanting one unit per period, with limit prices
``75, 100, ..., 325`` [tick] on both sides (Cliff 1997, the symmetric supply and demand of
his figure 6, in cents): the competitive price is 200 ticks and the competitive quantity 6
units (5 traders on each side are intramarginal, the sixth has a limit of exactly 200).
Every period each trader quotes once, the book is cleared by one uniform-price call
(:func:`matching.clear`, ``k = 0.5``), and every trader observes the published result: the
price or no trade, its own fill, the best bid and ask left unfilled and, without a trade,
the indicative price (:func:`matching.published.published_book`, as the engine publishes them).

The traders' parameters are drawn as in Cliff 1997: initial margin uniform in [0.05, 0.35],
learning rate in [0.1, 0.5], momentum in [0, 0.1], from one seeded generator, which also
drives the strategies' own randomness, so a seed gives one run, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agents.strategies import BUY, SELL, ZIP, MarketView, Need, Outcome, Strategy
from matching import clear, make_book
from matching.published import Published, published_book

LIMITS = tuple(range(75, 326, 25))  # [tick], the same 11 prices on both sides
COMPETITIVE_PRICE = 200  # [tick]
COMPETITIVE_UNITS = 6
UNIT_WH = 1_000  # one unit of Cliff's market [Wh]
BAND = (0, 400)  # floor and cap [tick]: the competitive price in the middle


@dataclass(frozen=True, slots=True)
class Period:
    """One call: the uniform price [tick] (None: no trade), the volume [Wh] and the surplus
    realised at the traders' limit prices (their true values) [Wh*tick]."""

    price: int | None
    volume_wh: int
    surplus: int


#: The most surplus one period can realise [Wh*tick]: the 6 competitive units traded.
MAX_SURPLUS = sum(b - s for b, s in zip(LIMITS[::-1], LIMITS, strict=True) if b > s) * UNIT_WH


def cliff_zip(rng: np.random.Generator) -> ZIP:
    """Return a ZIP trader with Cliff 1997's random initial margin, learning rate and
    momentum."""
    return ZIP(
        margin=float(rng.uniform(0.05, 0.35)),
        beta=float(rng.uniform(0.1, 0.5)),
        momentum=float(rng.uniform(0.0, 0.1)),
    )


def run(
    seed: int,
    periods: int = 300,
    make: Callable[[np.random.Generator], Strategy] = cliff_zip,
    publish: bool = True,
    k: float = 0.5,
) -> list[Period]:
    """Play ``periods`` calls of the symmetric market with traders from ``make`` and the
    uniform price's ``k`` [1]; ``publish=False`` withholds the best unfilled bid and ask and
    the indicative price from the outcomes (the traders learn from trades only)."""
    rng = np.random.default_rng(seed)
    traders = [(BUY, limit, make(rng)) for limit in LIMITS]
    traders += [(SELL, limit, make(rng)) for limit in LIMITS]
    market = MarketView(*BAND)
    history = []
    for _ in range(periods):
        rows = []  # (trader index, side, price)
        for i, (side, limit, strategy) in enumerate(traders):
            for q in strategy.quote(Need(side, UNIT_WH, limit), market, rng):
                rows.append((i, q.side, q.price))
        bids = [(i, p) for i, s, p in rows if s == BUY]
        asks = [(i, p) for i, s, p in rows if s == SELL]
        bid_price = np.array([p for _, p in bids], np.int64)
        ask_price = np.array([p for _, p in asks], np.int64)
        bid_qty = np.full(len(bids), UNIT_WH, np.int64)
        ask_qty = np.full(len(asks), UNIT_WH, np.int64)
        book = make_book(bid_price, bid_qty, ask_price, ask_qty)
        result = clear(book, "uniform", k=k, trades=False)
        filled = dict(zip([i for i, _ in bids], result.bid_filled.tolist(), strict=True))
        filled.update(zip([i for i, _ in asks], result.ask_filled.tolist(), strict=True))
        shown = published_book(book, result, k) if publish else Published(None, None, None)
        for i, (_, _, strategy) in enumerate(traders):
            outcome = Outcome(result.price, filled.get(i, 0), *_fields(shown))
            strategy.observe(outcome, rng)
        value = sum(
            traders[i][1] * f * (1 if traders[i][0] == BUY else -1) for i, f in filled.items()
        )
        history.append(Period(result.price, result.volume, value))
    return history


def _fields(shown: Published) -> tuple[int | None, int | None, int | None]:
    return shown.best_bid, shown.best_ask, shown.indicative
