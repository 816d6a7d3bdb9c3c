"""What each connection point has booked in each interval, held to what it can deliver.

A connection point can export at most ``max_export_wh`` and import at most ``max_import_wh``
in one interval (:class:`~engine.model.registry.Registry`). The per-order check
(:mod:`engine.book.new_orders`) holds each order alone to that; this module holds all of a
point's orders of one interval to it together. For every (interval, point, side)::

    booked = sum of the quantities of its accepted orders - what cancelling freed

and a new order (a batch's rows, a replacement) is refused when ``booked + quantity`` would
pass the side's limit: asks the export limit, bids the import limit. An order's quantity
stays booked for its whole life, because what an auction or a continuous trade fills is
energy the point sells or buys in the interval, and what is left rests; only a cancel frees
what the order still had (all of it in the auction, the unfilled rest in continuous
trading), and a replace frees the old quantity while booking the new one. So ``booked`` is
``filled + active`` whenever orders can still arrive. Without continuous trading an
interval takes no order once its auction cleared, and its sums are forgotten then; with it,
once an event's timestamp passes the interval's final gate.

The check is a decision taken when a command arrives (the market's ``_decide_*``), never an
invariant of the fold: a journal written before it existed may hold more than a point's
limit and replays unchanged (that point then takes nothing more in that interval until
enough is cancelled).

Layout: ``start -> {point * 2 + side: Wh}``, an entry only while something is booked. Cost:
a single order two dict lookups; a batch one pass of numpy over its rows (dense keys when
the batch's intervals x points x sides are few, else a sort) and one dict lookup per
distinct (interval, point, side) in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from engine.book.new_orders import MAX_REPORTED_ROWS
from engine.model import wording
from engine.model.calendar import Calendar
from engine.model.columns import MAX_COUNTED_SLOTS
from engine.model.registry import Registry
from engine.model.rejects import Reject, Rejected

BUY, SELL = 0, 1
#: A batch's rows by interval: the distinct starts [s] and each row's index into them
#: (:func:`~engine.model.columns.group_starts`).
Grouped = tuple[np.ndarray, np.ndarray]


class BatchGroups(NamedTuple):
    """A batch's rows grouped once by (interval, point, side), for the check and then for
    booking the same rows (:meth:`PointLimits.group`)."""

    grouped: Grouped
    """The rows by interval: the distinct starts [s] and each row's index into them."""
    key: np.ndarray
    """Each row's key, ``slot * 2 * points + point * 2 + side``."""
    keys: np.ndarray
    """The distinct keys, ascending."""
    totals: np.ndarray
    """The rows' quantities summed per distinct key [Wh]."""


