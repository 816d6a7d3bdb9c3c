"""Clear a call-auction book: the public entry point of the matching core.

:func:`clear` runs the pipeline of ``matching/SPEC.md`` over a validated
:class:`~matching.book.Book`, one step per line of its body: price levels, per-level totals,
the uniform crossing, the mechanism's plan (which levels fill, which group is rationed, the
prices), fills, self-trade prevention, and the pairing walk when the caller or the prices
need it. The work is done by the kernels of :mod:`matching.kernels` and
:mod:`matching.pairing`; this module chooses layouts, allocates and assembles results.

Levels: when the crossing range (lowest ask .. highest bid) spans at most
``DENSE_LEVELS_MIN`` ticks, or at most ``DENSE_LEVELS_PER_ORDER`` per order, prices index a
dense per-tick histogram directly; otherwise prices are first ranked among the distinct
prices in the range (one sort of the prices), which keeps memory bounded for any price
spread and saves touching a wide, nearly empty histogram for a small book. A dense span of
more than ``COARSE_MIN_LEVELS`` levels whose every level's total nobody needs is totalled in
at most ``COARSE_SLOTS`` slots first; the slots bound the volume from below, which pins the
crossing to a few of them, and only those are totalled per level (a book of 1e4 orders a
side over 1e5 ticks then never touches a per-tick array).

Pairing: when no member has filled orders on both sides (the usual book), the walk of SPEC
section 5 is a plain merge of the two sides in priority order (:mod:`matching.merge`). Each
side's filled orders become one int64 key each (level rank, position, fill), numpy's sort
(vectorised on AVX-512/AVX2) puts them in priority order, and one sequential walk writes
the trades and the per-order values; a key too wide for 63 bits, or pay-as-bid values of a
large book, take the merge over levels instead (values from the other side's levels each
order's range of the volume overlaps; pay-as-bid values only the asks that way). Members
are checked before anything is laid out, so a book where members trade both ways (a real
cluster's gate closure) pays only that check before :mod:`matching.pairing` walks with
look-ahead and fix-up. All give the same bytes where they apply.

Pay-as-bid fills and values without the trade list do not pair at all: a bid pays its own
limit (fill times price), and an ask's value is the bids' prices integrated over its range
of the volume, which needs the bids sorted by level alone (int32 keys, which numpy sorts
about twice as fast, where rank and fill fit 31 bits) and the asks in priority order
(:func:`_pay_as_bid_values`).

Threads: the per-side passes of large books run bids and asks at once on two threads (the
kernels release the GIL). Each side writes only its own arrays, so the result is the same
byte for byte as the sequential run. The walks (the sorted merge, pay-as-bid values) run in
two halves at once from a cut in the volume (:class:`_Cut`): the lower half backwards over
its keys reversed, the upper forwards; pay-as-bid values over levels are shared out by
level. From ``SPLIT_PASS_MIN_ORDERS`` even the single pass of the crossing window's totals
is split a side a thread: waking the other thread costs about 50 us on this machine.

One call up to the fills: a book of fewer than ``AT_ONCE_MAX_ORDERS`` orders gets its
totals, the crossing's window, the plan and its fills from one kernel on one thread
(:func:`kernels.fills_at_once`): a numba call and the Python step around it cost
microseconds each (~14 us of a 50 us uniform clearing at 1e4 orders a side), and up to
there a thread's two hand-overs cost more than the passes they split. Under a mechanism
with one price a side and without the trade list, a book whose prices can be levels clears
in that one call from its prices on (:func:`kernels.one_price_clearing`). The call declines
where a member may trade with itself, and the steps run as for a large book.

Memory: importing this module keeps freed heap memory in the process (:mod:`matching.heap`),
so that the arrays of one clearing reuse the pages of the last one's instead of faulting
fresh ones (at 1e5 orders a side that halves the discriminatory mechanisms' CPU time).

Trade reduction's long side, about half of its orders in one pro-rata group, is rationed
per quantity when many orders share each quantity (``kernels._fill_by_quantity``): shares
and remainders once per quantity, then a pass over the side that writes each fill once,
without the arrays of the group's length and the selection over its remainders.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from matching import heap, kernels, merge, pairing
from matching.book import Book, Side, make_book
from matching.mechanisms import MECHANISMS, RATIONING
from matching.result import ClearingResult, Trades
from matching.units import k_to_ppm

DENSE_LEVELS_MIN = 1 << 16
DENSE_LEVELS_PER_ORDER = 8
#: Books with at least this many orders run the two sides' passes on two threads.
PARALLEL_MIN_ORDERS = 100_000
#: Books of fewer orders than this clear up to their fills in one kernel call on one thread
#: (the steps after it still use two from ``PARALLEL_MIN_ORDERS``): measured against the
#: per-side steps on two threads, 8-10 alternating processes a tree, wall time against the
#: sort, one call was faster at 5e4 orders a side (uniform 0.78 -> 0.53x, pay-as-bid 1.88 ->
#: 1.66x) and at 1e5 (uniform 0.56 -> 0.50x, pair-midpoint 1.47 -> 1.38x, trade list 1.42 ->
#: 1.34x), slower at 1.9e5 (pay-as-bid 1.23 -> 1.30x): two hand-overs to the other thread
#: cost ~100 us.
AT_ONCE_MAX_ORDERS = 250_000
#: Books with at least this many orders split even the single pass of the crossing window's
#: totals a side a thread: waking the other thread costs about 50 us here, more than such a
#: pass saves below this.
SPLIT_PASS_MIN_ORDERS = 500_000
#: A member id range up to this many bytes per order (plus 64 KiB) is checked with a byte per
#: id for members on both sides; a wider one takes the general pairing walk.
MEMBER_BYTES_PER_ORDER = 4
#: Dense spans of more levels than this are totalled in at most ``COARSE_SLOTS`` slots of
#: 2**shift levels first, and per level only in the slots around the crossing.
COARSE_MIN_LEVELS = 4096
COARSE_SLOTS = 2048
#: Pay-as-bid values of books of more orders than this, with at most a level per order, come
#: from the merge over levels.
VALUES_BY_LEVELS_MIN_ORDERS = 500_000

_RATIONING_CODES = {
    "pro-rata": kernels.RATION_PRO_RATA,
    "time-priority": kernels.RATION_TIME_PRIORITY,
}
_PRICING = {"pay-as-bid": pairing.PRICE_BID, "pair-midpoint": pairing.PRICE_MIDPOINT}
_ONE_PRICE = ("uniform", "trade-reduction")  # a price per side: values need no walk
_EMPTY = np.zeros(0, dtype=np.int64)
_T = TypeVar("_T")
_U = TypeVar("_U")
_pool: ThreadPoolExecutor | None = None

# A clearing's arrays, freed and allocated again at every clearing, come from heap pages
# already faulted in (glibc would return them to the kernel after each free).
heap.keep_freed_memory()


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
    # A small book clears up to its fills in one kernel call, as a rule (the Python steps
    # between five calls cost as much as a call); under one price a side and without the
    # trade list, that is the whole clearing.
    rationing_code = _RATIONING_CODES[rationing]
    bids, asks = len(book.bids), len(book.asks)
    small = bids + asks < AT_ONCE_MAX_ORDERS and bids > 0 and asks > 0
    if small and not trades and mechanism in _ONE_PRICE:
        done = _one_price_clearing(book, mechanism, k_ppm, rationing_code)
        if isinstance(done, ClearingResult):
            return done
        small = done != kernels.MAY_SELF_TRADE  # the steps prevent it
    levels = _levels(book)
    if levels is None:
        return _empty_result(mechanism, book, trades)
    values_by_levels = _values_by_levels(book, levels, mechanism, trades)
    at_once = _fills_at_once(book, levels, mechanism, k_ppm, rationing_code) if small else None
    if at_once is not None:  # a small book's fills in one call, as a rule
        totals, plan, bid_fill, ask_fill = at_once
        if plan is None:
            return _empty_result(mechanism, book, trades)
        volume = plan.volume
    else:
        totals = _level_totals(book, levels, values_by_levels)
        plan = _plan(mechanism, levels, totals, k_ppm)
        if plan is None:
            return _empty_result(mechanism, book, trades)
        bid_fill, ask_fill = _fill(book, levels, plan, rationing_code)
        volume = _prevent_self_trade(book, levels, plan.volume, totals, bid_fill, ask_fill)
        if volume == 0:  # a member only met itself: no volume, so no price
            return _empty_result(mechanism, book, trades)
    # Values: left to the result (filled * price) where a side has one price, else summed
    # over the trades: in the merge when the walk is one (no member on both sides), else
    # over the paired trades.
    bid_value = ask_value = trade_list = None
    if trades or plan.buyer_price is None:
        # The fills follow from the plan unless self-trade prevention changed them.
        planned = (
            volume == plan.volume and mechanism != "trade-reduction" and totals.bid is not None
        )
        if not _members_disjoint(book, totals.members, bid_fill, ask_fill):
            if plan.buyer_price is None:
                bid_value, ask_value = (
                    np.zeros(len(book.bids), np.int64),
                    np.zeros(len(book.asks), np.int64),
                )
            trade_list = _pair(
                book, levels, plan, bid_fill, ask_fill, mechanism, bid_value, ask_value
            )
        elif (
            mechanism == "pay-as-bid"
            and not trades
            and not values_by_levels
            and (values := _pay_as_bid_values(book, levels, bid_fill, ask_fill))
        ):
            bid_value, ask_value = values
        elif not values_by_levels and (
            merged := _merge_sorted(book, levels, plan, bid_fill, ask_fill, mechanism, trades)
        ):
            values, trade_list = merged
            if plan.buyer_price is None:
                bid_value, ask_value = values
        else:
            layout = _lay_out(book, levels, totals, plan if planned else None, bid_fill, ask_fill)
            if plan.buyer_price is None:
                bid_value, ask_value = _merge_values(
                    book, levels, layout, bid_fill, ask_fill, mechanism
                )
            if trades:
                trade_list = _merge_trades(
                    book, levels, layout, plan, bid_fill, ask_fill, mechanism
                )
    return ClearingResult(
        mechanism,
        volume,
        plan.price,
        plan.buyer_price,
        plan.seller_price,
        bid_fill,
        ask_fill,
        bid_value,
        ask_value,
        trade_list if trades else None,
    )


def _one_price_clearing(
    book: Book, mechanism: str, k_ppm: int, rationing_code: int
) -> ClearingResult | int:
    """The fills of a small book under a mechanism with one price a side, in one kernel
    call from the prices on (:func:`kernels.one_price_clearing`); else why not: the
    kernel's status when the prices span too many ticks to be levels or self-trade
    prevention has to run, which the pipeline's steps do."""
    bids, asks = book.bids, book.asks
    bid_fill, ask_fill = np.empty(len(bids), np.int64), np.empty(len(asks), np.int64)
    status, volume, price, buyer, seller = kernels.one_price_clearing(
        bids.price,
        bids.quantity,
        bids.sequence,
        bids.member,
        asks.price,
        asks.quantity,
        asks.sequence,
        asks.member,
        DENSE_LEVELS_MIN,
        DENSE_LEVELS_PER_ORDER,
        COARSE_MIN_LEVELS,
        COARSE_SLOTS,
        MECHANISMS.index(mechanism),
        k_ppm,
        rationing_code,
        bid_fill,
        ask_fill,
    )
    if status != 0:
        return status
    if volume == 0:
        return _empty_result(mechanism, book, False)
    return ClearingResult(
        mechanism,
        volume,
        price if mechanism == "uniform" else None,
        buyer,
        seller,
        bid_fill,
        ask_fill,
        None,
        None,
        None,
    )


