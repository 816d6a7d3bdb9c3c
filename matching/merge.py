"""Numba kernels of the pairing walk as a merge of cumulative volumes (SPEC section 5).

When no member has filled orders on both sides, the walk never looks past its heads: every
trade is the overlap of the head buyer's and the head seller's remaining fills. Lay each
side's filled orders end to end in priority order, so that order ``o`` covers
``[start_o, start_o + fill_o)`` of the volume; then the trades are the pieces of ``[0, V)``
cut at every order's ends, in order, and an order trades with the other side's orders
whose ranges overlap its own.

Two ways to walk that. Over sorted orders (the usual one): each side's filled orders become
one int64 key each, level rank above position above fill (:func:`pack_filled`); numpy's
sort of the keys (vectorised on AVX-512/AVX2, several times a scatter's speed on large
books) puts them in priority order, and :func:`merge_sorted` walks both sorted arrays once,
reading index, fill and price from the keys, writing trades and per-order values.

Over levels (pay-as-bid values of large books, keys wider than 63 bits): every order of a
price level has the level's price, so an order's value is a sum over the other side's
*levels* its range overlaps (one or two as a rule). An order's start is its level's start
plus the fills of the orders before it in the level, which one pass in (sequence, index)
order yields with a running sum per level: no scatter into priority order. The trade list
there takes a two-pass radix sort over level ranks (filled orders only) and one sequential
merge. The fill per level follows from the clearing's plan (full levels fill their totals,
the marginal one its allocation); only fills that self-trade prevention or trade reduction
changed are added up again (:func:`level_fills`).

Pay-as-bid values alone (no trade list) need no pairing: a bid pays its own limit, and an
ask's value is ``F(end) - F(start)`` over its range, ``F`` the integral of the bids' price
over the volume; the bids sorted by level alone give ``F`` (no position in their keys, int32
where it fits), the asks sorted as above give the ranges in order, and one pass evaluates
every ``F`` (:func:`ask_values_at_bid_prices`).

The walks choose with selects, not branches, which head runs out next: a coin flip that
costs a mispredicted branch per trade otherwise.

A large book's walk runs in two halves on two threads: :func:`volume_cut` cuts the volume
at the end of the first half of the bids; the lower half is the same walk over its keys
reversed (its trades into reversed views of the rows below the cut), the upper the walk
from the cut, and the one ask across the cut, whose value both halves store in the same
place, is walked again alone against the bids it meets (:func:`bids_over`).

Cost: O(orders + levels) for each kernel, and the sort; the ranges of one side's orders are
disjoint, so all of them together overlap at most (their count + the other side's levels)
levels. Integers: a key is checked to fit 63 bits before packing; a value is at most a side's
total (9e10 Wh) times |price| (1e8 ticks), 9e18, inside int64. Quiet kernels, whole call
graph in this module (numba's cache does not see edits to helpers imported from elsewhere).
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
    """Per level of one side, a row: the start [Wh] of its range, the first of the other
    side's filled levels (a row of ``other``) whose range reaches past it, and that
    level's end [Wh] and price [tick] (so that an order within it reads one row)."""
    starts = np.zeros((nlev + 1, 4), dtype=np.int64)
    k = 0
    before = 0
    for t in range(ends.shape[0]):
        while k < other.shape[0] - 1 and other[k, 0] <= before:
            k += 1
        level = level_of[t]
        starts[level, 0] = before
        starts[level, 1] = k
        starts[level, 2] = other[k, 0]
        starts[level, 3] = other[k, 1]
        before = ends[t, 0]
    return starts


@njit(cache=True, nogil=True)
def filled_by_level(key, offset, fill, order, use_order, first, stop, mid, low, high, value):
    """The filled orders among positions ``[first, stop)`` of (sequence, index) order
    (``order``, or the index order when ``use_order`` is False), in that order, split by
    level: those below ``mid`` into ``low``, the rest into ``high`` (each holds at least
    ``stop - first`` + 1 slots). Zeroes those orders' ``value``; returns both counts.

    Without a branch: whether a random order fills is a coin flip, which a branch per order
    would mispredict half the time.
    """
    c_low = 0
    c_high = 0
    for t in range(first, stop):
        i = order[t] if use_order else t
        value[i] = 0
        filled = fill[i] > 0
        level = key[i] - offset
        low[c_low] = i
        high[c_high] = i
        c_low += filled & (level < mid)
        c_high += filled & (level >= mid)
    return c_low, c_high


