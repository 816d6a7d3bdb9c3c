"""Clear a call-auction book: the public entry point of the matching core.

One function, :func:`clear`, runs the pipeline of ``matching/SPEC.md`` over a validated
:class:`~matching.book.Book`: price levels, uniform crossing, fills and rationing, the
mechanism's prices, self-trade prevention, then (when prices or the caller need it) the
pairing walk. Each step is a kernel in :mod:`matching.kernels`; this module only chooses
level layouts, allocates and assembles the :class:`~matching.result.ClearingResult`.

Levels: when the crossing range (lowest ask .. highest bid) spans at most
``DENSE_LEVELS_MIN`` ticks, or at most ``DENSE_LEVELS_PER_ORDER`` per order, prices index a
dense per-tick histogram directly; otherwise prices are first ranked among the distinct
prices in the range (one ``np.unique``), which keeps memory bounded for any price spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching import kernels, pairing
from matching.book import Book, Side, make_book
from matching.result import ClearingResult, Trades
from matching.units import K_SCALE, k_to_ppm

MECHANISMS = ("uniform", "pay-as-bid", "pair-midpoint", "trade-reduction")
RATIONING = ("pro-rata", "time-priority")

DENSE_LEVELS_MIN = 1 << 20
DENSE_LEVELS_PER_ORDER = 4

_RATIONING_CODES = {
    "pro-rata": kernels.RATION_PRO_RATA,
    "time-priority": kernels.RATION_TIME_PRIORITY,
}
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Levels:
    """Price levels of the crossing range: ``level = key - offset``."""

    bid_key: np.ndarray
    ask_key: np.ndarray
    offset: int
    count: int
    prices: np.ndarray | None  # level -> price [tick] in compressed mode, None when dense

    def price(self, level: int) -> int:
        if self.prices is None:
            return self.offset + level
        return int(self.prices[level])


def _levels(bids: Side, asks: Side, lo: int, hi: int) -> _Levels:
    span = hi - lo + 1
    if span <= max(DENSE_LEVELS_MIN, DENSE_LEVELS_PER_ORDER * (len(bids) + len(asks))):
        return _Levels(bids.price, asks.price, lo, span, None)
    in_range = np.concatenate((bids.price[bids.price >= lo], asks.price[asks.price <= hi]))
    prices = np.unique(in_range)
    bid_key = np.searchsorted(prices, bids.price).astype(np.int64)
    bid_key[bids.price < lo] = -1  # below every ask: can never trade
    ask_key = np.searchsorted(prices, asks.price).astype(np.int64)  # above hi -> len(prices)
    return _Levels(bid_key, ask_key, 0, int(prices.shape[0]), prices)


def _sequence_order(side: Side) -> tuple[np.ndarray, bool]:
    """Visiting order by (sequence, index); the index order itself when already sorted."""
    seq = side.sequence
    if seq.shape[0] < 2 or bool(np.all(seq[1:] >= seq[:-1])):
        return _EMPTY, False
    return np.argsort(seq, kind="stable").astype(np.int64), True


def _empty_result(mechanism: str, book: Book, with_trades: bool) -> ClearingResult:
    nb, na = len(book.bids), len(book.asks)
    trades = Trades(_EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY) if with_trades else None
    return ClearingResult(
        mechanism,
        0,
        None,
        None,
        None,
        np.zeros(nb, np.int64),
        np.zeros(na, np.int64),
        np.zeros(nb, np.int64),
        np.zeros(na, np.int64),
        trades,
    )


def _uniform_price(levels: _Levels, cross: tuple, k_ppm: int) -> int:
    _, bid_level, ask_level, unfilled_bid, unfilled_ask, _, _ = cross
    lower = levels.price(ask_level)
    if unfilled_bid >= 0:
        lower = max(lower, levels.price(unfilled_bid))
    upper = levels.price(bid_level)
    if unfilled_ask >= 0:
        upper = min(upper, levels.price(unfilled_ask))
    return lower + (k_ppm * (upper - lower) + K_SCALE // 2) // K_SCALE


def clear(
    book: Book,
    mechanism: str = "uniform",
    *,
    k: float = 0.5,
    rationing: str = "pro-rata",
    trades: bool = True,
) -> ClearingResult:
    """Clear ``book`` with ``mechanism`` (one of :data:`MECHANISMS`).

    ``k`` places the uniform price in the competitive interval (0 = lower, 1 = upper end);
    ``rationing`` is how a rationed group shares its allocation (:data:`RATIONING`);
    ``trades=False`` skips building the trade list when the mechanism's prices do not need
    it (uniform, trade-reduction), which is the fast path for per-order fills.
    """
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {', '.join(MECHANISMS)}, was {mechanism!r}")
    if rationing not in RATIONING:
        raise ValueError(f"rationing must be one of {', '.join(RATIONING)}, was {rationing!r}")
    k_ppm = k_to_ppm(k)
    rationing_code = _RATIONING_CODES[rationing]
    bids, asks = book.bids, book.asks
    if len(bids) == 0 or len(asks) == 0:
        return _empty_result(mechanism, book, trades)
    lo, _ = kernels.extent(asks.price)
    _, hi = kernels.extent(bids.price)
    lo, hi = int(lo), int(hi)
    if hi < lo:
        return _empty_result(mechanism, book, trades)

    # 1. Per-level totals and the uniform crossing.
    levels = _levels(bids, asks, lo, hi)
    nlev = levels.count
    bid_totals = np.zeros(nlev, np.int64)
    ask_totals = np.zeros(nlev, np.int64)
    kernels.level_totals(levels.bid_key, bids.quantity, levels.offset, bid_totals)
    kernels.level_totals(levels.ask_key, asks.quantity, levels.offset, ask_totals)
    cross = kernels.crossing(bid_totals, ask_totals)
    volume, bid_level, ask_level, _, _, demand_above, supply_below = (int(x) for x in cross)
    if volume == 0:
        return _empty_result(mechanism, book, trades)

    # 2. The fill plan of the mechanism: which levels fill, which group is rationed, prices.
    top = nlev - 1
    if mechanism == "trade-reduction":
        demand = int(bid_totals[bid_level + 1 :].sum())
        supply = int(ask_totals[:ask_level].sum())
        volume = min(demand, supply)
        if volume == 0:
            return _empty_result(mechanism, book, trades)
        buyer_price, seller_price = levels.price(bid_level), levels.price(ask_level)
        price = None
        bid_plan = _side_plan(bid_level + 1, top, demand, volume)
        ask_plan = _side_plan(0, ask_level - 1, supply, volume)
    else:
        bid_plan = (
            bid_level + 1,
            top,
            bid_level,
            bid_level,
            int(bid_totals[bid_level]),
            volume - demand_above,
        )
        ask_plan = (
            0,
            ask_level - 1,
            ask_level,
            ask_level,
            int(ask_totals[ask_level]),
            volume - supply_below,
        )
        price = _uniform_price(levels, cross, k_ppm) if mechanism == "uniform" else None
        buyer_price = seller_price = price

    # 3. Fills and values (from one price per side where there is one, else from the trades).
    bid_fill = np.empty(len(bids), np.int64)
    ask_fill = np.empty(len(asks), np.int64)
    bid_value = np.empty(len(bids), np.int64)
    ask_value = np.empty(len(asks), np.int64)
    bid_unit = buyer_price if buyer_price is not None else 0
    ask_unit = seller_price if seller_price is not None else 0
    bid_buckets = np.zeros(kernels.MEMBER_BUCKETS, np.int64)
    ask_buckets = np.zeros(kernels.MEMBER_BUCKETS, np.int64)
    kernels.fill_side(
        levels.bid_key,
        bids.quantity,
        bids.member,
        bids.sequence,
        levels.offset,
        *bid_plan,
        rationing_code,
        bid_unit,
        bid_fill,
        bid_value,
        bid_buckets,
    )
    kernels.fill_side(
        levels.ask_key,
        asks.quantity,
        asks.member,
        asks.sequence,
        levels.offset,
        *ask_plan,
        rationing_code,
        ask_unit,
        ask_fill,
        ask_value,
        ask_buckets,
    )

    # Self-trade prevention (SPEC section 4), decrement both. A member with bought + sold
    # above the volume holds over half of a side within its hash bucket, and at most one
    # bucket can have both sides' sums above the volume: look only there.
    flagged = np.flatnonzero(bid_buckets + ask_buckets > volume)
    if flagged.size:
        bucket = int(flagged[0])
        candidates = (
            kernels.bucket_candidate(bids.member, bid_fill, bucket),
            kernels.bucket_candidate(asks.member, ask_fill, bucket),
        )
        for m in dict.fromkeys(int(c) for c in candidates):  # ordered, deduplicated
            bought, _ = kernels.member_fills(bids.member, bid_fill, m, m)
            sold, _ = kernels.member_fills(asks.member, ask_fill, m, m)
            excess = int(bought) + int(sold) - volume
            if excess > 0:
                bid_order = _queue(levels.bid_key, levels, bid_fill, bids, True)[:, 0].copy()
                ask_order = _queue(levels.ask_key, levels, ask_fill, asks, False)[:, 0].copy()
                kernels.decrement_member(
                    bid_order, bids.member, bid_fill, bid_value, bid_unit, m, excess
                )
                kernels.decrement_member(
                    ask_order, asks.member, ask_fill, ask_value, ask_unit, m, excess
                )
                volume -= excess
                break  # at most one member can exceed
        if volume == 0:  # the member only met itself: no volume, so no price
            return _empty_result(mechanism, book, trades)

    # 4. The trade list, and the values of mechanisms that price each pair (their values
    #    are still 0 here: the fills were priced at 0).
    trade_list = None
    if trades or buyer_price is None:
        trade_list = _pair(
            levels,
            book,
            bid_fill,
            ask_fill,
            mechanism,
            buyer_price,
            seller_price,
            bid_value,
            ask_value,
        )
    return ClearingResult(
        mechanism,
        volume,
        price,
        buyer_price,
        seller_price,
        bid_fill,
        ask_fill,
        bid_value,
        ask_value,
        trade_list if trades else None,
    )


def _side_plan(lo: int, hi: int, total: int, volume: int) -> tuple[int, ...]:
    """Trade-reduction plan of one side's levels lo..hi: the short side fills completely,
    the long side is one group rationed to the volume."""
    if total <= volume:
        return (lo, hi, 0, -1, 0, 0)
    return (0, -1, lo, hi, total, volume)


def _queue(
    key: np.ndarray, levels: _Levels, fill: np.ndarray, side: Side, descending: bool
) -> np.ndarray:
    """The side's filled orders in priority order, rows of (index, fill, member, price)."""
    sequence_order, use = _sequence_order(side)
    return pairing.priority_queue(
        key,
        levels.offset,
        levels.count,
        fill,
        side.member,
        side.price,
        descending,
        sequence_order,
        use,
    )