def _fills_at_once(
    book: Book, levels: _Levels, mechanism: str, k_ppm: int, rationing_code: int
) -> tuple[_Totals, _Plan | None, np.ndarray, np.ndarray] | None:
    """A small book's totals, plan and fills in one kernel call
    (:func:`kernels.fills_at_once`): (totals without per-level arrays, the plan or None when
    nothing trades, the fills); None when self-trade prevention has to run, which the
    pipeline's steps then do."""
    bids, asks = book.bids, book.asks
    bid_fill, ask_fill = np.empty(len(bids), np.int64), np.empty(len(asks), np.int64)
    dense = levels.prices is None
    status, volume, price, buyer, seller, bid, ask = kernels.fills_at_once(
        levels.bid_key,
        bids.quantity,
        bids.sequence,
        bids.member,
        levels.ask_key,
        asks.quantity,
        asks.sequence,
        asks.member,
        levels.offset,
        levels.count,
        _EMPTY if dense else levels.prices,
        dense,
        kernels.coarse_shift(levels.count, COARSE_MIN_LEVELS, COARSE_SLOTS) if dense else 0,
        not levels.members.apart,
        MECHANISMS.index(mechanism),
        k_ppm,
        rationing_code,
        bid_fill,
        ask_fill,
    )
    if status != 0:
        return None
    totals = _Totals(None, None, None, None, (), levels.members)
    return totals, _Plan.of(mechanism, volume, price, buyer, seller, bid, ask), bid_fill, ask_fill


