"""Numba kernels that turn fills into the trade list (SPEC section 5).

Filled orders are first laid out in priority order by a stable counting sort over price
levels (no comparison sort); the walk then pairs the two queues head to head, looks ahead
past a member's own orders, and reroutes earlier trades when only one member is left on
both sides. Trades are built as positions in the priority queues and turned into order
indices, prices and per-order values in one last pass.

Cost: O(n + levels) for the layout, O(filled orders) for the walk when no member meets
itself; look-ahead past runs of one member's orders is cached per member, so only books
where members alternate adversarially pay more. Quiet kernels, whole call graph in this
module (numba's cache does not see edits to helpers imported from elsewhere).
"""

from __future__ import annotations

import numpy as np
from numba import njit

PRICE_FIXED = 0  # one buyer price and one seller price for every trade
PRICE_BID = 1  # pay-as-bid: the buyer's limit
PRICE_MIDPOINT = 2  # (bid + ask + 1) // 2

_NO_MEMBER = np.iinfo(np.int64).min


# Columns of a priority queue: one row per filled order, so that laying it out costs one
# scattered 32-byte write per order instead of four scattered 8-byte ones.
INDEX, REMAINING, MEMBER, LIMIT = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def priority_queue(
    key, offset, nlev, fill, member, price, descending, sequence_order, use_sequence_order
):
    """Lay out the orders with fill > 0 in priority order, one row each:
    (index, fill, member, limit price).

    Level first (descending for bids, ascending for asks), then sequence, then index: a
    stable counting sort over levels that visits orders in sequence order (the index order
    when the wrapper found the sequences already non-decreasing).
    """
    n = key.shape[0]
    # Slot nlev collects the unfilled orders (level of a bid below every ask, say): the
    # passes below use selects instead of branching on each order's fill, which is a coin
    # flip for the branch predictor.
    starts = np.zeros(nlev + 2, dtype=np.int64)
    for i in range(n):
        filled = fill[i] > 0
        level = key[i] - offset
        slot = (nlev - 1 - level if descending else level) if filled else nlev
        starts[slot + 1] += 1
    for s in range(nlev + 1):
        starts[s + 1] += starts[s]
    total = starts[nlev]
    queue = np.empty((total + 1, 4), dtype=np.int64)  # row total takes the unfilled writes
    for t in range(n):
        i = sequence_order[t] if use_sequence_order else t
        filled = fill[i] > 0
        level = key[i] - offset
        slot = (nlev - 1 - level if descending else level) if filled else nlev
        p = starts[slot] if filled else total
        starts[slot] += filled
        queue[p, INDEX] = i
        queue[p, REMAINING] = fill[i]
        queue[p, MEMBER] = member[i]
        queue[p, LIMIT] = price[i]
    return queue[:total]


@njit(cache=True)
def _emit(tb, ta, tq, nt, b, a, q):
    tb[nt] = b
    ta[nt] = a
    tq[nt] = q
    return nt + 1


@njit(cache=True)
def pair_walk(bids, asks, tb, ta, tq):
    """Pair the priority queues ``bids`` and ``asks`` into trades of queue positions
    (tb, ta, quantity tq).

    Works on copies of the remaining fills. Returns the number of trades written, or -1
    when the output capacity is too small (the wrapper retries with more). Trades that the
    fix-up reduced to zero stay in the output; :func:`finish_trades` drops them.
    """
    rb = bids[:, REMAINING].copy()
    mb = bids[:, MEMBER].copy()
    ra = asks[:, REMAINING].copy()
    ma = asks[:, MEMBER].copy()
    nb = rb.shape[0]
    na = ra.shape[0]
    cap = tb.shape[0]
    nt = 0
    hb = 0
    ha = 0
    # Look-ahead caches: asks in (ha, ask_from) are spent or of member ask_for; bids alike.
    ask_for = _NO_MEMBER
    ask_from = 0
    bid_for = _NO_MEMBER
    bid_from = 0
    while True:
        while hb < nb and rb[hb] == 0:
            hb += 1
        while ha < na and ra[ha] == 0:
            ha += 1
        if hb == nb or ha == na:
            return nt
        if nt >= cap:
            return -1
        m = mb[hb]
        if m != ma[ha]:
            q = min(rb[hb], ra[ha])
            nt = _emit(tb, ta, tq, nt, hb, ha, q)
            rb[hb] -= q
            ra[ha] -= q
            continue
        j = max(ha + 1, ask_from) if ask_for == m else ha + 1
        while j < na and (ra[j] == 0 or ma[j] == m):
            j += 1
        ask_for = m
        ask_from = j
        if j < na:
            q = min(rb[hb], ra[j])
            nt = _emit(tb, ta, tq, nt, hb, j, q)
            rb[hb] -= q
            ra[j] -= q
            continue
        i = max(hb + 1, bid_from) if bid_for == m else hb + 1
        while i < nb and (rb[i] == 0 or mb[i] == m):
            i += 1
        bid_for = m
        bid_from = i
        if i < nb:
            q = min(rb[i], ra[ha])
            nt = _emit(tb, ta, tq, nt, i, ha, q)
            rb[i] -= q
            ra[ha] -= q
            continue
        return _fix_up(rb, mb, ra, ma, tb, ta, tq, nt, hb, ha, m)