@njit(cache=True, nogil=True)
def order_values(
    filled,
    key,
    offset,
    fill,
    price,
    starts,
    other,
    pricing,
    value,
):
    """The value [Wh*tick] of each order of ``filled`` (indices, of :func:`filled_by_level`):
    the sum over the other side's levels its range overlaps of the overlap [Wh] times the
    trade price there.

    ``filled`` comes in (sequence, index) order, so that ``starts`` (per level, of
    :func:`level_starts`, advanced as orders take their ranges) gives each its start within
    its level in priority order; calls on sets of orders of disjoint levels may run at once.
    ``other`` holds the other side's filled levels (:func:`filled_levels`).

    Orders come in the order of their index, so their levels at random: a level's row is
    the one read from memory that misses the caches, and it holds the other side's level
    its next order starts in, which as a rule covers that order's whole range.
    """
    last = other.shape[0] - 1
    for t in range(filled.shape[0]):
        i = filled[t]
        level = key[i] - offset
        x = starts[level, 0]
        stop = x + fill[i]
        end = starts[level, 2]
        own = price[i]
        if (x < end) & (stop <= end):  # one piece, in the other side's level of the row
            p = starts[level, 3]
            if pricing == PRICE_MIDPOINT:
                p = (p + own + 1) // 2
            value[i] = (stop - x) * p
            starts[level, 0] = stop
            continue
        # The first of the other side's levels ending past x, searched from the row's,
        # which is as a rule the answer itself or the next.
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
        total = 0
        while x < stop:
            piece = min(other[k, 0], stop) - x
            p = other[k, 1]
            if pricing == PRICE_MIDPOINT:
                p = (p + own + 1) // 2
            total += piece * p
            x += piece
            k += 1
        k -= 1  # the next order of this level starts in that one or later
        starts[level, 0] = stop
        starts[level, 1] = k
        starts[level, 2] = other[k, 0]
        starts[level, 3] = other[k, 1]
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


@njit(cache=True, inline="always")
def _next_heads(end_b, end_a, stop, pb, pa):
    """Move past the heads whose fills end at ``stop`` [Wh]: whether each moved, and the
    new head positions. Selects, not branches: which one ends is a coin flip."""
    next_b = end_b == stop
    next_a = end_a == stop
    return next_b, next_a, pb + next_b, pa + next_a


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
    # Selects instead of branches on which head runs out first (a coin flip the branch
    # predictor loses), as in :func:`merge_sorted`.
    pb = 0
    pa = 0
    end_b = bids[0, 1]  # where the head bid's fill ends in the volume [Wh]
    end_a = asks[0, 1]
    kb = 0  # the filled levels the heads are in
    ka = 0
    done = 0  # [Wh] traded so far
    k = 0
    while True:
        if pricing == PRICE_BID:
            bp = bid_levels[kb, 1]
            sp = bp
        elif pricing == PRICE_MIDPOINT:
            bp = (bid_levels[kb, 1] + ask_levels[ka, 1] + 1) // 2
            sp = bp
        else:
            bp = buyer_price
            sp = seller_price
        stop = min(end_b, end_a)
        buyer[k] = bids[pb, 0]
        seller[k] = asks[pa, 0]
        quantity[k] = stop - done
        out_buyer_price[k] = bp
        out_seller_price[k] = sp
        k += 1
        done = stop
        next_b, next_a, pb, pa = _next_heads(end_b, end_a, stop, pb, pa)
        if pb == nb or pa == na:
            return k
        end_b += bids[pb, 1] * next_b
        end_a += asks[pa, 1] * next_a
        kb += bid_levels[kb, 0] == done
        ka += ask_levels[ka, 0] == done


