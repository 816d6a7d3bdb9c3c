"""Numba kernels of the sharing keys (:mod:`matching.sharing` states the rules).

Layout: consumption and allocation are (members, intervals) int64 matrices in C order, so a
member's row of intervals is contiguous; every kernel walks the matrix row by row, members
in index order (which is also the order ties are broken in), and keeps one running figure
per interval. The remainders of a proportional split are written transposed, (intervals,
members), so that the wrapper can select the largest of each interval in a contiguous row.

Kernels are quiet: no raise, no print, no allocation. The wrapper validates, allocates and
bounds every product below 2**63. The whole call graph lives in this module because numba's
on-disk cache does not notice edits to helpers imported from elsewhere.
"""

from __future__ import annotations

from numba import njit

WEIGHT_PER_MEMBER = 0  # the weight of member m is weights[m] (static, iterative)
WEIGHT_CONSUMPTION = 1  # the weight of member m in interval t is its consumption (pro-rata)


@njit(cache=True, nogil=True)
def priority_fill(consumption, order, production, out):
    """Serve the members in ``order``, each its consumption while production lasts [Wh];
    ``out`` must be zero outside the listed members' rows."""
    left = production.copy()
    intervals = consumption.shape[1]
    for k in range(order.shape[0]):
        m = order[k]
        for t in range(intervals):
            take = min(consumption[m, t], left[t])
            out[m, t] = take
            left[t] -= take


@njit(cache=True, nogil=True)
def split_floors(amount, total, consumption, weights, weight_kind, active, out, remainder_t):
    """Write each member's floor of ``amount[t] * weight / total[t]`` into ``out`` and its
    remainder into ``remainder_t[t, m]``, for every interval with ``total[t] > 0`` and every
    member with ``active[m, t]`` (others get 0 and remainder 0)."""
    members, intervals = consumption.shape
    for m in range(members):  # remainder_t[:, m]: one cache line per interval, reused by 8 members
        for t in range(intervals):
            weight = weights[m] if weight_kind == WEIGHT_PER_MEMBER else consumption[m, t]
            if total[t] == 0 or not active[m, t] or weight == 0:
                out[m, t] = 0
                remainder_t[t, m] = 0
                continue
            exact = amount[t] * weight
            share = exact // total[t]
            out[m, t] = share
            remainder_t[t, m] = exact - share * total[t]


@njit(cache=True, nogil=True)
def add_largest_remainders(remainder_t, cut, ties, out):
    """Add one Wh to every member whose remainder in interval t is above ``cut[t]`` and to
    the first ``ties[t]`` members (by index) whose remainder equals it; ``cut[t] < 0``
    means nothing is left over in t."""
    intervals, members = remainder_t.shape
    left_ties = ties.copy()
    for m in range(members):  # members in index order: ties go to the lowest first
        for t in range(intervals):
            c = cut[t]
            if c < 0:
                continue
            r = remainder_t[t, m]
            if r > c:
                out[m, t] += 1
            elif r == c and left_ties[t] > 0:
                out[m, t] += 1
                left_ties[t] -= 1


@njit(cache=True, nogil=True)
def cap(out, consumption):
    """Cap every allocation at the member's consumption [Wh]."""
    members, intervals = out.shape
    for m in range(members):
        for t in range(intervals):
            if out[m, t] > consumption[m, t]:
                out[m, t] = consumption[m, t]


@njit(cache=True, nogil=True)
def saturate_round(consumption, weights, active, left, weight_left, done, out):
    """One round of the iterative key over the intervals not ``done``: members with
    ``c * weight_left[t] <= left[t] * w`` (their share covers their consumption) get their
    consumption and leave ``active``; ``left`` and ``weight_left`` lose what they took.
    An interval where nobody saturates (or nobody is left) is marked done. Return the
    number of intervals still open."""
    members, intervals = consumption.shape
    taken = left * 0
    taken_weight = left * 0
    for m in range(members):
        w = weights[m]
        if w == 0:
            continue
        for t in range(intervals):
            if done[t] or not active[m, t]:
                continue
            c = consumption[m, t]
            if c * weight_left[t] <= left[t] * w:
                active[m, t] = False
                out[m, t] = c
                taken[t] += c
                taken_weight[t] += w
    still_open = 0
    for t in range(intervals):
        if done[t]:
            continue
        if taken_weight[t] == 0:
            done[t] = True
            continue
        left[t] -= taken[t]
        weight_left[t] -= taken_weight[t]
        if weight_left[t] == 0:
            done[t] = True
        else:
            still_open += 1
    return still_open
