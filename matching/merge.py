"""Numba kernels of the pairing walk as a merge of cumulative volumes (SPEC section 5).

When no member has filled orders on both sides, the walk never looks past its heads: every
trade is the overlap of the head buyer's and the head seller's remaining fills. Lay each
side's filled orders end to end in priority order, so that order ``o`` covers
``[start_o, start_o + fill_o)`` of the volume; then the trades are the pieces of ``[0, V)``
cut at every order's ends, in order, and an order trades with the other side's orders
whose ranges overlap its own.

That needs no pairing of orders one by one for the per-order values: every order of a
price level has the level's price, so an order's value is a sum over the other side's
*levels* its range overlaps (one or two as a rule). An order's start is its level's start
plus the fills of the orders before it in the level, which one pass in (sequence, index)
order yields with a running sum per level: no scatter into priority order. The trade list
does need the orders in priority order: a counting sort over levels (filled orders only)
and then one sequential merge.

Cost: O(orders + levels) for each kernel; the ranges of one side's orders are disjoint, so
all of them together overlap at most (their count + the other side's levels) levels. Quiet
kernels, whole call graph in this module (numba's cache does not see edits to helpers
imported from elsewhere).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from matching.pairing import PRICE_BID, PRICE_FIXED, PRICE_MIDPOINT  # (ints, frozen in)

__all__ = ["PRICE_BID", "PRICE_FIXED", "PRICE_MIDPOINT"]

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


@njit(cache=True, nogil=True)
def level_fills(key, offset, fill, member, level_fill, level_count):
    """Add each filled order's fill [Wh] and 1 to its level's slot; return the number of
    filled orders and the lowest and the highest member among them (INT64_MAX, INT64_MIN
    when none is filled).

    ``level_fill`` and ``level_count`` have one slot more than there are levels, which
    takes the unfilled orders: selects instead of a branch on a coin flip.
    """
    nlev = level_fill.shape[0] - 1
    count = 0
    lo = _INT64_MAX
    hi = _INT64_MIN
    for i in range(key.shape[0]):
        f = fill[i]
        filled = f > 0
        slot = key[i] - offset if filled else nlev
        level_fill[slot] += f
        level_count[slot] += filled
        count += filled
        m = member[i]
        lo = min(lo, m if filled else _INT64_MAX)
        hi = max(hi, m if filled else _INT64_MIN)
    return count, lo, hi


@njit(cache=True)
def members_disjoint(bid_member, bid_fill, ask_member, ask_fill, lo, hi):
    """Return True if no member id in ``lo..hi`` has filled orders on both sides (a byte
    per id: the caller keeps the range small)."""
    seen = np.zeros(hi - lo + 1, dtype=np.uint8)
    for i in range(bid_member.shape[0]):
        if bid_fill[i] > 0:
            seen[bid_member[i] - lo] = 1
    for j in range(ask_member.shape[0]):
        if ask_fill[j] > 0 and seen[ask_member[j] - lo]:
            return False
    return True


@njit(cache=True)
def filled_levels(level_fill, descending, offset, prices, dense):
    """The levels with fill, in priority order: (their cumulative end [Wh], their price
    [tick], their level)."""
    nlev = level_fill.shape[0] - 1
    k = 0
    for level in range(nlev):
        k += level_fill[level] > 0
    end = np.empty(k, dtype=np.int64)
    price = np.empty(k, dtype=np.int64)
    level_of = np.empty(k, dtype=np.int64)
    total = 0
    k = 0
    for r in range(nlev):
        level = nlev - 1 - r if descending else r
        f = level_fill[level]
        if f > 0:
            total += f
            end[k] = total
            price[k] = offset + level if dense else prices[level]
            level_of[k] = level
            k += 1
    return end, price, level_of


@njit(cache=True)
def level_starts(end, level_of, nlev, other_end):
    """Per level of one side: the start [Wh] of its range, and the first of the other
    side's filled levels (by index into ``other_end``) whose range reaches past it."""
    start = np.zeros(nlev + 1, dtype=np.int64)
    first = np.zeros(nlev + 1, dtype=np.int64)
    k = 0
    before = 0
    for t in range(end.shape[0]):
        while k < other_end.shape[0] - 1 and other_end[k] <= before:
            k += 1
        start[level_of[t]] = before
        first[level_of[t]] = k
        before = end[t]
    return start, first