# --- levels and totals ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Levels:
    """Price levels of the crossing range: ``level = key - offset``."""

    bid_key: np.ndarray
    ask_key: np.ndarray
    offset: int
    count: int
    prices: np.ndarray | None  # level -> price [tick] in compressed mode, None when dense
    members: _MemberRanges


def _levels(book: Book) -> _Levels | None:
    """Lay out the levels from the lowest ask to the highest bid; None if they do not meet."""
    bids, asks = book.bids, book.asks
    if len(bids) == 0 or len(asks) == 0:
        return None
    # One thread even for a huge book: split a side a thread, this pass measured no faster
    # within a clearing (both halves wait on memory), only in a loop over hot arrays.
    lo, hi, bid_lo, bid_hi, ask_lo, ask_hi = kernels.book_extents(
        bids.price, asks.price, bids.member, asks.member
    )
    if hi < lo:
        return None
    # Member id ranges that do not meet: no member is on both sides.
    members = _MemberRanges(bid_lo, bid_hi, ask_lo, ask_hi, bid_hi < ask_lo or ask_hi < bid_lo)
    span = hi - lo + 1
    if span <= max(DENSE_LEVELS_MIN, DENSE_LEVELS_PER_ORDER * (len(bids) + len(asks))):
        return _Levels(bids.price, asks.price, lo, span, None, members)
    # np.sort and a mask: np.unique is several times slower here (numpy 2.4).
    prices = np.sort(np.concatenate((bids.price[bids.price >= lo], asks.price[asks.price <= hi])))
    prices = prices[np.concatenate(([True], prices[1:] != prices[:-1]))]
    bid_key = np.searchsorted(prices, bids.price).astype(np.int64)
    bid_key[bids.price < lo] = -1  # below every ask: can never trade
    ask_key = np.searchsorted(prices, asks.price).astype(np.int64)  # above hi -> len(prices)
    return _Levels(bid_key, ask_key, 0, int(prices.shape[0]), prices, members)


@dataclass(frozen=True, slots=True)
class _Totals:
    bid: np.ndarray | None  # [Wh] per level; None when totalled coarsely (see COARSE_SLOTS)
    ask: np.ndarray | None
    bid_buckets: np.ndarray | None  # submitted [Wh] per member hash bucket; None when
    ask_buckets: np.ndarray | None  # no member can be on both sides
    crossing: tuple[int, ...]  # of kernels.crossing, levels as in _Levels
    members: _MemberRanges


@dataclass(frozen=True, slots=True)
class _MemberRanges:
    """The lowest and highest member id on each side, and whether the ranges do not meet
    (then no member is on both sides)."""

    bid_lo: int
    bid_hi: int
    ask_lo: int
    ask_hi: int
    apart: bool


def _level_totals(book: Book, levels: _Levels, every_level: bool) -> _Totals:
    """Per-level totals and the uniform crossing. A wide dense span is totalled coarsely,
    then per level only around the crossing, unless ``every_level`` total is needed."""
    count = levels.count
    shift = 0
    if levels.prices is None and not every_level:  # a dense span whose every total nobody needs
        shift = kernels.coarse_shift(count, COARSE_MIN_LEVELS, COARSE_SLOTS)
    slots = ((count - 1) >> shift) + 1

    # Members on one side only (their id ranges do not meet) cannot trade with themselves:
    # no member buckets then.
    members = levels.members
    with_members = not members.apart
    buckets_size = kernels.MEMBER_BUCKETS if with_members else 0
    bids, asks = book.bids, book.asks
    bid_totals, ask_totals = np.zeros(slots + 1, np.int64), np.zeros(slots + 1, np.int64)
    bid_buckets, ask_buckets = np.zeros(buckets_size, np.int64), np.zeros(buckets_size, np.int64)
    if _threaded(book):

        def side_totals(key: np.ndarray, side: Side, totals: np.ndarray, buckets: np.ndarray):
            kernels.level_totals(
                key,
                side.quantity,
                side.member,
                levels.offset,
                count,
                shift,
                with_members,
                totals,
                buckets,
            )

        _on_both_sides(
            book,
            lambda: side_totals(levels.bid_key, bids, bid_totals, bid_buckets),
            lambda: side_totals(levels.ask_key, asks, ask_totals, ask_buckets),
        )
    else:  # one call: a small book pays microseconds per call
        kernels.level_totals_both(
            levels.bid_key,
            bids.quantity,
            bids.member,
            levels.ask_key,
            asks.quantity,
            asks.member,
            levels.offset,
            count,
            shift,
            with_members,
            bid_totals,
            ask_totals,
            bid_buckets,
            ask_buckets,
        )
    bid, ask = bid_totals[:slots], ask_totals[:slots]  # without the slot for outside orders
    if not with_members:
        bid_buckets = ask_buckets = None
    if shift == 0:
        cross = tuple(int(x) for x in kernels.crossing(bid, ask, 0, 0))
        return _Totals(bid, ask, bid_buckets, ask_buckets, cross, members)
    if _huge(book):  # the window's totals a side a thread: each a pass over a side
        first_level, window = _window_crossing_by_sides(book, levels, bid, ask, shift)
    else:
        first_level, window = kernels.window_crossing(
            bid,
            ask,
            levels.bid_key,
            bids.quantity,
            levels.ask_key,
            asks.quantity,
            levels.offset,
            count,
            shift,
        )
    cross = [int(x) for x in window]
    for at in (1, 2, 3, 4):  # window levels -> levels
        if cross[at] >= 0:
            cross[at] += int(first_level)
    return _Totals(None, None, bid_buckets, ask_buckets, tuple(cross), members)