@njit(cache=True, nogil=True)
def pack_filled(
    key, offset, nlev, fill, order, use_order, descending, index_bits, fill_bits, packed
):
    """Write one int64 per filled order to the front of ``packed``: from the top, its
    level's rank (levels descending for bids), its position ``t`` in (sequence, index)
    order (``order``, or the index when ``use_order`` is False; ``index_bits`` wide) and
    its fill [Wh] (``fill_bits`` wide). Sorted, these are the filled orders in priority
    order, each with what the merge needs. Returns how many were written.

    A compaction without branches: every order writes, only a filled one moves on.
    """
    k = 0
    for t in range(key.shape[0]):
        i = order[t] if use_order else t
        level = key[i] - offset
        rank = nlev - 1 - level if descending else level
        f = fill[i]
        packed[k] = (((rank << index_bits) | t) << fill_bits) | f
        k += f > 0
    return k


@njit(cache=True)
def _bit_length(x):
    """The bits of a non-negative int64, as Python's ``int.bit_length``."""
    bits = 0
    while x >> bits:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def pack_filled_both(
    bid_key,
    bid_fill,
    bid_sequence,
    ask_key,
    ask_fill,
    ask_sequence,
    offset,
    nlev,
    bid_packed,
    ask_packed,
):
    """:func:`pack_filled` of both sides in one call, for a small book (a numba call costs
    microseconds, a Python step as much): the checks that the per-side wrapper makes (the
    sequences in order, the keys within 63 bits) are made here. Returns (status, then per
    side the keys written, the index bits and the fill bits); status 0 when both sides are
    packed, 1 when a side's sequences are out of order or a key needs more than 63 bits,
    which the per-side path handles."""
    rank_bits = _bit_length(max(nlev - 1, 1))
    bid_index_bits = _bit_length(max(bid_key.shape[0] - 1, 1))
    ask_index_bits = _bit_length(max(ask_key.shape[0] - 1, 1))
    bid_largest = 0
    for i in range(bid_fill.shape[0]):  # vectorises
        bid_largest = max(bid_largest, bid_fill[i])
    ask_largest = 0
    for j in range(ask_fill.shape[0]):
        ask_largest = max(ask_largest, ask_fill[j])
    bid_fill_bits = _bit_length(bid_largest)
    ask_fill_bits = _bit_length(ask_largest)
    if (
        rank_bits + max(bid_index_bits + bid_fill_bits, ask_index_bits + ask_fill_bits) > 63
        or not _non_decreasing(bid_sequence)
        or not _non_decreasing(ask_sequence)
    ):
        return 1, 0, 0, 0, 0, 0, 0
    no_order = bid_key[:0]
    bid_count = pack_filled(
        bid_key,
        offset,
        nlev,
        bid_fill,
        no_order,
        False,
        True,
        bid_index_bits,
        bid_fill_bits,
        bid_packed,
    )
    ask_count = pack_filled(
        ask_key,
        offset,
        nlev,
        ask_fill,
        no_order,
        False,
        False,
        ask_index_bits,
        ask_fill_bits,
        ask_packed,
    )
    return 0, bid_count, bid_index_bits, bid_fill_bits, ask_count, ask_index_bits, ask_fill_bits


@njit(cache=True)
def _non_decreasing(values):
    """True if ``values`` never decreases (as ``kernels.is_non_decreasing``; each kernel
    module keeps its whole call graph)."""
    decreases = 0
    for i in range(1, values.shape[0]):  # counted, not left at the first: it vectorises
        decreases += values[i] < values[i - 1]
    return decreases == 0