_PRICING = {"pay-as-bid": pairing.PRICE_BID, "pair-midpoint": pairing.PRICE_MIDPOINT}


def _pair(
    levels: _Levels,
    book: Book,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
    mechanism: str,
    buyer_price: int | None,
    seller_price: int | None,
    bid_value: np.ndarray,
    ask_value: np.ndarray,
) -> Trades:
    bids = _queue(levels.bid_key, levels, bid_fill, book.bids, descending=True)
    asks = _queue(levels.ask_key, levels, ask_fill, book.asks, descending=False)
    # Without a fix-up every trade spends a bid or an ask; a fix-up adds at most two trades
    # per rerouted trade plus one per order it touches, hence the retry with 3x.
    capacity = bids.shape[0] + asks.shape[0]
    while True:
        tb = np.empty(capacity, np.int64)
        ta = np.empty(capacity, np.int64)
        tq = np.empty(capacity, np.int64)
        n = pairing.pair_walk(bids, asks, tb, ta, tq)
        if n >= 0:
            break
        capacity = 3 * capacity + 4
    pricing = _PRICING.get(mechanism, pairing.PRICE_FIXED)
    if pricing != pairing.PRICE_FIXED:
        pairing.trade_values(tb, ta, tq, n, bids, asks, pricing, bid_value, ask_value)
    out = [np.empty(n, np.int64) for _ in range(5)]
    kept = pairing.finish_trades(
        tb, ta, tq, n, bids, asks, pricing, buyer_price or 0, seller_price or 0, *out
    )
    return Trades(*(a[:kept] for a in out))


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on a tiny book, so that the first
    real clearing pays no compile cost. Covers dense and compressed levels, both rationings,
    self-trade prevention and the fix-up."""
    dense = make_book(
        [50, 40, 40], [1, 2, 3], [10, 20, 40], [1, 2, 3], bid_member=[1, 2, 3], ask_member=[4, 2, 5]
    )
    fixup = make_book(
        [50, 40],
        [1, 1],
        [10, 20],
        [1, 1],
        bid_member=[1, 9],
        ask_member=[2, 9],
        bid_sequence=[1, 0],
    )
    wide = make_book([10**8, 0], [5, 5], [-(10**8), 0], [3, 3])
    for book in (dense, fixup, wide):
        for mechanism in MECHANISMS:
            for rationing in RATIONING:
                clear(book, mechanism, rationing=rationing, trades=True)
                clear(book, mechanism, rationing=rationing, trades=False)