@njit(cache=True, nogil=True)
def order_values(
    key,
    offset,
    fill,
    price,
    order,
    use_order,
    start,
    first,
    other_end,
    other_price,
    pricing,
    value,
):
    """Each order's value [Wh*tick]: the sum over the other side's levels its range
    overlaps of the overlap [Wh] times the trade price there.

    Orders are visited in (sequence, index) order (``order``, or the index order when
    ``use_order`` is False), so that ``start`` (per level, advanced as orders take their
    ranges) gives each its start within its level in priority order.
    """
    n = key.shape[0]
    last = other_end.shape[0] - 1
    for t in range(n):
        i = order[t] if use_order else t
        f = fill[i]
        if f == 0:
            value[i] = 0
            continue
        level = key[i] - offset
        x = start[level]
        stop = x + f
        start[level] = stop
        # The first of the other side's levels ending past x, searched from the level's
        # first, which is as a rule the answer itself.
        k = first[level]
        if other_end[k] <= x:  # gallop, then bisect: other_end[lo] <= x < other_end[hi]
            lo = k
            hi = k + 1
            step = 1
            while other_end[hi] <= x:  # the last level ends at the volume, past any x
                lo = hi
                step *= 2
                hi = min(lo + step, last)
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if other_end[mid] <= x:
                    lo = mid
                else:
                    hi = mid
            k = hi
        own = price[i]
        total = 0
        while x < stop:
            piece = min(other_end[k], stop) - x
            p = other_price[k]
            if pricing == PRICE_MIDPOINT:
                p = (p + own + 1) // 2
            total += piece * p
            x += piece
            k += 1
        first[level] = k - 1  # the next order of this level starts in that one or later
        value[i] = total


@njit(cache=True, nogil=True)
def priority_order(key, offset, fill, order, use_order, descending, level_count, total):
    """The indices of the ``total`` filled orders in priority order: a stable counting sort
    over levels (counts per level in ``level_count``, overwritten) in (sequence, index)
    order."""
    nlev = level_count.shape[0] - 1
    running = 0
    for r in range(nlev):
        level = nlev - 1 - r if descending else r
        c = level_count[level]
        level_count[level] = running
        running += c
    level_count[nlev] = total  # the unfilled orders' writes land past the end
    out = np.empty(total + 1, dtype=np.int64)
    for t in range(key.shape[0]):
        i = order[t] if use_order else t
        filled = fill[i] > 0
        slot = key[i] - offset if filled else nlev
        p = level_count[slot]
        level_count[slot] = p + filled
        out[p] = i
    return out[:total]


@njit(cache=True, nogil=True)
def merge_trades(
    bid_order,
    bid_fill,
    bid_price,
    ask_order,
    ask_fill,
    ask_price,
    pricing,
    buyer_price,
    seller_price,
    buyer,
    seller,
    quantity,
    out_buyer_price,
    out_seller_price,
):
    """Pair the filled orders in priority order head to head; return the trades written.

    Both sides fill the same volume, so they run out together.
    """
    nb = bid_order.shape[0]
    na = ask_order.shape[0]
    if nb == 0 or na == 0:
        return 0
    pb = 0
    pa = 0
    b = bid_order[0]
    a = ask_order[0]
    rb = bid_fill[b]
    ra = ask_fill[a]
    k = 0
    while True:
        q = min(rb, ra)
        if pricing == PRICE_BID:
            bp = bid_price[b]
            sp = bp
        elif pricing == PRICE_MIDPOINT:
            bp = (bid_price[b] + ask_price[a] + 1) // 2
            sp = bp
        else:
            bp = buyer_price
            sp = seller_price
        buyer[k] = b
        seller[k] = a
        quantity[k] = q
        out_buyer_price[k] = bp
        out_seller_price[k] = sp
        k += 1
        rb -= q
        ra -= q
        if rb == 0:
            pb += 1
            if pb == nb:
                return k
            b = bid_order[pb]
            rb = bid_fill[b]
        if ra == 0:
            pa += 1
            if pa == na:
                return k
            a = ask_order[pa]
            ra = ask_fill[a]
