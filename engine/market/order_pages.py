"""A member's orders page by page, at a cost that does not grow with the member's history.

A page is the orders after a cursor (the last order id of the page before; 0 for the first
page), in order id order (arrival order: oldest first), at most ``limit`` of them. The
candidates are an ascending array of order ids: the member's own list, kept by the fold
(:class:`~engine.market.state.MarketState`), or, for one interval, that interval's book
(whose rows are in order id order too). The cursor is found by binary search; a filter (the
member, in an interval's book; a status) is a vectorised test over windows of candidates.

Cost of a page: O(log n) to find the cursor, plus the candidates looked at. Without a
filter that is the page itself. With one, a page looks at no more than ``SCAN_BUDGET``
candidates: if they run out before ``limit`` orders matched, the page is shorter (even
empty) and its ``next_cursor`` is the last order id looked at, so the next page goes on
where this one stopped. ``next_cursor`` is None only when no candidate is left: a client
walks pages until then and never stops at a short page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SCAN_BUDGET = 1 << 14  # candidates one filtered page looks at, at most (~1 ms)
FIRST_WINDOW = 1024  # candidates tested at once at first; the window doubles from there

Keep = Callable[[int, int], np.ndarray]  # candidates at positions [lo, hi) -> bool mask


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a member's orders (:meth:`~engine.market.market.Market.orders` rows)."""

    orders: list[dict[str, Any]]
    next_cursor: int | None  # pass it as the next page's cursor; None: nothing follows


def scan(
    ids: np.ndarray, after: int, limit: int, keep: Keep | None = None, budget: int | None = None
) -> tuple[np.ndarray, int | None]:
    """Find the positions in ``ids`` (ascending order ids) of the first ``limit`` ids above
    ``after`` that ``keep`` accepts (all, without ``keep``), looking at no more than
    ``budget`` (default ``SCAN_BUDGET``) of them; return the positions and the next cursor
    (None if nothing is left to look at; with ``keep``, a full page looks one match further
    to tell)."""
    n = ids.shape[0]
    pos = int(np.searchsorted(ids, after, side="right"))
    if keep is None:
        stop = min(n, pos + limit)
        return np.arange(pos, stop), int(ids[stop - 1]) if stop < n else None
    end = min(n, pos + (SCAN_BUDGET if budget is None else budget))
    found: list[np.ndarray] = []
    count = 0
    window = max(FIRST_WINDOW, 2 * limit)
    lo = pos
    while lo < end:
        hi = min(end, lo + window)
        hits = lo + np.flatnonzero(keep(lo, hi))
        if count + hits.shape[0] > limit:  # a match beyond the page: more follow
            found.append(hits[: limit - count])
            page = np.concatenate(found)
            return page, int(ids[page[-1]])
        found.append(hits)
        count += hits.shape[0]
        lo, window = hi, 2 * window
    positions = np.concatenate(found) if found else np.zeros(0, np.int64)
    return positions, None if end == n else int(ids[end - 1])