def _window_crossing_by_sides(
    book: Book, levels: _Levels, bid: np.ndarray, ask: np.ndarray, shift: int
) -> tuple[int, tuple]:
    """:func:`kernels.window_crossing` with each side's totals of the window on a thread
    of its own."""
    first, last, demand_beyond, supply_beyond = kernels.crossing_window(bid, ask)
    if first > last:  # no volume
        return 0, (0, -1, -1, -1, -1, 0, 0, 0, 0)
    first_level = first << shift
    width = min((last + 1) << shift, levels.count) - first_level
    bid_fine, ask_fine = np.zeros(width, np.int64), np.zeros(width, np.int64)

    def side_totals(key: np.ndarray, side: Side, fine: np.ndarray) -> None:
        kernels.window_totals(key, side.quantity, levels.offset, levels.count, first_level, fine)

    _on_both_sides(
        book,
        lambda: side_totals(levels.bid_key, book.bids, bid_fine),
        lambda: side_totals(levels.ask_key, book.asks, ask_fine),
    )
    return first_level, kernels.crossing(bid_fine, ask_fine, demand_beyond, supply_beyond)


# --- the mechanism's plan -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """What fills: per side (full_lo, full_hi, group_lo, group_hi, group_total, allocation)
    in levels and Wh, the volume [Wh] and the prices [tick] (None where per trade)."""

    volume: int
    price: int | None
    buyer_price: int | None
    seller_price: int | None
    bid: tuple[int, int, int, int, int, int]
    ask: tuple[int, int, int, int, int, int]

    @classmethod
    def of(
        cls,
        mechanism: str,
        volume: int,
        price: int,
        buyer_price: int,
        seller_price: int,
        bid: tuple[int, int, int, int, int, int],
        ask: tuple[int, int, int, int, int, int],
    ) -> _Plan | None:
        """The plan from :func:`kernels.plan`'s tuple, the prices the mechanism does not
        set as None; None when nothing trades."""
        if volume == 0:
            return None
        one_price = mechanism in _ONE_PRICE
        return cls(
            volume,
            price if mechanism == "uniform" else None,
            buyer_price if one_price else None,
            seller_price if one_price else None,
            bid,
            ask,
        )


def _plan(mechanism: str, levels: _Levels, totals: _Totals, k_ppm: int) -> _Plan | None:
    """The mechanism's plan (:func:`kernels.plan`), or None when nothing trades."""
    code = MECHANISMS.index(mechanism)
    dense = levels.prices is None
    prices = _EMPTY if dense else levels.prices
    return _Plan.of(
        mechanism,
        *kernels.plan(totals.crossing, code, k_ppm, levels.offset, levels.count, prices, dense),
    )


# --- fills and self-trade prevention --------------------------------------------------------


def _fill(book: Book, levels: _Levels, plan: _Plan, rationing_code: int) -> tuple:
    """Return (bid fills, ask fills) [Wh] by the plan, before self-trade prevention."""
    bids, asks = book.bids, book.asks
    bid_fill, ask_fill = np.empty(len(bids), np.int64), np.empty(len(asks), np.int64)
    if not _threaded(book):  # one call: a small book pays microseconds per call
        kernels.fill_both(
            levels.bid_key,
            bids.quantity,
            bids.sequence,
            levels.ask_key,
            asks.quantity,
            asks.sequence,
            levels.offset,
            plan.bid,
            plan.ask,
            rationing_code,
            bid_fill,
            ask_fill,
        )
        return bid_fill, ask_fill

    def side_fill(key: np.ndarray, side: Side, side_plan: tuple, fill: np.ndarray) -> None:
        kernels.fill_side(
            key, side.quantity, side.sequence, levels.offset, *side_plan, rationing_code, fill
        )

    _on_both_sides(
        book,
        lambda: side_fill(levels.bid_key, bids, plan.bid, bid_fill),
        lambda: side_fill(levels.ask_key, asks, plan.ask, ask_fill),
    )
    return bid_fill, ask_fill


def _prevent_self_trade(
    book: Book,
    levels: _Levels,
    volume: int,
    totals: _Totals,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
) -> int:
    """Decrement both sides of the one member, if any, whose bought plus sold exceeds the
    volume (SPEC section 4); return the volume left [Wh].

    Such a member lies in a hash bucket whose submitted bid and ask quantities together
    exceed the volume; usually no bucket does and nothing more is read. Otherwise the
    buckets are summed again over fills, where at most one can exceed, and that bucket's
    majority members on either side are the only candidates.
    """
    if totals.bid_buckets is None or totals.ask_buckets is None:
        return volume  # no member on both sides
    if not bool(np.any(totals.bid_buckets + totals.ask_buckets > volume)):
        return volume
    bids, asks = book.bids, book.asks
    bid_buckets = np.zeros(kernels.MEMBER_BUCKETS, np.int64)
    ask_buckets = np.zeros(kernels.MEMBER_BUCKETS, np.int64)
    kernels.fill_buckets(bids.member, bid_fill, bid_buckets)
    kernels.fill_buckets(asks.member, ask_fill, ask_buckets)
    flagged = np.flatnonzero(bid_buckets + ask_buckets > volume)
    if flagged.size == 0:
        return volume
    bucket = int(flagged[0])
    candidates = (
        int(kernels.bucket_candidate(bids.member, bid_fill, bucket)),
        int(kernels.bucket_candidate(asks.member, ask_fill, bucket)),
    )
    for m in dict.fromkeys(candidates):  # ordered and deduplicated
        bought = int(kernels.member_fills(bids.member, bid_fill, m, m)[0])
        sold = int(kernels.member_fills(asks.member, ask_fill, m, m)[0])
        excess = bought + sold - volume
        if excess > 0:
            bid_order = _queue(book.bids, levels.bid_key, levels, bid_fill, True)[:, 0]
            ask_order = _queue(book.asks, levels.ask_key, levels, ask_fill, False)[:, 0]
            kernels.decrement_member(bid_order.copy(), bids.member, bid_fill, m, excess)
            kernels.decrement_member(ask_order.copy(), asks.member, ask_fill, m, excess)
            return volume - excess  # at most one member can exceed
    return volume


# --- pairing --------------------------------------------------------------------------------


def _queue(
    side: Side, key: np.ndarray, levels: _Levels, fill: np.ndarray, descending: bool
) -> np.ndarray:
    """The side's filled orders in priority order, rows of (index, fill, member, price)."""
    sequence = side.sequence
    use_sequence_order = not kernels.is_non_decreasing(sequence)
    sequence_order = np.argsort(sequence, kind="stable") if use_sequence_order else _EMPTY
    return pairing.priority_queue(
        key,
        levels.offset,
        levels.count,
        fill,
        side.member,
        side.price,
        descending,
        sequence_order,
        use_sequence_order,
    )