class PointLimits:
    """Booked energy [Wh] per interval, connection point and side, and the check of a new
    order against it (see the module docstring)."""

    def __init__(self, registry_at: Callable[[int], Registry], calendar: Calendar) -> None:
        """``registry_at``: the points and their limits in force for an interval start [s]
        (every registry spans all codes); ``calendar``: when an interval's final gate
        passes."""
        self._registry_at = registry_at
        # The limits of the registry read last, as lists (one int without numpy's overhead).
        self._limits_of: tuple[Registry | None, tuple[list[int], list[int]]] = (None, ([], []))
        self._calendar = calendar
        self._booked: dict[int, dict[int, int]] = {}  # start -> {point * 2 + side: Wh}

    # --- reading --------------------------------------------------------------------------

    def booked(self, start: int, point: int, side: int) -> int:
        """What the point has booked on ``side`` in the interval [Wh]."""
        sums = self._booked.get(start)
        return 0 if sums is None else sums.get(2 * point + side, 0)

    def sums(self) -> dict[tuple[int, int, int], int]:
        """Every booked sum: ``(start, point, side) -> Wh`` (tests, tools)."""
        return {
            (start, key >> 1, key & 1): wh
            for start, sums in self._booked.items()
            for key, wh in sums.items()
        }

    def tracked(self, start: int) -> bool:
        """True while sums of the interval are kept: something was booked in it and it may
        still take orders."""
        return start in self._booked

    # --- deciding -------------------------------------------------------------------------

    def refuse_one(
        self,
        start: int,
        point: int,
        side: int,
        quantity: int,
        replaced: int | None = None,
        limit: int | None = None,
    ) -> Rejected | None:
        """Why one order of ``quantity`` [Wh] does not fit, or None. ``replaced``: the
        quantity [Wh] of the order it replaces, freed by the replacement; ``limit``: the
        point's limit on ``side`` in the interval [Wh], if the caller has it at hand."""
        sums = self._booked.get(start)
        booked = 0 if sums is None else sums.get(2 * point + side, 0)
        if replaced is not None:
            booked -= replaced
        if booked + quantity <= (self._limit(start, side, point) if limit is None else limit):
            return None
        return Rejected(
            Reject.ABOVE_INTERVAL_LIMIT,
            "quantity",
            self._message(start, point, side, quantity, booked, 0, replaced is not None),
            0,
        )

    def refuse_batch(
        self,
        grouped: Grouped,
        points: np.ndarray,
        sides: np.ndarray,
        quantities: np.ndarray,
        rows: np.ndarray | None = None,
        groups: BatchGroups | None = None,
    ) -> list[Rejected]:
        """Every row of a batch that does not fit, with what was booked before it (what the
        point had booked, and the earlier rows of the batch at the same point, interval and
        side). ``rows``: the row numbers to check (all when None); the others are refused
        for another reason, or repeat booked orders. ``groups``: the rows checked, already
        grouped (:meth:`group`)."""
        distinct, slot = grouped
        if rows is not None:
            slot, points, sides, quantities = (c[rows] for c in (slot, points, sides, quantities))
        if slot.shape[0] == 0:
            return []
        _, key, keys, totals = groups or self.group((distinct, slot), points, sides, quantities)
        booked = np.array(self._lookup(distinct, keys), np.int64)
        point, side = (keys >> 1) % self._points, keys & 1
        limit = self._limit_column(distinct, keys // (2 * self._points), point, side)
        over = np.flatnonzero(booked + totals > limit)
        if over.shape[0] == 0:
            return []  # the common case: every (interval, point, side) of the batch fits
        rejects: list[Rejected] = []
        for g in over.tolist():
            members = np.flatnonzero(key == keys[g])  # its rows, in row order
            before = np.cumsum(quantities[members]) - quantities[members]
            start = int(distinct[keys[g] // (2 * self._points)])
            for i, earlier in zip(members.tolist(), before.tolist(), strict=True):
                q = int(quantities[i])
                if booked[g] + earlier + q > limit[g]:
                    row = i if rows is None else int(rows[i])
                    p, s = int(point[g]), int(side[g])
                    message = self._message(start, p, s, q, int(booked[g]), earlier)
                    rejects.append(Rejected(Reject.ABOVE_INTERVAL_LIMIT, "quantity", message, row))
        rejects.sort(key=lambda r: r.row)
        return rejects[:MAX_REPORTED_ROWS]

    def _message(
        self,
        start: int,
        point: int,
        side: int,
        quantity: int,
        booked: int,
        earlier: int,
        replacing: bool = False,
    ) -> str:
        done = "bid or bought" if side == BUY else "offered or sold"
        what = "bids" if side == BUY else "asks"
        already = f"{booked} Wh are already {done}"
        if replacing:
            already += " besides the order replaced"
        if earlier:
            already += f" and {earlier} Wh {what} in earlier rows of this batch"
        limit = self._limit(start, side, point)
        return wording.above_interval_limit(
            start, self._registry_at(start).point_ids[point], side, limit, quantity, already
        )

    # --- booking (the fold) ---------------------------------------------------------------

    def book(self, start: int, point: int, side: int, quantity: int) -> None:
        """Add ``quantity`` [Wh] (negative: free it) to the point's sum in the interval."""
        sums = self._booked.get(start)
        if sums is None:
            sums = self._booked[start] = {}
        key = 2 * point + side
        wh = sums.get(key, 0) + quantity
        if wh:
            sums[key] = wh
        else:
            del sums[key]

    def book_columns(
        self,
        grouped: Grouped,
        points: np.ndarray,
        sides: np.ndarray,
        quantities: np.ndarray,
        groups: BatchGroups | None = None,
    ) -> None:
        """Add accepted orders (columns by row) to their sums; ``groups``: these rows,
        already grouped when they were checked (:meth:`group`)."""
        distinct, slot = grouped
        if slot.shape[0] == 0:
            return
        _, _, keys, totals = groups or self.group(grouped, points, sides, quantities)
        booked = self._booked
        span = 2 * self._points
        for slot, key, wh in zip(
            (keys // span).tolist(), (keys % span).tolist(), totals.tolist(), strict=True
        ):
            start = int(distinct[slot])
            sums = booked.get(start)
            if sums is None:
                sums = booked[start] = {}
            sums[key] = sums.get(key, 0) + wh

    def forget(self, start: int) -> None:
        """Drop the interval's sums: it takes no more orders."""
        self._booked.pop(start, None)

    def forget_past(self, now_s: int) -> None:
        """Drop the sums of every interval whose final gate is at or before ``now_s`` [s]."""
        final_gate = self._calendar.final_gate
        for start in [s for s in self._booked if final_gate(s) <= now_s]:
            del self._booked[start]

    # --- helpers --------------------------------------------------------------------------

    @property
    def _points(self) -> int:
        """How many point codes there are (every registry spans them all)."""
        return len(self._registry_at(0).point_ids)

    def _limit(self, start: int, side: int, point: int) -> int:
        """The point's limit on ``side`` in the interval [Wh] (one int, no numpy)."""
        registry = self._registry_at(start)
        known, limits = self._limits_of
        if known is not registry:  # the versions change rarely
            limits = (registry.max_import_wh.tolist(), registry.max_export_wh.tolist())
            self._limits_of = (registry, limits)
        return limits[side][point]

    def _limit_column(
        self, distinct: np.ndarray, slots: np.ndarray, point: np.ndarray, side: np.ndarray
    ) -> np.ndarray:
        """The limits [Wh] of grouped keys, each from the registry of its interval."""
        registries = [self._registry_at(int(s)) for s in distinct.tolist()]
        if all(r is registries[0] for r in registries):  # the common case: one version
            r = registries[0]
            return np.where(side == BUY, r.max_import_wh[point], r.max_export_wh[point])
        out = np.empty(point.shape[0], np.int64)
        for i, (slot, p, s) in enumerate(
            zip(slots.tolist(), point.tolist(), side.tolist(), strict=True)
        ):
            r = registries[slot]
            out[i] = r.max_import_wh[p] if s == BUY else r.max_export_wh[p]
        return out

    def group(
        self, grouped: Grouped, points: np.ndarray, sides: np.ndarray, quantities: np.ndarray
    ) -> BatchGroups:
        """Group rows (``grouped``: by interval) by (interval, point, side)."""
        distinct, slot = grouped
        key = (slot * self._points + points) * 2 + sides
        # Columns decoded from a journal or a request may be unaligned views of their bytes,
        # which send np.add.at down a path some 40 times slower: copy those (a few us).
        quantities = np.require(quantities, np.int64, "A")
        span = distinct.shape[0] * 2 * self._points
        if span <= max(4 * key.shape[0], MAX_COUNTED_SLOTS):
            # Few possible keys: add into a dense array, no sort (every quantity is > 0).
            totals = np.zeros(span, np.int64)
            np.add.at(totals, key, quantities)
            keys = np.flatnonzero(totals)
            return BatchGroups(grouped, key, keys, totals[keys])
        keys, group = np.unique(key, return_inverse=True)
        totals = np.zeros(keys.shape[0], np.int64)
        np.add.at(totals, group, quantities)
        return BatchGroups(grouped, key, keys, totals)

    def _lookup(self, distinct: np.ndarray, keys: np.ndarray) -> list[int]:
        """The booked sums [Wh] of grouped keys (see :meth:`group`)."""
        span = 2 * self._points
        empty: dict[int, int] = {}
        out = []
        for slot, key in zip((keys // span).tolist(), (keys % span).tolist(), strict=True):
            out.append(self._booked.get(int(distinct[slot]), empty).get(key, 0))
        return out