@njit(cache=True, nogil=True)
def merge_sorted(
    bids,
    bid_order,
    bid_use_order,
    bid_index_bits,
    bid_fill_bits,
    asks,
    ask_order,
    ask_use_order,
    ask_index_bits,
    ask_fill_bits,
    nlev,
    offset,
    prices,
    dense,
    pricing,
    buyer_price,
    seller_price,
    with_trades,
    with_values,
    buyer,
    seller,
    quantity,
    out_buyer_price,
    out_seller_price,
    bid_value,
    ask_value,
):
    """Pair the filled orders in priority order (sorted keys of :func:`pack_filled`) head
    to head: write the trades when ``with_trades`` and, when ``with_values``, each filled
    order's value (quantity * price summed over its trades [Wh*tick], into ``bid_value``
    and ``ask_value``, which hold zeros for the rest). Index, fill and the level's price
    [tick] all come from the keys: one sequential stream per side. Returns the trades.

    A walk cut in two (:func:`volume_cut`) runs this on each half's keys, the lower half's
    reversed, and the key of the ask across the cut holds only that half's part of its fill.
    So the walk itself stays as it is: passing it a start, or the first ask's fill, instead
    made it 4-40% slower at 1e6 orders a side (measured in one process against this one).

    Both sides fill the same volume, so they run out together.
    """
    nb = bids.shape[0]
    na = asks.shape[0]
    if nb == 0 or na == 0:
        return 0
    bid_fill_mask = (1 << bid_fill_bits) - 1
    ask_fill_mask = (1 << ask_fill_bits) - 1
    bid_index_mask = (1 << bid_index_bits) - 1
    ask_index_mask = (1 << ask_index_bits) - 1
    bid_rank_shift = bid_index_bits + bid_fill_bits
    ask_rank_shift = ask_index_bits + ask_fill_bits
    # Selects instead of branches on which head runs out first, a coin flip the branch
    # predictor loses; a head's value is stored after every piece, its last store stays.
    pb = 0
    pa = 0
    done = 0  # [Wh] traded so far
    end_b = bids[0] & bid_fill_mask  # where the head bid's fill ends in the volume [Wh]
    end_a = asks[0] & ask_fill_mask
    vb = 0  # the head bid's value so far [Wh*tick]
    va = 0
    k = 0
    while True:
        key_b = bids[pb]
        key_a = asks[pa]
        level = nlev - 1 - (key_b >> bid_rank_shift)
        pbid = offset + level if dense else prices[level]
        level = key_a >> ask_rank_shift
        pask = offset + level if dense else prices[level]
        if pricing == PRICE_BID:
            bp = pbid
            sp = bp
        elif pricing == PRICE_MIDPOINT:
            bp = (pbid + pask + 1) // 2
            sp = bp
        else:
            bp = buyer_price
            sp = seller_price
        t = (key_b >> bid_fill_bits) & bid_index_mask
        ib = bid_order[t] if bid_use_order else t
        t = (key_a >> ask_fill_bits) & ask_index_mask
        ia = ask_order[t] if ask_use_order else t
        stop = min(end_b, end_a)
        q = stop - done
        done = stop
        if with_values:
            vb += q * bp
            va += q * sp
            bid_value[ib] = vb
            ask_value[ia] = va
        if with_trades:
            buyer[k] = ib
            seller[k] = ia
            quantity[k] = q
            out_buyer_price[k] = bp
            out_seller_price[k] = sp
        k += 1
        next_b, next_a, pb, pa = _next_heads(end_b, end_a, stop, pb, pa)
        if pb == nb or pa == na:
            return k
        end_b += (bids[pb] & bid_fill_mask) * next_b
        end_a += (asks[pa] & ask_fill_mask) * next_a
        vb *= 1 - next_b
        va *= 1 - next_a


@njit(cache=True, nogil=True)
def volume_cut(bids, bid_fill_bits, asks, ask_fill_bits):
    """Where to cut a walk over sorted keys in two: at the end of the first half of the
    bids. Returns that bid's position ``m`` (the walk's halves meet after bid ``m - 1``),
    the volume there [Wh], the ask whose fill runs up to or over it, and that ask's start
    [Wh]."""
    bid_fill_mask = (1 << bid_fill_bits) - 1
    ask_fill_mask = (1 << ask_fill_bits) - 1
    m = bids.shape[0] // 2
    cut = 0
    for i in range(m):  # sums that vectorise; the ask is then a short search away
        cut += bids[i] & bid_fill_mask
    j = asks.shape[0] // 2
    at = 0
    for i in range(j):
        at += asks[i] & ask_fill_mask
    while at >= cut:  # ask j starts at `at`: step back to the one that starts below the cut
        j -= 1
        at -= asks[j] & ask_fill_mask
    while at + (asks[j] & ask_fill_mask) < cut:
        at += asks[j] & ask_fill_mask
        j += 1
    return m, cut, j, at