def _pair(
    book: Book,
    levels: _Levels,
    plan: _Plan,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
    mechanism: str,
    bid_value: np.ndarray | None,
    ask_value: np.ndarray | None,
) -> Trades:
    """Build the trade list; for per-trade prices also add up the per-order values."""
    bids, asks = _on_both_sides(
        book,
        lambda: _queue(book.bids, levels.bid_key, levels, bid_fill, True),
        lambda: _queue(book.asks, levels.ask_key, levels, ask_fill, False),
    )
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
        tb, ta, tq, n, bids, asks, pricing, plan.buyer_price or 0, plan.seller_price or 0, *out
    )
    return Trades(*(a[:kept] for a in out))


# --- the walk as a merge -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Laid:
    """One side's filled levels laid end to end in priority order (``matching.merge``)."""

    ends: np.ndarray  # per filled level in priority order: (cumulative end [Wh], price)
    level_of: np.ndarray  # and its level
    order: np.ndarray  # (sequence, index) order, when use_order
    use_order: bool


def _lay_side(
    side: Side,
    key: np.ndarray,
    levels: _Levels,
    totals: np.ndarray,
    side_plan: tuple | None,
    fill: np.ndarray,
    descending: bool,
) -> _Laid:
    level_fill = np.zeros(levels.count + 1, np.int64)
    if side_plan is None:  # fills changed after the plan: add them up
        merge.level_fills(key, levels.offset, fill, level_fill)
    else:  # the plan says it: full levels fill their totals, the marginal its allocation
        full_lo, full_hi, group_lo, group_hi, _, allocation = side_plan
        if full_lo <= full_hi:
            level_fill[full_lo : full_hi + 1] = totals[full_lo : full_hi + 1]
        if group_lo == group_hi:  # one marginal level (a group across levels: no plan)
            level_fill[group_lo] = allocation
    dense = levels.prices is None
    ends, level_of = merge.filled_levels(
        level_fill, descending, levels.offset, _EMPTY if dense else levels.prices, dense
    )
    use_order = not kernels.is_non_decreasing(side.sequence)
    order = np.argsort(side.sequence, kind="stable") if use_order else _EMPTY
    return _Laid(ends, level_of, order, use_order)


def _members_disjoint(
    book: Book, members: _MemberRanges, bid_fill: np.ndarray, ask_fill: np.ndarray
) -> bool:
    """True when no member has filled orders on both sides: then the walk never looks past
    its heads and is a merge (else only :func:`_pair` follows it). Checked before anything
    is laid out, so a book of a few members trading both ways (a real cluster's) pays only
    this."""
    if members.apart:
        return True
    bids, asks = book.bids, book.asks
    lo, hi = min(members.bid_lo, members.ask_lo), max(members.bid_hi, members.ask_hi)
    if hi - lo > MEMBER_BYTES_PER_ORDER * (len(bids) + len(asks)) + (1 << 16):
        return False  # ids too spread for a byte per id: take the general walk
    return bool(merge.members_disjoint(bids.member, bid_fill, asks.member, ask_fill, lo, hi))


def _lay_out(
    book: Book,
    levels: _Levels,
    totals: _Totals,
    plan: _Plan | None,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
) -> tuple[_Laid, _Laid]:
    """Both sides laid out for the merge; ``plan`` is None when the fills do not follow
    from it."""
    bids, asks = book.bids, book.asks
    return _on_both_sides(
        book,
        lambda: _lay_side(
            bids, levels.bid_key, levels, totals.bid, plan and plan.bid, bid_fill, True
        ),
        lambda: _lay_side(
            asks, levels.ask_key, levels, totals.ask, plan and plan.ask, ask_fill, False
        ),
    )


def _values_by_levels(book: Book, levels: _Levels, mechanism: str, trades: bool) -> bool:
    """Whether pay-as-bid values of a large book with few levels per order come from the
    merge over levels: it values only the asks (bids pay their own limits) and sorts
    nothing, where the sorted merge sorts both sides (measured 1.9x against 2.5x the
    baseline sort at 1e6 orders a side)."""
    orders = len(book.bids) + len(book.asks)
    return (
        mechanism == "pay-as-bid"
        and not trades
        and orders > VALUES_BY_LEVELS_MIN_ORDERS
        and levels.count <= orders
    )


def _merge_sorted(
    book: Book,
    levels: _Levels,
    plan: _Plan,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
    mechanism: str,
    with_trades: bool,
) -> tuple[tuple[np.ndarray, np.ndarray], Trades] | None:
    """Per-order values [Wh*tick] and the trade list (empty unless ``with_trades``) of a
    merge over the filled orders in priority order, which numpy's sort puts there: one
    int64 key per filled order holds its level's rank, its position and its fill. None
    when a key would need more than 63 bits."""
    rank_bits = max(levels.count - 1, 1).bit_length()

    def side_keys(side: Side, key: np.ndarray, fill: np.ndarray, descending: bool):
        n = len(side)
        index_bits = max(n - 1, 1).bit_length()
        fill_bits = int(kernels.extent(fill)[1]).bit_length()
        if rank_bits + index_bits + fill_bits > 63:
            return None
        use_order = not kernels.is_non_decreasing(side.sequence)
        order = np.argsort(side.sequence, kind="stable") if use_order else _EMPTY
        packed = np.empty(n, np.int64)
        count = merge.pack_filled(
            key,
            levels.offset,
            levels.count,
            fill,
            order,
            use_order,
            descending,
            index_bits,
            fill_bits,
            packed,
        )
        packed = packed[:count]
        packed.sort()  # numpy's sort: vectorised where the CPU has the instructions
        return packed, order, use_order, index_bits, fill_bits

    bid = ask = None
    if not _threaded(book):  # one call for both sides: a small book pays per call
        bids, asks = book.bids, book.asks
        bid_packed, ask_packed = np.empty(len(bids), np.int64), np.empty(len(asks), np.int64)
        (status, bid_count, bid_index_bits, bid_fill_bits, ask_count, *ask_bits) = (
            merge.pack_filled_both(
                levels.bid_key,
                bid_fill,
                bids.sequence,
                levels.ask_key,
                ask_fill,
                asks.sequence,
                levels.offset,
                levels.count,
                bid_packed,
                ask_packed,
            )
        )
        if status == 0:
            bid_packed, ask_packed = bid_packed[:bid_count], ask_packed[:ask_count]
            bid_packed.sort()
            ask_packed.sort()
            bid = (bid_packed, _EMPTY, False, bid_index_bits, bid_fill_bits)
            ask = (ask_packed, _EMPTY, False, *ask_bits)
    if bid is None:
        bid, ask = _on_both_sides(
            book,
            lambda: side_keys(book.bids, levels.bid_key, bid_fill, True),
            lambda: side_keys(book.asks, levels.ask_key, ask_fill, False),
        )
    if bid is None or ask is None:
        return None
    capacity = max(bid[0].shape[0] + ask[0].shape[0] - 1, 0) if with_trades else 0
    out = [np.empty(capacity, np.int64) for _ in range(5)]
    with_values = plan.buyer_price is None
    values = (
        (np.zeros(len(book.bids), np.int64), np.zeros(len(book.asks), np.int64))
        if with_values
        else (_EMPTY, _EMPTY)
    )
    dense = levels.prices is None
    args = (levels.count, levels.offset, _EMPTY if dense else levels.prices, dense)
    args += (_PRICING.get(mechanism, merge.PRICE_FIXED), plan.buyer_price or 0)
    args += (plan.seller_price or 0, with_trades, with_values)
    first, last = _walk_sorted(book, bid, ask, args, out, values if with_values else None)
    return values, Trades(*(a[first:last] if with_trades else a[:0] for a in out))