@njit(cache=True)
def _fix_up(rb, mb, ra, ma, tb, ta, tq, nt, hb, ha, m):
    """Every remaining bid and ask belongs to ``m``: reroute earlier trades between other
    members through m, latest first (SPEC section 5, step 4)."""
    cap = tb.shape[0]
    left = 0
    for t in range(hb, rb.shape[0]):
        left += rb[t]
    t = nt - 1
    while t >= 0 and left > 0:
        x = tb[t]
        y = ta[t]
        if tq[t] > 0 and mb[x] != m and ma[y] != m:
            u = min(tq[t], left)
            tq[t] -= u
            left -= u
            rest = u
            while rest > 0:  # x buys u from m's asks
                while ra[ha] == 0:
                    ha += 1
                if nt >= cap:
                    return -1
                q = min(rest, ra[ha])
                nt = _emit(tb, ta, tq, nt, x, ha, q)
                ra[ha] -= q
                rest -= q
            rest = u
            while rest > 0:  # m's bids buy u from y
                while rb[hb] == 0:
                    hb += 1
                if nt >= cap:
                    return -1
                q = min(rest, rb[hb])
                nt = _emit(tb, ta, tq, nt, hb, y, q)
                rb[hb] -= q
                rest -= q
        t -= 1
    return nt


@njit(cache=True)
def finish_trades(
    tb,
    ta,
    tq,
    nt,
    bids,
    asks,
    pricing,
    buyer_price,
    seller_price,
    buyer,
    seller,
    quantity,
    out_buyer_price,
    out_seller_price,
):
    """Drop zero trades, turn queue positions into order indices and price every trade by
    ``pricing``. ``bids`` and ``asks`` are the priority queues. Returns the trades kept."""
    k = 0
    for t in range(nt):
        q = tq[t]
        if q == 0:
            continue
        pb = tb[t]
        pa = ta[t]
        if pricing == PRICE_BID:
            bprice = bids[pb, LIMIT]
            sprice = bprice
        elif pricing == PRICE_MIDPOINT:
            bprice = (bids[pb, LIMIT] + asks[pa, LIMIT] + 1) // 2
            sprice = bprice
        else:
            bprice = buyer_price
            sprice = seller_price
        buyer[k] = bids[pb, INDEX]
        seller[k] = asks[pa, INDEX]
        quantity[k] = q
        out_buyer_price[k] = bprice
        out_seller_price[k] = sprice
        k += 1
    return k


@njit(cache=True)
def trade_values(tb, ta, tq, nt, bids, asks, pricing, bid_value, ask_value):
    """Set each filled order's value: the sum over its trades of quantity * price
    [Wh*tick]. Sums run over queue positions, which the walk visits nearly in order, and
    each order's total is written once: scattered writes per order, not per trade."""
    bid_sum = np.zeros(bids.shape[0], dtype=np.int64)
    ask_sum = np.zeros(asks.shape[0], dtype=np.int64)
    for t in range(nt):
        pb = tb[t]
        pa = ta[t]
        if pricing == PRICE_BID:
            price = bids[pb, LIMIT]
        else:
            price = (bids[pb, LIMIT] + asks[pa, LIMIT] + 1) // 2
        bid_sum[pb] += tq[t] * price
        ask_sum[pa] += tq[t] * price
    for p in range(bids.shape[0]):
        bid_value[bids[p, INDEX]] = bid_sum[p]
    for p in range(asks.shape[0]):
        ask_value[asks[p, INDEX]] = ask_sum[p]
