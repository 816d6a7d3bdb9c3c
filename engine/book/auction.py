"""The call-auction book of one delivery interval.

Layout: the orders of the interval in :class:`~engine.model.columns.Columns` (one row per order,
in arrival order, so ``order_id`` increases with the row), and per side a
``sortedcontainers.SortedDict`` price [tick] -> open quantity [Wh]: the aggregated depth.
Writes only queue (price, delta) columns; the depth is brought up to date when it is read,
in one columnar merge. Submissions far outnumber depth reads, and inserting thousands of
new price levels one by one was most of a batch's cost.

Invariants (:meth:`IntervalBook.check_invariants`): every order is active (in the
auction), cancelled, cleared (its auction is over) or continuous (arrived after the auction:
its life is in the continuous book); the depth holds exactly the sums of the active orders'
quantities per price and side, with no empty levels; order ids increase with the row.
"""

from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np
from sortedcontainers import SortedDict

from engine.model.columns import Columns
from matching import Book, make_book

BUY, SELL = 0, 1
ACTIVE, CANCELLED, CLEARED, CONTINUOUS = 0, 1, 2, 3
STATUS_NAMES = ("active", "cancelled", "cleared", "continuous")

PENDING_LIMIT = 65_536  # queued depth updates before a merge even without a read

ORDER_FIELDS = ("order_id", "member", "point", "side", "price", "quantity", "status")


