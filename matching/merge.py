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
does need the orders in priority order: a two-pass radix sort over level ranks (filled
orders only) and then one sequential merge. The fill per level follows from the clearing's
plan (full levels fill their totals, the marginal one its allocation); only fills that
self-trade prevention or trade reduction changed are added up again (:func:`level_fills`).

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
def level_fills(key, offset, fill, level_fill):
    """Add each order's fill [Wh] to its level's slot of ``level_fill``, which has one
    slot more than there are levels for the unfilled orders (a select, not a branch on a
    coin flip). Only for fills that do not follow from the levels' totals (self-trade
    prevention, trade reduction's group across levels)."""
    nlev = level_fill.shape[0] - 1
    for i in range(key.shape[0]):
        f = fill[i]
        level_fill[key[i] - offset if f > 0 else nlev] += f


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
    """The levels with fill (``level_fill`` [Wh] per level, and a spare slot), in priority
    order: rows of (cumulative end [Wh], price [tick]) and their levels."""
    nlev = level_fill.shape[0] - 1
    k = 0
    for level in range(nlev):
        k += level_fill[level] > 0
    ends = np.empty((k, 2), dtype=np.int64)
    level_of = np.empty(k, dtype=np.int64)
    total = 0
    k = 0
    for r in range(nlev):
        level = nlev - 1 - r if descending else r
        f = level_fill[level]
        if f > 0:
            total += f
            ends[k, 0] = total
            ends[k, 1] = offset + level if dense else prices[level]
            level_of[k] = level
            k += 1
    return ends, level_of


@njit(cache=True)
def level_starts(ends, level_of, nlev, other):
    """Per level of one side, a row: the start [Wh] of its range, and the first of the
    other side's filled levels (a row of ``other``) whose range reaches past it."""
    starts = np.zeros((nlev + 1, 2), dtype=np.int64)
    k = 0
    before = 0
    for t in range(ends.shape[0]):
        while k < other.shape[0] - 1 and other[k, 0] <= before:
            k += 1
        starts[level_of[t], 0] = before
        starts[level_of[t], 1] = k
        before = ends[t, 0]
    return starts


@njit(cache=True, nogil=True)
def order_values(
    key,
    offset,
    fill,
    price,
    order,
    use_order,
    starts,
    other,
    pricing,
    value,
):
    """Each order's value [Wh*tick]: the sum over the other side's levels its range
    overlaps of the overlap [Wh] times the trade price there.

    Orders are visited in (sequence, index) order (``order``, or the index order when
    ``use_order`` is False), so that ``starts`` (per level, of :func:`level_starts`,
    advanced as orders take their ranges) gives each its start within its level in
    priority order. ``other`` holds the other side's filled levels (:func:`filled_levels`).
    """
    n = key.shape[0]
    last = other.shape[0] - 1
    for t in range(n):
        i = order[t] if use_order else t
        f = fill[i]
        if f == 0:
            value[i] = 0
            continue
        level = key[i] - offset
        x = starts[level, 0]
        stop = x + f
        starts[level, 0] = stop
        # The first of the other side's levels ending past x, searched from the level's
        # first, which is as a rule the answer itself.
        k = starts[level, 1]
        if other[k, 0] <= x:  # gallop, then bisect: other[lo, 0] <= x < other[hi, 0]
            lo = k
            hi = k + 1
            step = 1
            while other[hi, 0] <= x:  # the last level ends at the volume, past any x
                lo = hi
                step *= 2
                hi = min(lo + step, last)
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if other[mid, 0] <= x:
                    lo = mid
                else:
                    hi = mid
            k = hi
        own = price[i]
        total = 0
        while x < stop:
            piece = min(other[k, 0], stop) - x
            p = other[k, 1]
            if pricing == PRICE_MIDPOINT:
                p = (p + own + 1) // 2
            total += piece * p
            x += piece
            k += 1
        starts[level, 1] = k - 1  # the next order of this level starts in that one or later
        value[i] = total