@njit(cache=True, nogil=True)
def bids_over(bids, bid_index_bits, bid_fill_bits, m, cut, lo, hi):
    """The sorted keys of the bids whose fills overlap ``[lo, hi)`` [Wh] of a walk cut in
    two (bid ``m`` starts at the cut, ``cut`` [Wh]), each cut to the overlap and given its
    position among them for an index: a walk over these and the one ask that spans the cut
    values that ask."""
    fill_mask = (1 << bid_fill_bits) - 1
    index_mask = (1 << bid_index_bits) - 1
    rank = ~((index_mask << bid_fill_bits) | fill_mask)
    first = m
    start = cut
    while start > lo:
        first -= 1
        start -= bids[first] & fill_mask
    last = m
    end = cut
    while end < hi:
        end += bids[last] & fill_mask
        last += 1
    out = np.empty(last - first, bids.dtype)  # (a cut fill fits where the fill did)
    x = start  # where bid `first` starts [Wh]
    for p in range(last - first):
        key = bids[first + p]
        fill = key & fill_mask
        position = (p & index_mask) << bid_fill_bits  # (none in keys without an index)
        out[p] = (key & rank) | position | (min(x + fill, hi) - max(x, lo))
        x += fill
    return out


@njit(cache=True, nogil=True)
def pack_bid_priced(
    bid_key,
    bid_fill,
    bid_price,
    ask_key,
    ask_fill,
    ask_sequence,
    ask_order,
    ask_use_order,
    offset,
    nlev,
    bid_short,
    bid_long,
    ask_packed,
    bid_value,
):
    """Lay out a pay-as-bid clearing's values (bids pay their own limits) in one call, for
    a small book: :func:`pack_bid_levels` of the bids and :func:`pack_ask_priority` of the
    asks. Returns (status, whether the bids' keys are short, the bids' keys written and
    their fill bits, the asks' keys written, their index bits and fill bits): status 0 when
    packed, 1 when a key needs more than 63 bits, 2 when the asks' sequences are out of
    order and no ``ask_order`` was given.
    """
    status, ask_count, ask_index_bits, ask_fill_bits = pack_ask_priority(
        ask_key, ask_fill, ask_sequence, ask_order, ask_use_order, offset, nlev, ask_packed
    )
    if status != 0:
        return status, False, 0, 0, 0, 0, 0
    status, short, bid_count, bid_fill_bits = pack_bid_levels(
        bid_key, bid_fill, bid_price, offset, nlev, bid_short, bid_long, bid_value
    )
    if status != 0:
        return status, False, 0, 0, 0, 0, 0
    return 0, short, bid_count, bid_fill_bits, ask_count, ask_index_bits, ask_fill_bits


@njit(cache=True, nogil=True)
def pack_bid_levels(bid_key, bid_fill, bid_price, offset, nlev, bid_short, bid_long, bid_value):
    """The bids' side of a pay-as-bid clearing's values: write each bid's value [Wh*tick]
    (fill times its price) and, for the filled bids, one key each of the level's rank
    (levels descending) above the fill [Wh], no position: the asks' values need only how
    much each bid level fills, not which bid fills it. Those keys go to ``bid_short``
    (int32, which numpy sorts about twice as fast) when they fit 31 bits, else to
    ``bid_long``. Returns (status, whether the keys are short, the keys written, their fill
    bits); status 1 when a key needs more than 63 bits.
    """
    rank_bits = _bit_length(max(nlev - 1, 1))
    bid_largest = 0
    for i in range(bid_fill.shape[0]):  # vectorises
        bid_largest = max(bid_largest, bid_fill[i])
    bid_fill_bits = _bit_length(bid_largest)
    if rank_bits + bid_fill_bits > 63:
        return 1, False, 0, 0
    for i in range(bid_fill.shape[0]):  # vectorises
        bid_value[i] = bid_fill[i] * bid_price[i]
    short = rank_bits + bid_fill_bits <= 31
    bid_count = 0
    if short:  # the same loop twice: one store type each
        for i in range(bid_key.shape[0]):
            f = bid_fill[i]
            bid_short[bid_count] = ((nlev - 1 - (bid_key[i] - offset)) << bid_fill_bits) | f
            bid_count += f > 0
    else:
        for i in range(bid_key.shape[0]):
            f = bid_fill[i]
            bid_long[bid_count] = ((nlev - 1 - (bid_key[i] - offset)) << bid_fill_bits) | f
            bid_count += f > 0
    return 0, short, bid_count, bid_fill_bits


