"""Numba kernels of the call auction: per-level totals, crossing, rationing, fills and
self-trade prevention.

(The trade list is built by :mod:`matching.pairing`.)

Book layout: each side is a set of int64 columns (price or level key, quantity, sequence,
member) indexed by order. Prices enter as *keys*: ``level = key - offset`` is a dense index
into the per-level arrays (in dense mode ``key`` is the price in ticks and ``offset`` the
lowest ask; in compressed mode the wrapper has mapped prices to ranks of the distinct prices).
Bids below the lowest ask and asks above the highest bid get levels outside ``[0, nlev)``:
they can never trade.

Cost: every kernel is one or two linear passes over the orders plus passes over the levels;
no comparison sort except inside a rationed group or a self-trading member's orders. That is
why the wrapper keeps price spans dense (a histogram beats sorting 2n keys).

Kernels are quiet: no raise, no print, no I/O. The wrapper (``matching/clearing.py``)
validates, allocates what it can and turns statuses into results. The whole call graph lives
in this module because numba's on-disk cache does not notice edits to helpers imported from
elsewhere. Rules implemented here are specified in ``matching/SPEC.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from matching.units import K_SCALE  # (an int, frozen in)

RATION_PRO_RATA = 0
RATION_TIME_PRIORITY = 1
NO_MEMBER = np.iinfo(np.int64).min
MEMBER_BUCKETS = 1024  # 8 KiB of sums: stays in L1 while the orders stream past
#: A pro-rata group across levels on a side whose quantities [Wh] all lie below this is
#: rationed per quantity (:func:`_fill_by_quantity`).
QUANTITY_TABLE = 1 << 13
#: Mechanism codes: the index in ``matching.mechanisms.MECHANISMS``.
UNIFORM, PAY_AS_BID, PAIR_MIDPOINT, TRADE_REDUCTION = 0, 1, 2, 3
#: Statuses of :func:`fills_at_once` and :func:`one_price_clearing` besides 0 (done).
MAY_SELF_TRADE, LEVELS_TOO_WIDE = 1, 2

_LOW20 = (1 << 20) - 1
_EXACT_FLOAT = 1 << 53  # integers below this are exact in a double
_SELECT_BUCKETS = 1 << 16


@njit(cache=True, nogil=True)
def extent(price):
    """Return (min, max) of a non-empty int64 array."""
    lo = price[0]
    hi = price[0]
    for i in range(1, price.shape[0]):  # min and max, not branches: the loop vectorises
        lo = min(lo, price[i])
        hi = max(hi, price[i])
    return lo, hi


@njit(cache=True, nogil=True)
def book_extents(bid_price, ask_price, bid_member, ask_member):
    """Return, for non-empty sides, the lowest ask price, the highest bid price [tick] and
    the (lowest, highest) member id of the bids and of the asks: one call for what would
    otherwise be four (a small book pays microseconds per call)."""
    ask_lo = extent(ask_price)[0]
    bid_hi = extent(bid_price)[1]
    bid_member_lo, bid_member_hi = extent(bid_member)
    ask_member_lo, ask_member_hi = extent(ask_member)
    return ask_lo, bid_hi, bid_member_lo, bid_member_hi, ask_member_lo, ask_member_hi


@njit(cache=True, nogil=True)
def is_non_decreasing(values):
    """Return True if ``values`` never decreases along the array."""
    # Counted, not returned at the first decrease: the loop vectorises, and sequences are
    # as a rule in order, so an early exit would save nothing.
    decreases = 0
    for i in range(1, values.shape[0]):
        decreases += values[i] < values[i - 1]
    return decreases == 0


@njit(cache=True, nogil=True)
def level_totals(key, quantity, member, offset, span, shift, with_members, totals, buckets):
    """Add each order's quantity [Wh] to its level's total and, ``with_members``, to its
    member's hash bucket.

    Levels are ``key - offset`` in ``[0, span)``; ``totals`` counts them ``2**shift`` to a
    slot (shift 0: a slot per level) and has one slot more, where orders outside every
    level land. The member buckets bound what any member can trade: a member whose bought
    plus sold exceeds the volume lies in a bucket whose bid and ask sums exceed it too.
    """
    nslot = totals.shape[0] - 1
    for i in range(key.shape[0]):
        level = key[i] - offset
        # A select, not a branch: whether a random order lies inside is unpredictable.
        slot = level >> shift if (level >= 0) & (level < span) else nslot
        q = quantity[i]
        totals[slot] += q
        if with_members:  # the same every order: the compiler takes it out of the loop
            buckets[member_bucket(member[i])] += q


@njit(cache=True, nogil=True)
def level_totals_both(
    bid_key,
    bid_quantity,
    bid_member,
    ask_key,
    ask_quantity,
    ask_member,
    offset,
    span,
    shift,
    with_members,
    bid_totals,
    ask_totals,
    bid_buckets,
    ask_buckets,
):
    """:func:`level_totals` of both sides in one call (a small book's; a large one runs
    the sides on two threads)."""
    level_totals(
        bid_key,
        bid_quantity,
        bid_member,
        offset,
        span,
        shift,
        with_members,
        bid_totals,
        bid_buckets,
    )
    level_totals(
        ask_key,
        ask_quantity,
        ask_member,
        offset,
        span,
        shift,
        with_members,
        ask_totals,
        ask_buckets,
    )


@njit(cache=True)
def crossing_window(bid_coarse, ask_coarse):
    """The slots of coarse per-level totals (:func:`level_totals` with a shift) that hold
    the uniform crossing: (first, last, demand above the last, supply below the first).

    With ``D_k`` the demand at the first level of slot k and ``S_k`` the supply at the last
    level of slot k (both exact from the slots), every level of slot k has
    ``min(D, S) >= min(D_{k+1}, S_{k-1})``, so the volume V is at least the largest such
    bound ``L``. The marginal levels and the best level have D >= V >= L and S >= V >= L, so
    they lie in the slots from the lowest with ``S_k >= L`` to the highest with
    ``D_k >= L``; beyond them demand (above) and supply (below) stay under V. A first slot
    after the last one means no volume.
    """
    n = bid_coarse.shape[0]
    total_demand = 0
    for k in range(n):
        total_demand += bid_coarse[k]
    bound = 1  # a volume of 0 needs no levels
    below = 0  # bids in slots before k
    supply = 0  # asks in slots before k
    for k in range(n):
        bound = max(bound, min(total_demand - below - bid_coarse[k], supply))
        below += bid_coarse[k]
        supply += ask_coarse[k]
    last = -1
    above = 0
    for k in range(n - 1, -1, -1):
        if above + bid_coarse[k] >= bound:
            last = k
            break
        above += bid_coarse[k]
    first = n
    supply = 0
    for k in range(n):
        if supply + ask_coarse[k] >= bound:
            first = k
            break
        supply += ask_coarse[k]
    return first, last, above, supply


@njit(cache=True, nogil=True)
def window_totals(key, quantity, offset, span, first, totals):
    """Add each order's quantity [Wh] to the total of its level ``key - offset`` when that
    lies in ``[first, first + len(totals))`` and below ``span``."""
    width = totals.shape[0]
    for i in range(key.shape[0]):
        level = key[i] - offset
        slot = level - first
        # A branch, not a select into a spare slot: nearly every order lies outside, so it
        # predicts well, where adding to one spare slot would chain every iteration.
        if (np.uint64(slot) < np.uint64(width)) & (level < span):
            totals[slot] += quantity[i]


@njit(cache=True, nogil=True)
def window_crossing(
    bid_coarse, ask_coarse, bid_key, bid_quantity, ask_key, ask_quantity, offset, span, shift
):
    """The uniform crossing from coarse totals of ``2**shift`` levels a slot:
    :func:`crossing_window` finds the slots that hold it, which are then totalled per level
    (:func:`window_totals`). Returns (the window's first level, :func:`crossing` of the
    window, its levels counted from that one). One call for the five a small book would
    pay microseconds each for."""
    first, last, demand_beyond, supply_beyond = crossing_window(bid_coarse, ask_coarse)
    if first > last:  # no volume
        return 0, (0, -1, -1, -1, -1, 0, 0, 0, 0)
    first_level = first << shift
    width = min((last + 1) << shift, span) - first_level
    bid_fine = np.zeros(width, dtype=np.int64)
    ask_fine = np.zeros(width, dtype=np.int64)
    window_totals(bid_key, bid_quantity, offset, span, first_level, bid_fine)
    window_totals(ask_key, ask_quantity, offset, span, first_level, ask_fine)
    return first_level, crossing(bid_fine, ask_fine, demand_beyond, supply_beyond)


@njit(cache=True)
def crossing(bid_totals, ask_totals, demand_beyond, supply_beyond):
    """Find the uniform crossing of per-level bid and ask totals.

    ``demand_beyond`` [Wh] is bid quantity above the last level and ``supply_beyond`` ask
    quantity below the first (0 when the levels cover every order; see
    :func:`crossing_window`). Returns (volume, bid_level, ask_level, unfilled_bid_level,
    unfilled_ask_level, demand_above, supply_below, bid_level_total, ask_level_total).
    ``bid_level`` is the marginal bid level b*, ``ask_level`` the marginal ask level a*; the
    unfilled levels are the highest bid level >= a* and the lowest ask level <= b* left
    with unfilled quantity, or -1 when there is none; demand_above is the bid quantity
    above b*, supply_below the ask quantity below a*.
    """
    nlev = bid_totals.shape[0]
    # No per-level arrays: demand at a level is the total less what lies below it. (A fresh
    # array of a level per tick costs more in page faults than the walk itself.)
    total_demand = demand_beyond
    for level in range(nlev):
        total_demand += bid_totals[level]
    volume = 0
    below = 0  # bid quantity at levels below the current one
    supply = supply_beyond
    for level in range(nlev):
        supply += ask_totals[level]
        v = min(total_demand - below, supply)
        if v > volume:
            volume = v
        below += bid_totals[level]
    if volume == 0:
        return 0, -1, -1, -1, -1, 0, 0, 0, 0
    bid_level = nlev - 1
    demand_above = demand_beyond  # bid quantity above bid_level
    while demand_above + bid_totals[bid_level] < volume:
        demand_above += bid_totals[bid_level]
        bid_level -= 1
    supply = supply_beyond
    ask_level = 0
    while supply + ask_totals[ask_level] < volume:
        supply += ask_totals[ask_level]
        ask_level += 1
    supply_below = supply
    unfilled_bid = -1
    if demand_above + bid_totals[bid_level] > volume:
        unfilled_bid = bid_level
    else:
        level = bid_level - 1
        while level >= ask_level:
            if bid_totals[level] > 0:
                unfilled_bid = level
                break
            level -= 1
    unfilled_ask = -1
    if supply_below + ask_totals[ask_level] > volume:
        unfilled_ask = ask_level
    else:
        level = ask_level + 1
        while level <= bid_level:
            if ask_totals[level] > 0:
                unfilled_ask = level
                break
            level += 1
    return (
        volume,
        bid_level,
        ask_level,
        unfilled_bid,
        unfilled_ask,
        demand_above,
        supply_below,
        bid_totals[bid_level],
        ask_totals[ask_level],
    )


@njit(cache=True)
def _marginal_side(lo, hi, margin, total, allocation):
    """Levels lo..hi fill completely, the marginal level shares ``allocation`` of its
    ``total`` [Wh]; a margin that fills completely joins the full range (one pass less)."""
    if allocation < total:
        return (lo, hi, margin, margin, total, allocation)
    return (min(lo, margin), max(hi, margin), 0, -1, 0, 0)


@njit(cache=True)
def _reduced_side(lo, hi, total, volume):
    """Trade reduction of one side's levels lo..hi: the short side fills completely, the
    long side is one group rationed to the volume."""
    if total <= volume:
        return (lo, hi, 0, -1, 0, 0)
    return (0, -1, lo, hi, total, volume)


@njit(cache=True)
def plan(cross, mechanism, k_ppm, offset, nlev, prices, dense):
    """What fills under ``mechanism`` (a code above), from :func:`crossing`'s ``cross``
    over levels ``0..nlev-1`` (price ``offset + level`` when ``dense``, else
    ``prices[level]``): (volume [Wh], uniform price, buyer's price, seller's price [tick],
    the bids' plan, the asks' plan), each plan (full_lo, full_hi, group_lo, group_hi,
    group_total, allocation) as :func:`fill_side` takes it. Volume 0: nothing trades. A
    price the mechanism does not set (per trade) is 0.
    """
    (
        volume,
        bid_level,
        ask_level,
        unfilled_bid,
        unfilled_ask,
        demand_above,
        supply_below,
        bid_total,
        ask_total,
    ) = cross
    top = nlev - 1
    if mechanism == TRADE_REDUCTION:  # SPEC section 3: the marginal levels are excluded
        volume = min(demand_above, supply_below)
        buyer = offset + bid_level if dense else prices[bid_level]
        seller = offset + ask_level if dense else prices[ask_level]
        return (
            volume,
            0,
            buyer,
            seller,
            _reduced_side(bid_level + 1, top, demand_above, volume),
            _reduced_side(0, ask_level - 1, supply_below, volume),
        )
    price = 0
    if mechanism == UNIFORM and volume > 0:  # SPEC section 1: in the competitive interval
        lower = offset + ask_level if dense else prices[ask_level]
        if unfilled_bid >= 0:
            lower = max(lower, offset + unfilled_bid if dense else prices[unfilled_bid])
        upper = offset + bid_level if dense else prices[bid_level]
        if unfilled_ask >= 0:
            upper = min(upper, offset + unfilled_ask if dense else prices[unfilled_ask])
        price = lower + (k_ppm * (upper - lower) + K_SCALE // 2) // K_SCALE
    return (
        volume,
        price,
        price,
        price,
        _marginal_side(bid_level + 1, top, bid_level, bid_total, volume - demand_above),
        _marginal_side(0, ask_level - 1, ask_level, ask_total, volume - supply_below),
    )


@njit(cache=True, nogil=True)
def fills_at_once(
    bid_key,
    bid_quantity,
    bid_sequence,
    bid_member,
    ask_key,
    ask_quantity,
    ask_sequence,
    ask_member,
    offset,
    nlev,
    prices,
    dense,
    shift,
    with_members,
    mechanism,
    k_ppm,
    rationing,
    bid_fill,
    ask_fill,
):
    """A small book's clearing up to the fills in one call: totals (``2**shift`` levels a
    slot, then the crossing's window per level, as :func:`window_crossing`), the crossing,
    :func:`plan` and the fills (:func:`fill_both`), for what would otherwise be five calls
    and as many Python steps. Levels as :func:`level_totals` reads them.

    Returns (status, volume [Wh], uniform price, buyer's price, seller's price [tick], the
    bids' plan, the asks' plan) as :func:`plan` gives them: status 0 when done (volume 0:
    nothing trades, the fills are not written), MAY_SELF_TRADE when a member may (with
    ``with_members``, a hash bucket's bids and asks together exceed the volume): then
    self-trade prevention is the caller's, over the whole pipeline, and no fill is written.
    """
    slots = ((nlev - 1) >> shift) + 1
    bid_totals = np.zeros(slots + 1, np.int64)
    ask_totals = np.zeros(slots + 1, np.int64)
    buckets = MEMBER_BUCKETS if with_members else 0
    bid_buckets = np.zeros(buckets, np.int64)
    ask_buckets = np.zeros(buckets, np.int64)
    level_totals_both(
        bid_key,
        bid_quantity,
        bid_member,
        ask_key,
        ask_quantity,
        ask_member,
        offset,
        nlev,
        shift,
        with_members,
        bid_totals,
        ask_totals,
        bid_buckets,
        ask_buckets,
    )
    bid, ask = bid_totals[:slots], ask_totals[:slots]  # without the slot for outside orders
    first = 0
    if shift == 0:
        cross = crossing(bid, ask, 0, 0)
    else:
        first, cross = window_crossing(
            bid, ask, bid_key, bid_quantity, ask_key, ask_quantity, offset, nlev, shift
        )
    none = (0, -1, 0, -1, 0, 0)
    volume, bid_level, ask_level, unfilled_bid, unfilled_ask = cross[:5]
    if volume == 0:
        return 0, 0, 0, 0, 0, none, none
    cross = (  # window levels -> levels
        volume,
        bid_level + first,
        ask_level + first,
        unfilled_bid + first if unfilled_bid >= 0 else -1,
        unfilled_ask + first if unfilled_ask >= 0 else -1,
        cross[5],
        cross[6],
        cross[7],
        cross[8],
    )
    volume, price, buyer, seller, bid_plan, ask_plan = plan(
        cross, mechanism, k_ppm, offset, nlev, prices, dense
    )
    if volume == 0:
        return 0, 0, 0, 0, 0, none, none
    for b in range(buckets):
        if bid_buckets[b] + ask_buckets[b] > volume:
            return MAY_SELF_TRADE, 0, 0, 0, 0, none, none
    fill_both(
        bid_key,
        bid_quantity,
        bid_sequence,
        ask_key,
        ask_quantity,
        ask_sequence,
        offset,
        bid_plan,
        ask_plan,
        rationing,
        bid_fill,
        ask_fill,
    )
    return 0, volume, price, buyer, seller, bid_plan, ask_plan


@njit(cache=True)
def coarse_shift(nlev, coarse_min, coarse_slots):
    """Levels a slot of the first totals of a dense span of ``nlev`` levels, as a power of
    two: 0 (a slot per level) up to ``coarse_min`` levels, else the least that leaves at
    most ``coarse_slots`` slots."""
    shift = 0
    if nlev > coarse_min:
        while (nlev - 1) >> shift >= coarse_slots:
            shift += 1
    return shift


@njit(cache=True, nogil=True)
def one_price_clearing(
    bid_price,
    bid_quantity,
    bid_sequence,
    bid_member,
    ask_price,
    ask_quantity,
    ask_sequence,
    ask_member,
    dense_min,
    dense_per_order,
    coarse_min,
    coarse_slots,
    mechanism,
    k_ppm,
    rationing,
    bid_fill,
    ask_fill,
):
    """:func:`fills_at_once` of a book of non-empty sides whose crossing range spans at
    most ``max(dense_min, dense_per_order * orders)`` ticks (then prices are levels), from
    the prices on: the extents, and over ``coarse_min`` levels slots of a power of two
    levels, at most ``coarse_slots`` of them (the wrapper's rules, passed in). For a
    mechanism with one price a side (uniform, trade reduction) that is the whole clearing
    when no trade list is asked for. Returns (status, volume, uniform price, buyer's price,
    seller's price) of :func:`fills_at_once`, and LEVELS_TOO_WIDE for a wider span, which
    takes levels ranked by price (the wrapper's)."""
    lo, hi, bid_lo, bid_hi, ask_lo, ask_hi = book_extents(
        bid_price, ask_price, bid_member, ask_member
    )
    if hi < lo:
        return 0, 0, 0, 0, 0
    span = hi - lo + 1
    if span > max(dense_min, dense_per_order * (bid_price.shape[0] + ask_price.shape[0])):
        return LEVELS_TOO_WIDE, 0, 0, 0, 0
    shift = coarse_shift(span, coarse_min, coarse_slots)
    apart = bid_hi < ask_lo or ask_hi < bid_lo  # no member on both sides
    status, volume, price, buyer, seller, _, _ = fills_at_once(
        bid_price,
        bid_quantity,
        bid_sequence,
        bid_member,
        ask_price,
        ask_quantity,
        ask_sequence,
        ask_member,
        lo,
        span,
        bid_price[:0],
        True,
        shift,
        not apart,
        mechanism,
        k_ppm,
        rationing,
        bid_fill,
        ask_fill,
    )
    return status, volume, price, buyer, seller


@njit(cache=True)
def _muldiv(a, b, c):
    """Return (a * b // c, a * b % c) exactly for 0 <= a, b <= c < 2**37, inside int64."""
    high = a * (b >> 20)  # < 2**54
    q1 = high // c
    r1 = high - q1 * c
    low = (r1 << 20) + a * (b & _LOW20)  # < 2**58
    q2 = low // c
    return (q1 << 20) + q2, low - q2 * c


@njit(cache=True)
def _by_sequence(group, sequence):
    """Return ``group`` (ascending indices) ordered by (sequence, index)."""
    n = group.shape[0]
    seqs = np.empty(n, dtype=np.int64)
    ordered = True
    for t in range(n):
        seqs[t] = sequence[group[t]]
        if t > 0 and seqs[t] < seqs[t - 1]:
            ordered = False
    if ordered:
        return group.copy()
    order = np.argsort(seqs, kind="mergesort")
    out = np.empty_like(group)
    for t in range(n):
        out[t] = group[order[t]]
    return out


@njit(cache=True)
def _kth_largest(values, k, bound):
    """Return the ``k``-th largest (1-based) of ``values``, all in ``[0, bound)``.

    A histogram of the top bits finds the bucket that holds it; only that bucket's
    values are then partitioned (np.partition of the whole array costs several passes).
    """
    n = values.shape[0]
    # About a bucket per four values (at most _SELECT_BUCKETS): zeroing more costs a small
    # group more than its values do, and the counts stay in the fastest cache.
    buckets = 256
    while buckets < min(n >> 2, _SELECT_BUCKETS):
        buckets *= 2
    shift = 0
    while (bound - 1) >> shift >= buckets:
        shift += 1
    counts = np.zeros(buckets, dtype=np.int64)
    for t in range(n):
        counts[values[t] >> shift] += 1
    bucket = buckets - 1
    above = 0
    while above + counts[bucket] < k:
        above += counts[bucket]
        bucket -= 1
    inside = np.empty(counts[bucket], dtype=np.int64)
    c = 0
    for t in range(n):
        if values[t] >> shift == bucket:
            inside[c] = values[t]
            c += 1
    rank = k - above  # 1-based, among the bucket's values from the largest
    return -np.partition(-inside, rank - 1)[rank - 1]


@njit(cache=True)
def _ration_group(group, quantity, sequence, total, allocation, rationing, fill):
    """Share ``allocation`` [Wh] among the orders ``group`` (ascending index) of ``total`` Wh,
    writing their fills. Pro-rata by largest remainder or time priority (SPEC section 2)."""
    n = group.shape[0]
    if allocation >= total:
        for t in range(n):
            fill[group[t]] = quantity[group[t]]
        return
    if rationing == RATION_TIME_PRIORITY:
        ordered = _by_sequence(group, sequence)
        left = allocation
        for t in range(n):
            i = ordered[t]
            take = min(quantity[i], left)
            fill[i] = take
            left -= take
        return
    # The group's quantities gathered once, shares and remainders in arrays of the group
    # (the loops vectorise), and each fill written once, in the pass that also counts the
    # orders above and at the threshold.
    share = np.empty(n, dtype=np.int64)
    remainders = np.empty(n, dtype=np.int64)
    largest = 0
    for t in range(n):
        q = quantity[group[t]]
        share[t] = q
        largest = max(largest, q)
    given = 0
    if largest < _EXACT_FLOAT // max(allocation, 1):  # each product exact in a double
        # A multiplication by the reciprocal instead of two divisions per order: the
        # estimate is off by at most one, which the remainder shows and one step fixes.
        inverse = 1.0 / total
        for t in range(n):
            product = share[t] * allocation
            base = np.int64(product * inverse)
            rem = product - base * total
            step = np.int64(rem >= total) - np.int64(rem < 0)
            base += step
            share[t] = base
            remainders[t] = rem - step * total
            given += base
    else:
        for t in range(n):
            base, rem = _muldiv(share[t], allocation, total)
            share[t] = base
            remainders[t] = rem
            given += base
    leftover = allocation - given
    if leftover == 0:
        for t in range(n):
            fill[group[t]] = share[t]
        return
    # The leftover Wh go to the largest remainders: everything above the leftover-th largest
    # remainder gets one, and the ties at that remainder are served by (sequence, index).
    # A linear-time selection instead of a sort keeps huge groups cheap.
    threshold = _kth_largest(remainders, leftover, total)
    above = 0
    # The ties collected in the same pass, a compaction without branches (every order
    # writes, a tied one moves on): one pass less over the group.
    tied = np.empty(n, dtype=np.int64)
    ties = 0
    for t in range(n):
        r = remainders[t]
        more = r > threshold
        fill[group[t]] = share[t] + more
        above += more
        tied[ties] = group[t]
        ties += r == threshold
    tied = _by_sequence(tied[:ties], sequence)
    for t in range(leftover - above):
        fill[tied[t]] += 1


@njit(cache=True, nogil=True)
def _fill_by_quantity(
    key,
    quantity,
    sequence,
    offset,
    full_lo,
    full_hi,
    group_lo,
    group_hi,
    total,
    allocation,
    fill,
):
    """:func:`fill_side` with a pro-rata group (``0 < allocation < total``) on a side whose
    quantities [Wh] all lie below ``QUANTITY_TABLE`` and below a sixteenth of its orders;
    return False, writing nothing, otherwise.

    An order's share and remainder (SPEC section 2) depend only on its quantity, so they
    are worked out once per quantity and the leftover's threshold over a table of
    quantities; the orders are read three times (largest, count, fill) and each fill
    written once.
    Trade reduction's group spans levels and holds about half of the long side: this
    saves the passes and the arrays of the group's length that :func:`_ration_group`
    takes, a saving of memory traffic, which is what bounds these passes.
    """
    n = key.shape[0]
    largest = 0
    for i in range(n):  # vectorises
        largest = max(largest, quantity[i])
    # A table per quantity pays when many orders share each quantity: sorting the table's
    # remainders costs as much as the orders' own would otherwise.
    if largest >= QUANTITY_TABLE or n < 16 * largest:
        return False
    # Tables as long as the largest quantity: a small book pays for no more.
    table = largest + 1
    width = np.uint64(group_hi - group_lo)
    count = np.zeros(table, dtype=np.int64)
    for i in range(n):
        count[quantity[i]] += np.uint64(key[i] - offset - group_lo) <= width
    # quantity * allocation < 2**13 * 9e10 < 2**53: exact in int64, and in a double.
    remainder = np.zeros(table, dtype=np.int64)
    present = 0
    given = 0
    for q in range(1, table):
        if count[q] > 0:
            product = q * allocation
            given += count[q] * (product // total)
            remainder[q] = product % total
            present += 1
    quantities = np.empty(present, dtype=np.int64)
    present = 0
    for q in range(1, table):
        if count[q] > 0:
            quantities[present] = q
            present += 1
    # Quantities by remainder, largest first, in runs of equal remainder: while a run's
    # orders fit into the leftover, each gets one Wh more; the run that does not fit shares
    # what is left by (sequence, index).
    by_remainder = quantities[np.argsort(-remainder[quantities])]
    leftover = allocation - given
    is_tied = np.zeros(table, dtype=np.uint8)
    tied_total = 0
    t = 0
    above = total  # remainders above this get one Wh more
    while t < present and leftover > 0:
        u = t
        run = 0
        while u < present and remainder[by_remainder[u]] == remainder[by_remainder[t]]:
            run += count[by_remainder[u]]
            u += 1
        above = remainder[by_remainder[t]]
        if run > leftover:  # this run shares what is left
            for v in range(t, u):
                is_tied[by_remainder[v]] = 1
            tied_total = run
            break
        above -= 1  # the whole run gets one Wh more
        leftover -= run
        t = u
    # The fills, from arithmetic rather than from the tables: a gather per order stops the
    # loop from vectorising (measured 3x slower). Products are exact in a double, so the
    # reciprocal's estimate is off by at most one, which the remainder shows and one step
    # fixes (as in _ration_group); the orders of the quantities placed above get one Wh.
    inverse = 1.0 / total
    for i in range(n):
        level = key[i] - offset
        q = quantity[i]
        inside = np.int64(np.uint64(level - group_lo) <= width)
        product = q * allocation
        base = np.int64(product * inverse)
        rem = product - base * total
        step = np.int64(rem >= total) - np.int64(rem < 0)
        base += step
        rem -= step * total
        fill[i] = q * ((level >= full_lo) & (level <= full_hi)) + (base + (rem > above)) * inside
    if tied_total > 0:
        # A compaction without branches (every order writes, a tied one moves on): twice
        # as fast here as a branch that is nearly never taken.
        tied = np.empty(tied_total + 1, dtype=np.int64)
        c = 0
        for i in range(n):
            tied[c] = i
            c += is_tied[quantity[i]] & (np.uint64(key[i] - offset - group_lo) <= width)
        tied = _by_sequence(tied[:tied_total], sequence)
        for u in range(leftover):
            fill[tied[u]] += 1
    return True


@njit(cache=True)
def member_bucket(m):
    """Hash a member id to one of ``MEMBER_BUCKETS`` buckets (Fibonacci hashing)."""
    return ((m * -7046029254386353131) >> 50) & (MEMBER_BUCKETS - 1)


@njit(cache=True, nogil=True)
def fill_side(
    key,
    quantity,
    sequence,
    offset,
    full_lo,
    full_hi,
    group_lo,
    group_hi,
    group_total,
    allocation,
    rationing,
    fill,
):
    """Fill one side: levels in [full_lo, full_hi] completely, levels in [group_lo, group_hi]
    as one rationed group sharing ``allocation`` [Wh] of its ``group_total``, every other
    order nothing.
    """
    if (
        (rationing == RATION_PRO_RATA)
        & (group_hi > group_lo)
        & (allocation > 0)
        & (allocation < group_total)
    ) and _fill_by_quantity(
        key,
        quantity,
        sequence,
        offset,
        full_lo,
        full_hi,
        group_lo,
        group_hi,
        group_total,
        allocation,
        fill,
    ):
        return
    n = key.shape[0]
    g = 0
    for i in range(n):
        level = key[i] - offset
        # Arithmetic, no branches: the loop vectorises, and whether a random order fills
        # is a coin flip a branch predictor would lose (measured 4x slower with branches).
        q = quantity[i] * ((level >= full_lo) & (level <= full_hi))
        fill[i] = q
        g += (level >= group_lo) & (level <= group_hi)
    if g == 0 or allocation == 0:
        return
    # The rationed group, collected in a pass of its own: tracking it in the loop above
    # would stop the vectorisation. A compaction without branches (every order writes, a
    # member moves on): trade reduction's group is about half the orders, a coin flip.
    group = np.empty(g + 1, dtype=np.int64)
    width = group_hi - group_lo
    g = 0
    for i in range(n):
        group[g] = i
        g += np.uint64(key[i] - offset - group_lo) <= np.uint64(width)
    group = group[:g]
    _ration_group(group, quantity, sequence, group_total, allocation, rationing, fill)


@njit(cache=True, nogil=True)
def fill_both(
    bid_key,
    bid_quantity,
    bid_sequence,
    ask_key,
    ask_quantity,
    ask_sequence,
    offset,
    bid_plan,
    ask_plan,
    rationing,
    bid_fill,
    ask_fill,
):
    """:func:`fill_side` of both sides in one call (a small book's); each plan is the
    tuple (full_lo, full_hi, group_lo, group_hi, group_total, allocation)."""
    fill_side(bid_key, bid_quantity, bid_sequence, offset, *bid_plan, rationing, bid_fill)
    fill_side(ask_key, ask_quantity, ask_sequence, offset, *ask_plan, rationing, ask_fill)


@njit(cache=True, nogil=True)
def fill_buckets(member, fill, buckets):
    """Add each order's fill [Wh] to its member's hash bucket."""
    for i in range(member.shape[0]):
        buckets[member_bucket(member[i])] += fill[i]


@njit(cache=True, nogil=True)
def bucket_candidate(member, fill, bucket):
    """Return the weighted majority member (Boyer-Moore vote weighted by fill) among the
    filled orders whose member hashes to ``bucket``: the only one there that can hold more
    than half of the bucket's fill."""
    candidate = NO_MEMBER
    weight = 0
    for i in range(member.shape[0]):
        q = fill[i]
        m = member[i]
        if q == 0 or member_bucket(m) != bucket:
            continue
        if m == candidate:
            weight += q
        elif q <= weight:
            weight -= q
        else:
            candidate = m
            weight = q - weight
    return candidate


@njit(cache=True)
def member_fills(member, fill, first, second):
    """Return the total fills [Wh] of members ``first`` and ``second`` on one side."""
    a = 0
    b = 0
    for i in range(member.shape[0]):
        m = member[i]
        if m == first:
            a += fill[i]
        elif m == second:
            b += fill[i]
    return a, b


@njit(cache=True)
def decrement_member(order, member, fill, m, excess):
    """Take ``excess`` [Wh] of fill from member ``m``'s orders, lowest priority first.

    ``order`` lists the side's filled orders in priority order.
    """
    left = excess
    for t in range(order.shape[0] - 1, -1, -1):
        if left == 0:
            break
        i = order[t]
        if member[i] == m:
            take = min(fill[i], left)
            fill[i] -= take
            left -= take