@njit(cache=True, nogil=True)
def priority_order(key, offset, nlev, fill, order, use_order, descending):
    """The filled orders in priority order, a row each: (index, fill [Wh]).

    A stable LSD radix sort over the level's rank (levels descending for bids) in two
    digits of at most 2**11 buckets each, orders visited in (sequence, index) order: each
    pass streams its input and writes to a few thousand places that the caches hold, where
    a counting sort over 10**5 levels scatters every write to memory. (A rank of at most
    11 bits takes one pass.) The fill goes along in the same 16-byte row so that the merge
    reads it in order. Order indices below 2**32.
    """
    bits = 1
    while (1 << bits) < nlev:
        bits += 1
    low_bits = bits if bits <= 11 else (bits + 1) // 2
    high_bits = bits - low_bits
    low_mask = (1 << low_bits) - 1
    n_low = 1 << low_bits
    n_high = 1 << high_bits
    # Counts of both digits in one pass; an unfilled order counts in the spare bucket.
    low_at = np.zeros(n_low + 1, dtype=np.int64)
    high_at = np.zeros(n_high + 1, dtype=np.int64)
    total = 0
    for i in range(key.shape[0]):
        filled = fill[i] > 0
        level = key[i] - offset
        rank = nlev - 1 - level if descending else level
        low_at[(rank & low_mask) if filled else n_low] += 1
        high_at[(rank >> low_bits) if filled else n_high] += 1
        total += filled
    running = 0
    for d in range(n_low):
        c = low_at[d]
        low_at[d] = running
        running += c
    low_at[n_low] = total  # the unfilled orders' writes land on the spare last row
    running = 0
    for d in range(n_high):
        c = high_at[d]
        high_at[d] = running
        running += c
    first = np.empty((total + 1, 2), dtype=np.int64)
    for t in range(key.shape[0]):
        i = order[t] if use_order else t
        f = fill[i]
        filled = f > 0
        level = key[i] - offset
        rank = nlev - 1 - level if descending else level
        d = (rank & low_mask) if filled else n_low
        p = low_at[d]
        low_at[d] = p + filled
        first[p, 0] = (rank << 32) | i
        first[p, 1] = f
    rows = np.empty((total, 2), dtype=np.int64)
    if high_bits == 0:
        for t in range(total):
            rows[t, 0] = first[t, 0] & 0xFFFFFFFF
            rows[t, 1] = first[t, 1]
        return rows
    for t in range(total):
        packed = first[t, 0]
        d = packed >> (32 + low_bits)
        p = high_at[d]
        high_at[d] = p + 1
        rows[p, 0] = packed & 0xFFFFFFFF
        rows[p, 1] = first[t, 1]
    return rows


@njit(cache=True, nogil=True)
def merge_trades(
    bids,
    bid_levels,
    asks,
    ask_levels,
    pricing,
    buyer_price,
    seller_price,
    buyer,
    seller,
    quantity,
    out_buyer_price,
    out_seller_price,
):
    """Pair the filled orders in priority order (rows of :func:`priority_order`) head to
    head; return the trades written. ``bid_levels`` are the bids' filled levels in
    priority order (:func:`filled_levels`), ``ask_levels`` the asks': trade prices come
    from the levels the walk is in, read in order, not from each order's price.

    Both sides fill the same volume, so they run out together.
    """
    nb = bids.shape[0]
    na = asks.shape[0]
    if nb == 0 or na == 0:
        return 0
    pb = 0
    pa = 0
    rb = bids[0, 1]
    ra = asks[0, 1]
    kb = 0  # the filled levels the heads are in
    ka = 0
    done = 0  # [Wh] traded so far
    k = 0
    while True:
        q = min(rb, ra)
        if pricing == PRICE_BID:
            bp = bid_levels[kb, 1]
            sp = bp
        elif pricing == PRICE_MIDPOINT:
            bp = (bid_levels[kb, 1] + ask_levels[ka, 1] + 1) // 2
            sp = bp
        else:
            bp = buyer_price
            sp = seller_price
        buyer[k] = bids[pb, 0]
        seller[k] = asks[pa, 0]
        quantity[k] = q
        out_buyer_price[k] = bp
        out_seller_price[k] = sp
        k += 1
        done += q
        rb -= q
        ra -= q
        if rb == 0:
            pb += 1
            if pb == nb:
                return k
            rb = bids[pb, 1]
            kb += bid_levels[kb, 0] == done
        if ra == 0:
            pa += 1
            if pa == na:
                return k
            ra = asks[pa, 1]
            ka += ask_levels[ka, 0] == done


@njit(cache=True, nogil=True)
def merge_orders(
    bids,
    bid_price,
    asks,
    ask_price,
    pricing,
    buyer_price,
    seller_price,
    with_trades,
    buyer,
    seller,
    quantity,
    out_buyer_price,
    out_seller_price,
    bid_value,
    ask_value,
):
    """The merge for books with many more levels than orders: pair the filled orders in
    priority order (rows of :func:`priority_order`) head to head, pricing each trade from
    the two orders' own limits (every order of a level has its price) and adding
    quantity * price [Wh*tick] to both orders' values (``bid_value`` and ``ask_value``
    start at zero); the trades are written when ``with_trades``. Returns the trades.

    Prices are gathered per order, which the caches hold for the small books that take it.
    """
    nb = bids.shape[0]
    na = asks.shape[0]
    if nb == 0 or na == 0:
        return 0
    pb = 0
    pa = 0
    ib = bids[0, 0]
    ia = asks[0, 0]
    rb = bids[0, 1]
    ra = asks[0, 1]
    k = 0
    while True:
        q = min(rb, ra)
        if pricing == PRICE_BID:
            bp = bid_price[ib]
            sp = bp
        elif pricing == PRICE_MIDPOINT:
            bp = (bid_price[ib] + ask_price[ia] + 1) // 2
            sp = bp
        else:
            bp = buyer_price
            sp = seller_price
        bid_value[ib] += q * bp
        ask_value[ia] += q * sp
        if with_trades:
            buyer[k] = ib
            seller[k] = ia
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
            ib = bids[pb, 0]
            rb = bids[pb, 1]
        if ra == 0:
            pa += 1
            if pa == na:
                return k
            ia = asks[pa, 0]
            ra = asks[pa, 1]
