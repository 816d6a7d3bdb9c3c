"""Gains from trade of a call-auction book and of its clearing, at the orders' limit prices.

**Definitions** (one interval; prices [tick], energy [Wh], surplus [Wh*tick]):

- The *realised surplus* of a clearing is ``sum_i b_i * x_i - sum_j a_j * y_j`` over bids
  ``i`` with limit price ``b_i`` and fill ``x_i`` and asks ``j`` with limit price ``a_j``
  and fill ``y_j``. The prices paid do not enter: what a buyer pays a seller is a transfer
  between members, so every mechanism that fills the same orders realises the same surplus.
- The *maximum surplus* of the book is the largest realised surplus of any fills with
  ``0 <= x_i <= q_i``, ``0 <= y_j <= q_j`` and ``sum x = sum y``: the bids taken from the
  highest price down, the asks from the lowest up, energy by energy while the bid's price
  exceeds the ask's. It is the area between the demand and the supply curve left of their
  crossing. It ignores who submitted an order: a member's own bid and ask of one interval
  may match in it, though self-trade prevention never lets them trade.
- *Allocative efficiency* over a period is ``sum_t realised_t / sum_t maximum_t`` over its
  intervals (each interval's surplus first, then summed, so a large interval weighs more),
  undefined (None) when no interval had gains from trade.

The limit prices are the prices the orders state, not the members' true values: for a
truthful bidder they are the same; a strategy that shades its price (ZIP, ZI-C) is measured
at its order's price, as the market sees it (Gode and Sunder 1993 measure at the true
values; a simulation that wants those must pass them as the prices).

Which mechanism reaches 1: uniform clearing fills the highest bids and the lowest asks up
to the crossing volume, so it realises the maximum on every book, whichever rationing
shares the marginal level (all its orders have one price, so who fills does not change the
surplus); it stays below 1 only when self-trade prevention removes volume (a member whose
bought plus sold would exceed the volume). Pay-as-bid and pair-midpoint fill as uniform
does (``SPEC.md`` section 1) and differ only in prices, so they reach 1 on the same books.
Trade reduction (McAfee 1992; ``SPEC.md`` section 3 after Huang, Scheller-Wolf and Sycara
2002) leaves out the marginal bid and ask levels, losing their gains, and rations its long
side across price levels, so it can fill a lower bid before a higher one: below 1 whenever
it drops a trade with gains.

Exact: integer arithmetic only; sums that could pass the int64 range are taken in Python
ints. Cost: one sort of each side, O(n log n).

References
----------
- Gode, D. K. and Sunder, S. (1993). Allocative efficiency of markets with zero-intelligence
  traders. Journal of Political Economy 101(1), 119-137. doi:10.1086/261868
- McAfee, R. P. (1992). A dominant strategy double auction. Journal of Economic Theory
  56(2), 434-450. doi:10.1016/0022-0531(92)90091-U
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_INT64_MAX = np.iinfo(np.int64).max


def _column(values: object) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


def max_surplus(
    bid_price: object, bid_quantity: object, ask_price: object, ask_quantity: object
) -> int:
    """Return the maximum surplus [Wh*tick] of the orders (module docstring): prices
    [tick], quantities [Wh] > 0, one column per argument."""
    bp, bq = _column(bid_price), _column(bid_quantity)
    ap, aq = _column(ask_price), _column(ask_quantity)
    if bp.size == 0 or ap.size == 0:
        return 0
    order = np.argsort(-bp, kind="stable")
    bp, bq = bp[order], bq[order]
    order = np.argsort(ap, kind="stable")
    ap, aq = ap[order], aq[order]
    if bp[0] <= ap[0]:
        return 0
    bid_end, ask_end = np.cumsum(bq), np.cumsum(aq)  # each side's energy so far [Wh]
    volume = min(int(bid_end[-1]), int(ask_end[-1]))
    # Cut the energy axis where either side moves on to its next order: between two cuts
    # one bid meets one ask.
    cuts = np.union1d(bid_end[bid_end < volume], ask_end[ask_end < volume])
    ends = np.append(cuts, volume)
    length = np.diff(ends, prepend=0)
    gain = bp[np.searchsorted(bid_end, ends)] - ap[np.searchsorted(ask_end, ends)]
    keep = gain > 0
    gain, length = gain[keep], length[keep]
    if gain.size == 0:
        return 0
    if int(gain[0]) * int(length.sum()) <= _INT64_MAX:  # gain[0] is the largest gain
        return int(np.dot(gain, length))
    return sum(int(g) * int(n) for g, n in zip(gain.tolist(), length.tolist(), strict=True))


def realised_surplus(
    bid_price: object, bid_filled: object, ask_price: object, ask_filled: object
) -> int:
    """Return the surplus [Wh*tick] the fills realise at the orders' limit prices."""
    return _value(bid_price, bid_filled) - _value(ask_price, ask_filled)


def _value(price: object, filled: object) -> int:
    p, f = _column(price), _column(filled)
    if p.size == 0:
        return 0
    bound = int(np.abs(p).max()) * int(f.sum(dtype=np.uint64))
    if bound <= _INT64_MAX:
        return int(np.dot(p, f))
    return sum(int(a) * int(b) for a, b in zip(p.tolist(), f.tolist(), strict=True))


def efficiency(realised: int, maximum: int) -> Fraction | None:
    """Return allocative efficiency ``realised / maximum`` [1], None when ``maximum`` is 0."""
    return Fraction(realised, maximum) if maximum else None