def _level_sums(price: np.ndarray, quantity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct prices and the exact int64 sum of quantity at each."""
    order = np.argsort(price, kind="stable")
    sorted_price = price[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_price[1:] != sorted_price[:-1])))
    return sorted_price[starts], np.add.reduceat(quantity[order], starts)


class GateRows(NamedTuple):
    """The rows an auction cleared at its gate: the active rows, and of them the bids' and
    the asks' (the matching core's order of each side)."""

    rows: np.ndarray
    bid_rows: np.ndarray
    ask_rows: np.ndarray


class IntervalBook:
    """Orders and depth of one interval's auction."""

    def __init__(self, start_s: int) -> None:
        self.start_s = start_s
        self.orders = Columns(ORDER_FIELDS, capacity=256)
        self._depth = (SortedDict(), SortedDict())  # BUY, SELL: price -> open Wh
        # Queued depth updates (side, price [tick], delta [Wh]): columns of batches, and
        # the scalars of single orders apart (they go into one array at once when merged).
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_one: list[tuple[int, int, int]] = []

    def __len__(self) -> int:
        return len(self.orders)

    @property
    def depth(self) -> tuple[SortedDict, SortedDict]:
        """(bids, asks): open auction quantity [Wh] per price [tick], no empty levels."""
        if self._pending or self._pending_one:
            self._merge_pending()
        return self._depth

    def add(
        self,
        order_id: np.ndarray,
        member: np.ndarray,
        point: np.ndarray,
        side: np.ndarray,
        price: np.ndarray,
        quantity: np.ndarray,
        auction: bool = True,
    ) -> int:
        """Append validated orders; return the first new row. Orders that arrive after the
        auction (``auction=False``) are recorded as CONTINUOUS and stay out of the depth."""
        first = self.orders.append(
            order_id=order_id,
            member=member,
            point=point,
            side=side,
            price=price,
            quantity=quantity,
            status=ACTIVE if auction else CONTINUOUS,
        )
        if auction:
            self._queue_depth(side, price, quantity)
        return first

    def add_one(
        self,
        order_id: int,
        member: int,
        point: int,
        side: int,
        price: int,
        quantity: int,
        auction: bool = True,
    ) -> int:
        """Append one validated order (the scalar twin of :meth:`add`); return its row."""
        status = ACTIVE if auction else CONTINUOUS
        row = self.orders.append_row(order_id, member, point, side, price, quantity, status)
        if auction:
            self._queue_depth(side, price, quantity)
        return row

    def cancel(self, row: int) -> None:
        """Take an active order out of the book."""
        o = self.orders
        o["status"][row] = CANCELLED
        self._queue_depth(int(o["side"][row]), int(o["price"][row]), -int(o["quantity"][row]))

    def active_rows(self) -> np.ndarray:
        return np.flatnonzero(self.orders["status"] == ACTIVE)

    def gate_levels(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The auction as it stood when its gate closed (the rows it cleared): quantity [Wh]
        per price [tick], bids highest first, asks lowest first."""
        o = self.orders
        cleared = o["status"] == CLEARED
        out = []
        for s in (BUY, SELL):
            rows = np.flatnonzero(cleared & (o["side"] == s))
            prices, sums = _level_sums(o["price"][rows], o["quantity"][rows])
            levels = list(zip(prices.tolist(), sums.tolist(), strict=True))
            out.append(levels[::-1] if s == BUY else levels)
        return out[0], out[1]

    def auction_book(self, rows: np.ndarray) -> tuple[Book, np.ndarray, np.ndarray]:
        """The matching core's book of the given (active) rows, and the rows of its bids and
        its asks. The arrival sequence is the order id; members are member codes."""
        o = self.orders
        side = o["side"][rows]
        bid_rows, ask_rows = rows[side == BUY], rows[side == SELL]
        book = make_book(
            o["price"][bid_rows],
            o["quantity"][bid_rows],
            o["price"][ask_rows],
            o["quantity"][ask_rows],
            bid_sequence=o["order_id"][bid_rows],
            ask_sequence=o["order_id"][ask_rows],
            bid_member=o["member"][bid_rows],
            ask_member=o["member"][ask_rows],
        )
        return book, bid_rows, ask_rows

    def mark_cleared(self, rows: np.ndarray) -> None:
        """Freeze the auction: its orders leave the depth (their fills are in the result)."""
        self.orders["status"][rows] = CLEARED
        self._pending.clear()
        self._pending_one.clear()
        for levels in self._depth:
            levels.clear()

    def _queue_depth(self, side, price, delta) -> None:
        """Queue depth deltas (scalars or columns); merge now and then so that the queue
        of an unread book stays bounded."""
        queue = self._pending_one if type(side) is int else self._pending
        queue.append((side, price, delta))
        if len(queue) >= PENDING_LIMIT:
            self._merge_pending()

    def _merge_pending(self) -> None:
        """Fold the queued deltas into the depth: per side one sum over (levels + deltas)
        and one rebuild of the SortedDict from already sorted pairs."""
        one = self._pending_one
        flat = np.fromiter(chain.from_iterable(one), np.int64, 3 * len(one))
        parts = [flat.reshape(-1, 3).T]  # numpy's cost per scalar, not per call
        for entry in self._pending:  # columns, or scalars of another type than int
            parts.append(np.stack(np.broadcast_arrays(*map(np.atleast_1d, entry))).astype(np.int64))
        sides, prices, deltas = np.concatenate(parts, axis=1)
        self._pending.clear()
        one.clear()
        for s in (BUY, SELL):
            mine = sides == s
            if not mine.any():
                continue
            levels = self._depth[s]
            keys, sums = _level_sums(prices[mine], deltas[mine])
            if 8 * len(keys) < len(levels):  # a few levels into many: one by one
                for p, dq in zip(keys.tolist(), sums.tolist(), strict=True):
                    total = levels.get(p, 0) + dq
                    if total:
                        levels[p] = total
                    else:
                        levels.pop(p, None)
                continue
            # Many levels: one sum over everything, and a rebuild from sorted pairs.
            price = np.concatenate((np.fromiter(levels.keys(), np.int64, len(levels)), keys))
            delta = np.concatenate((np.fromiter(levels.values(), np.int64, len(levels)), sums))
            keys, sums = _level_sums(price, delta)
            keep = sums != 0
            levels.clear()
            levels.update(zip(keys[keep].tolist(), sums[keep].tolist(), strict=True))

    def check_invariants(self) -> None:
        """Raise AssertionError if the book's columns and depth disagree."""
        o = self.orders
        ids = o["order_id"]
        assert bool(np.all(ids[1:] > ids[:-1])), "order ids must increase with the row"
        assert bool(np.isin(o["status"], (ACTIVE, CANCELLED, CLEARED, CONTINUOUS)).all())
        active = o["status"] == ACTIVE
        for s in (BUY, SELL):
            on_side = active & (o["side"] == s)
            expected: dict[int, int] = {}
            if on_side.any():
                levels, sums = _level_sums(o["price"][on_side], o["quantity"][on_side])
                expected = {int(p): int(q) for p, q in zip(levels, sums, strict=True)}
            assert dict(self.depth[s]) == expected, f"depth of side {s} disagrees with orders"