@njit(cache=True, nogil=True)
def pack_ask_priority(
    ask_key, ask_fill, ask_sequence, ask_order, ask_use_order, offset, nlev, ask_packed
):
    """The asks' side of a pay-as-bid clearing's values: the filled asks' keys of
    :func:`pack_filled` in ``ask_packed``, positions in (sequence, index) order
    (``ask_order`` when ``ask_use_order``). Returns (status, the keys written, their index
    bits, their fill bits); status 1 when a key needs more than 63 bits, 2 when the
    sequences are out of order and no ``ask_order`` was given.
    """
    rank_bits = _bit_length(max(nlev - 1, 1))
    ask_index_bits = _bit_length(max(ask_key.shape[0] - 1, 1))
    ask_largest = 0
    for j in range(ask_fill.shape[0]):  # vectorises
        ask_largest = max(ask_largest, ask_fill[j])
    ask_fill_bits = _bit_length(ask_largest)
    if rank_bits + ask_index_bits + ask_fill_bits > 63:
        return 1, 0, 0, 0
    if not ask_use_order and not _non_decreasing(ask_sequence):
        return 2, 0, 0, 0
    ask_count = pack_filled(
        ask_key,
        offset,
        nlev,
        ask_fill,
        ask_order,
        ask_use_order,
        False,
        ask_index_bits,
        ask_fill_bits,
        ask_packed,
    )
    return 0, ask_count, ask_index_bits, ask_fill_bits


@njit(cache=True, nogil=True)
def ask_values_at_bid_prices(
    bids,
    bid_fill_bits,
    asks,
    ask_order,
    ask_use_order,
    ask_index_bits,
    ask_fill_bits,
    nlev,
    offset,
    prices,
    dense,
    ask_value,
):
    """Each filled ask's pay-as-bid value [Wh*tick]: the integral of the bids' price over
    the ask's range of the volume, ``F(end) - F(start)`` with ``F`` piecewise linear over
    the filled bids in priority order (sorted keys of :func:`pack_bid_priced`; which bid
    of a level fills which Wh does not change ``F``). The asks (sorted keys of
    :func:`pack_filled`) come in priority order, so their ranges follow each other and one
    walk over both sides evaluates every ``F``; no bid's value or trade is written.
    ``ask_value`` holds zeros for the unfilled asks. Both sides fill the same volume.
    """
    nb = bids.shape[0]
    na = asks.shape[0]
    if nb == 0 or na == 0:
        return
    bid_fill_mask = (1 << bid_fill_bits) - 1
    ask_fill_mask = (1 << ask_fill_bits) - 1
    ask_index_mask = (1 << ask_index_bits) - 1
    # One piece a step, the heads chosen with selects: a branch on whether an ask's range
    # ends in the current bid mispredicts about once an ask on a book the predictor has not
    # seen (a walk with that branch took 6.5-8.4 ns an ask over 8-32 books of 1e4 orders a
    # side in turn, this one 6.2-6.7; only the same book over and over taught it, 1.9).
    # The head ask's value is stored after every piece; its last store stays.
    pb = 0
    pa = 0
    key_b = bids[0]
    key_a = asks[0]
    end_b = key_b & bid_fill_mask  # where the head bid's fill ends in the volume [Wh]
    end_a = key_a & ask_fill_mask
    done = 0  # [Wh] valued so far
    v = 0  # the head ask's value so far [Wh*tick]
    while True:
        level = nlev - 1 - (key_b >> bid_fill_bits)
        price = offset + level if dense else prices[level]
        stop = min(end_b, end_a)
        v += (stop - done) * price
        done = stop
        t = (key_a >> ask_fill_bits) & ask_index_mask
        ask_value[ask_order[t] if ask_use_order else t] = v
        next_b, next_a, pb, pa = _next_heads(end_b, end_a, stop, pb, pa)
        if pa == na:  # the bids run out with the asks: both fill the volume
            return
        key_b = bids[pb]
        key_a = asks[pa]
        end_b += (key_b & bid_fill_mask) * next_b
        end_a += (key_a & ask_fill_mask) * next_a
        v *= 1 - next_a