def _walk_sorted(
    book: Book,
    bid: tuple,
    ask: tuple,
    args: tuple,
    out: list[np.ndarray],
    values: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[int, int]:
    """Run :func:`merge.merge_sorted` over the sorted keys ``bid`` and ``ask`` (packed,
    order, use_order, index bits, fill bits; ``args`` the walk's other arguments before
    the trade columns ``out``); return the rows of the trades written. A large book's walk
    runs in two halves at once (:class:`_Cut`), the lower half's trades into reversed views
    of the rows below the cut."""
    bid_keys, ask_keys = bid[0], ask[0]
    if len(bid_keys) == 0 or len(ask_keys) == 0:
        return 0, 0
    value_args = (_EMPTY, _EMPTY) if values is None else values
    if not _threaded(book) or len(bid_keys) < 2:
        return 0, int(merge.merge_sorted(*bid, *ask, *args, *out, *value_args))
    cut = _Cut.of(bid_keys, bid[4], ask_keys, ask[4])
    middle = cut.m + cut.j  # at least the trades below the cut: m bids and j asks end there

    def lower_half() -> int:
        bids, asks = cut.lower(bid_keys, ask_keys)
        below = [column[:middle][::-1] for column in out]
        return merge.merge_sorted(bids, *bid[1:], asks, *ask[1:], *args, *below, *value_args)

    bids, asks = cut.upper(bid_keys, ask_keys)
    above = [column[middle:] for column in out]
    below_count, above_count = _on_both_sides(
        book,
        lower_half,
        lambda: merge.merge_sorted(bids, *bid[1:], asks, *ask[1:], *args, *above, *value_args),
    )
    if cut.straddles and values is not None:  # both halves stored their part in one place
        bids, asks = cut.across(bid_keys, bid[3], bid[4], ask[3])
        bid_value, ask_value = np.zeros(len(bids), np.int64), np.zeros(1, np.int64)
        alone = (*args[:-2], False, True, *[_EMPTY] * 5, bid_value, ask_value)  # values only
        merge.merge_sorted(bids, _EMPTY, False, *bid[3:], asks, _EMPTY, False, *ask[3:], *alone)
        values[1][cut.ask_index(ask)] = ask_value[0]
    return middle - int(below_count), middle + int(above_count)


@dataclass(frozen=True, slots=True)
class _Cut:
    """A walk over both sides' sorted keys (fill in the low ``fill_bits``) cut in two at the
    end of the first half of the bids, so that two threads walk the halves at once: the
    lower backwards over its keys reversed, the upper forwards. The ask across the cut
    takes part in both, each with its share of the fill; both halves store their part of
    its value in the same place, so it is valued afterwards on its own (:meth:`across`).
    """

    m: int  # the first bid above the cut
    volume: int  # [Wh] where the cut falls
    j: int  # the ask across the cut, or ending at it
    start: int  # [Wh] where that ask starts
    key: int  # and its sort key
    fill_bits: int  # of the asks' keys

    @classmethod
    def of(
        cls, bid_keys: np.ndarray, bid_fill_bits: int, ask_keys: np.ndarray, ask_fill_bits: int
    ) -> _Cut:
        m, volume, j, start = merge.volume_cut(bid_keys, bid_fill_bits, ask_keys, ask_fill_bits)
        return cls(int(m), int(volume), int(j), int(start), int(ask_keys[j]), ask_fill_bits)

    @property
    def end(self) -> int:
        """Where the ask across the cut ends [Wh]."""
        return self.start + (self.key & ((1 << self.fill_bits) - 1))

    @property
    def straddles(self) -> bool:
        return self.end > self.volume

    def _with_fill(self, fill: int) -> int:
        return self.key & ~((1 << self.fill_bits) - 1) | fill

    def lower(self, bid_keys: np.ndarray, ask_keys: np.ndarray) -> tuple[np.ndarray, ...]:
        """The lower half's keys, reversed (copies: the walk reads forwards), the ask across
        the cut filled only up to it."""
        asks = np.empty(self.j + 1, np.int64)
        asks[0] = self._with_fill(self.volume - self.start)
        asks[1:] = ask_keys[: self.j][::-1]
        return bid_keys[: self.m][::-1].copy(), asks

    def upper(self, bid_keys: np.ndarray, ask_keys: np.ndarray) -> tuple[np.ndarray, ...]:
        """The upper half's keys: views, the ask across the cut (its key changed in place:
        the keys are the clearing's own) filled with the rest."""
        if not self.straddles:
            return bid_keys[self.m :], ask_keys[self.j + 1 :]
        ask_keys[self.j] = self._with_fill(self.end - self.volume)
        return bid_keys[self.m :], ask_keys[self.j :]

    def across(
        self, bid_keys: np.ndarray, bid_index_bits: int, bid_fill_bits: int, ask_index_bits: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keys for a walk over the ask across the cut alone: the bids its range overlaps,
        cut to the overlap, with positions for indices (:func:`merge.bids_over`), and the
        ask with index 0 and its whole fill."""
        bids = merge.bids_over(
            bid_keys, bid_index_bits, bid_fill_bits, self.m, self.volume, self.start, self.end
        )
        index = ((1 << ask_index_bits) - 1) << self.fill_bits
        ask = self.key & ~index & ~((1 << self.fill_bits) - 1) | (self.end - self.start)
        return bids, np.array([ask], np.int64)

    def ask_index(self, ask: tuple) -> int:
        """The index in its side of the ask across the cut (``ask``: keys, order, use_order,
        index bits, as in :func:`_walk_sorted`)."""
        t = (self.key >> self.fill_bits) & ((1 << ask[3]) - 1)
        return int(ask[1][t]) if ask[2] else t


def _pay_as_bid_values(
    book: Book, levels: _Levels, bid_fill: np.ndarray, ask_fill: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Pay-as-bid values [Wh*tick] without pairing: a bid's is its fill times its price,
    an ask's the bids' prices integrated over its range of the volume, from the bids sorted
    by level alone (int32 keys where they fit) and the asks sorted in priority order (a
    large book packs and sorts each side on a thread of its own). None when a key would
    need more than 63 bits."""
    bids, asks = book.bids, book.asks
    bid_short, bid_long = np.empty(len(bids), np.int32), np.empty(len(bids), np.int64)
    ask_packed, bid_value = np.empty(len(asks), np.int64), np.empty(len(bids), np.int64)
    if _threaded(book):  # each side packed and sorted on a thread of its own
        bid, ask = _on_both_sides(
            book,
            lambda: _bid_level_keys(book, levels, bid_fill, bid_short, bid_long, bid_value),
            lambda: _ask_priority_keys(book, levels, ask_fill, ask_packed),
        )
        if bid is None or ask is None:
            return None
        bid_keys, bid_fill_bits = bid
        ask_keys, order, use_order, *ask_bits = ask
    else:  # one call: a small book pays microseconds per call
        order, use_order = _EMPTY, False
        while True:
            status, short, bid_count, bid_fill_bits, ask_count, *ask_bits = merge.pack_bid_priced(
                levels.bid_key,
                bid_fill,
                bids.price,
                levels.ask_key,
                ask_fill,
                asks.sequence,
                order,
                use_order,
                levels.offset,
                levels.count,
                bid_short,
                bid_long,
                ask_packed,
                bid_value,
            )
            if status != 2:
                break
            order, use_order = np.argsort(asks.sequence, kind="stable"), True
        if status != 0:
            return None
        bid_keys = (bid_short if short else bid_long)[:bid_count]
        ask_keys = ask_packed[:ask_count]
        bid_keys.sort()  # numpy's sort, vectorised
        ask_keys.sort()
    ask_value = np.zeros(len(asks), np.int64)
    dense = levels.prices is None
    prices = (levels.count, levels.offset, _EMPTY if dense else levels.prices, dense)

    def walk(bids: np.ndarray, asks: np.ndarray) -> None:
        merge.ask_values_at_bid_prices(
            bids, bid_fill_bits, asks, order, use_order, *ask_bits, *prices, ask_value
        )

    if not _threaded(book) or len(bid_keys) < 2:
        walk(bid_keys, ask_keys)
        return bid_value, ask_value
    cut = _Cut.of(bid_keys, bid_fill_bits, ask_keys, ask_bits[1])  # two halves at once
    upper = cut.upper(bid_keys, ask_keys)
    _on_both_sides(book, lambda: walk(*cut.lower(bid_keys, ask_keys)), lambda: walk(*upper))
    if cut.straddles:  # both halves stored their part in one place
        alone = np.zeros(1, np.int64)
        bids, asks = cut.across(bid_keys, 0, bid_fill_bits, ask_bits[0])
        merge.ask_values_at_bid_prices(
            bids, bid_fill_bits, asks, _EMPTY, False, *ask_bits, *prices, alone
        )
        ask_value[cut.ask_index((ask_keys, order, use_order, ask_bits[0]))] = alone[0]
    return bid_value, ask_value


def _bid_level_keys(
    book: Book,
    levels: _Levels,
    bid_fill: np.ndarray,
    bid_short: np.ndarray,
    bid_long: np.ndarray,
    bid_value: np.ndarray,
) -> tuple[np.ndarray, int] | None:
    """The bids' values [Wh*tick] into ``bid_value`` and their level keys, sorted
    (:func:`merge.pack_bid_levels`), with their fill bits; None when a key needs more than
    63 bits."""
    status, short, count, fill_bits = merge.pack_bid_levels(
        levels.bid_key,
        bid_fill,
        book.bids.price,
        levels.offset,
        levels.count,
        bid_short,
        bid_long,
        bid_value,
    )
    if status != 0:
        return None
    keys = (bid_short if short else bid_long)[:count]
    keys.sort()  # numpy's sort, vectorised
    return keys, fill_bits


def _ask_priority_keys(
    book: Book, levels: _Levels, ask_fill: np.ndarray, packed: np.ndarray
) -> tuple | None:
    """The filled asks' keys in priority order (:func:`merge.pack_ask_priority`, sorted),
    with (sequence, index) order, whether it is used, the index bits and the fill bits;
    None when a key needs more than 63 bits."""
    sequence = book.asks.sequence
    order, use_order = _EMPTY, False
    while True:  # the kernel checks the sequences' order: sorted by them only when needed
        status, count, index_bits, fill_bits = merge.pack_ask_priority(
            levels.ask_key,
            ask_fill,
            sequence,
            order,
            use_order,
            levels.offset,
            levels.count,
            packed,
        )
        if status != 2:
            break
        order, use_order = np.argsort(sequence, kind="stable"), True
    if status != 0:
        return None
    keys = packed[:count]
    keys.sort()  # numpy's sort, vectorised
    return keys, order, use_order, index_bits, fill_bits


def _merge_values(
    book: Book,
    levels: _Levels,
    layout: tuple[_Laid, _Laid],
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
    mechanism: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-order values [Wh*tick] under per-trade prices, from the levels each order's
    range overlaps on the other side."""
    bid, ask = layout
    pricing = _PRICING[mechanism]
    if pricing == merge.PRICE_BID:  # a buyer pays its own limit (on the other thread)
        pending = _started(book, lambda: np.multiply(bid_fill, book.bids.price))
        ask_value = _side_values(
            book, levels, levels.ask_key, book.asks, ask_fill, ask, bid, pricing
        )
        return pending(), ask_value
    return (
        _side_values(book, levels, levels.bid_key, book.bids, bid_fill, bid, ask, pricing),
        _side_values(book, levels, levels.ask_key, book.asks, ask_fill, ask, bid, pricing),
    )


def _side_values(
    book: Book,
    levels: _Levels,
    key: np.ndarray,
    side: Side,
    fill: np.ndarray,
    own: _Laid,
    other: _Laid,
    pricing: int,
) -> np.ndarray:
    """One side's values [Wh*tick]. A large book's run on two threads, each over the
    orders of the levels that hold half the volume: a level's orders take their ranges in
    turn, so levels can be shared out but a level's orders cannot."""
    n = len(side)
    value = np.empty(n, np.int64)
    starts = merge.level_starts(own.ends, own.level_of, levels.count, other.ends)

    def filled(first: int, stop: int, mid: int) -> tuple[np.ndarray, np.ndarray]:
        low, high = np.empty(stop - first + 1, np.int64), np.empty(stop - first + 1, np.int64)
        c_low, c_high = merge.filled_by_level(
            key, levels.offset, fill, own.order, own.use_order, first, stop, mid, low, high, value
        )
        return low[:c_low], high[:c_high]

    def values(*orders: np.ndarray) -> None:
        for filled_orders in orders:  # in (sequence, index) order
            merge.order_values(
                filled_orders,
                key,
                levels.offset,
                fill,
                side.price,
                starts,
                other.ends,
                pricing,
                value,
            )

    if not _threaded(book):
        values(filled(0, n, levels.count)[0])  # every filled order's level is below count
        return value
    ends = own.ends[:, 0]
    mid = int(own.level_of[min(np.searchsorted(ends, ends[-1] // 2), len(ends) - 1)])
    (low_a, high_a), (low_b, high_b) = _on_both_sides(
        book, lambda: filled(0, n // 2, mid), lambda: filled(n // 2, n, mid)
    )
    _on_both_sides(book, lambda: values(low_a, low_b), lambda: values(high_a, high_b))
    return value


def _merge_trades(
    book: Book,
    levels: _Levels,
    layout: tuple[_Laid, _Laid],
    plan: _Plan,
    bid_fill: np.ndarray,
    ask_fill: np.ndarray,
    mechanism: str,
) -> Trades:
    """The trade list of a walk that is a plain merge of the two priority orders."""
    bid, ask = layout

    def side_order(key: np.ndarray, fill: np.ndarray, own: _Laid, descending: bool) -> tuple:
        return merge.priority_order(
            key, levels.offset, levels.count, fill, own.order, own.use_order, descending
        )

    bid_rows, ask_rows = _on_both_sides(
        book,
        lambda: side_order(levels.bid_key, bid_fill, bid, True),
        lambda: side_order(levels.ask_key, ask_fill, ask, False),
    )
    capacity = max(bid_rows.shape[0] + ask_rows.shape[0] - 1, 0)
    out = [np.empty(capacity, np.int64) for _ in range(5)]
    n = merge.merge_trades(
        bid_rows,
        bid.ends,
        ask_rows,
        ask.ends,
        _PRICING.get(mechanism, merge.PRICE_FIXED),
        plan.buyer_price or 0,
        plan.seller_price or 0,
        *out,
    )
    return Trades(*(a[:n] for a in out))


# --- plumbing -------------------------------------------------------------------------------


def _threaded(book: Book) -> bool:
    """Whether the book is large enough to run each side's passes on a thread of its own."""
    return len(book.bids) + len(book.asks) >= PARALLEL_MIN_ORDERS


def _huge(book: Book) -> bool:
    """Whether the book is large enough to split even a single pass between two threads."""
    return len(book.bids) + len(book.asks) >= SPLIT_PASS_MIN_ORDERS


def _on_both_sides(book: Book, bid_call: Callable[[], _T], ask_call: Callable[[], _U]) -> tuple:
    """Run two independent calls (as a rule the bid and the ask side's), on two threads
    when the book is large."""
    ask_result = _started(book, ask_call)
    return bid_call(), ask_result()


def _started(book: Book, call: Callable[[], _T]) -> Callable[[], _T]:
    """Start ``call`` on the other thread when the book is large (else run it now); the
    function returned waits for its result."""
    global _pool
    if not _threaded(book):
        result = call()
        return lambda: result
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klaster-clearing")
    return _pool.submit(call).result


def _empty_result(mechanism: str, book: Book, with_trades: bool) -> ClearingResult:
    nb, na = len(book.bids), len(book.asks)
    trades = Trades(_EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY) if with_trades else None
    zeros = [np.zeros(n, np.int64) for n in (nb, na, nb, na)]
    return ClearingResult(mechanism, 0, None, None, None, *zeros, trades)


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on tiny books, so that the first
    real clearing pays no compile cost. Covers dense, coarse and compressed levels, both
    rationings, self-trade prevention, the fix-up, unsorted sequences, both merges (a
    fill of 8e10 Wh over 2**16 levels and 2**11 orders makes keys too wide to sort), the
    pay-as-bid values' bids' keys of both widths, and
    the per-side calls of large books (run once with the thread threshold at 0)."""
    global PARALLEL_MIN_ORDERS, SPLIT_PASS_MIN_ORDERS, AT_ONCE_MAX_ORDERS
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
    long_bid_keys = make_book([50, 40], [1 << 31, 1], [10, 20], [1 << 31, 1])  # int64 keys
    ticks = np.arange(2048) * 32
    huge_top = np.ones(2048, np.int64)
    huge_top[-1] = 80_000_000_000
    wide_keys = make_book(ticks, huge_top, ticks, huge_top[::-1].copy())
    for book in (dense, fixup, wide, wide_keys, long_bid_keys):
        for mechanism in MECHANISMS:
            for rationing in RATIONING:
                clear(book, mechanism, rationing=rationing, trades=True)
                clear(book, mechanism, rationing=rationing, trades=False)
    thresholds = PARALLEL_MIN_ORDERS, SPLIT_PASS_MIN_ORDERS, AT_ONCE_MAX_ORDERS
    PARALLEL_MIN_ORDERS = SPLIT_PASS_MIN_ORDERS = AT_ONCE_MAX_ORDERS = 0
    try:
        # A merge cut in two across an ask, with the trades into reversed views of the
        # columns (of more than one row: numpy calls an array of one contiguous).
        straddle = make_book([50] * 4, [1] * 4, [40, 40], [1, 3])
        for book in (dense, wide_keys, straddle):
            for mechanism in MECHANISMS:
                clear(book, mechanism, trades=False)
                clear(book, mechanism, trades=True)
    finally:
        PARALLEL_MIN_ORDERS, SPLIT_PASS_MIN_ORDERS, AT_ONCE_MAX_ORDERS = thresholds
    from matching.published import published_book  # its one-pass kernel too

    published_book(dense, clear(dense, "uniform"), 0.5)
