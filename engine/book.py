"""The call-auction book of one delivery interval.

Layout: the orders of the interval in :class:`~engine.columns.Columns` (one row per order,
in arrival order, so ``order_id`` increases with the row), and per side a
``sortedcontainers.SortedDict`` price [tick] -> open quantity [Wh]: the aggregated depth,
kept up to date per batch (one update per distinct price, not per order).

Invariants (:meth:`IntervalBook.check_invariants`): every order is active (in the
auction), cancelled, cleared (its auction is over) or continuous (arrived after the auction:
its life is in the continuous book); the depth holds exactly the sums of the active orders'
quantities per price and side, with no empty levels; order ids increase with the row.
"""

from __future__ import annotations

import numpy as np
from sortedcontainers import SortedDict

from engine.columns import Columns
from matching import Book, make_book

BUY, SELL = 0, 1
ACTIVE, CANCELLED, CLEARED, CONTINUOUS = 0, 1, 2, 3
STATUS_NAMES = ("active", "cancelled", "cleared", "continuous")

ORDER_FIELDS = ("order_id", "member", "point", "side", "price", "quantity", "status")


def _level_sums(price: np.ndarray, quantity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct prices and the exact int64 sum of quantity at each."""
    order = np.argsort(price, kind="stable")
    sorted_price = price[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_price[1:] != sorted_price[:-1])))
    return sorted_price[starts], np.add.reduceat(quantity[order], starts)


class IntervalBook:
    """Orders and depth of one interval's auction."""

    def __init__(self, start_s: int, live_depth: bool = True) -> None:
        self.start_s = start_s
        self.orders = Columns(ORDER_FIELDS, capacity=256)
        self.depth = (SortedDict(), SortedDict())  # BUY, SELL: price -> open Wh
        # During a replay the depth is built once at the end (rebuild_depth), not per order.
        self.live_depth = live_depth

    def __len__(self) -> int:
        return len(self.orders)

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
        if not auction or not self.live_depth:
            return first
        for s in (BUY, SELL):
            on_side = side == s
            if on_side.any():
                levels, sums = _level_sums(price[on_side], quantity[on_side])
                self._add_depth(s, levels, sums)
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
        if auction and self.live_depth:
            levels = self.depth[side]
            levels[price] = levels.get(price, 0) + quantity
        return row

    def cancel(self, row: int) -> None:
        """Take an active order out of the book."""
        orders = self.orders
        orders["status"][row] = CANCELLED
        if self.live_depth:
            side = int(orders["side"][row])
            self._add_depth(side, [int(orders["price"][row])], [-int(orders["quantity"][row])])

    def rebuild_depth(self) -> None:
        """Recompute the depth from the active orders and keep it live from now on."""
        o = self.orders
        active = o["status"] == ACTIVE
        for s in (BUY, SELL):
            on_side = active & (o["side"] == s)
            self.depth[s].clear()
            if on_side.any():
                levels, sums = _level_sums(o["price"][on_side], o["quantity"][on_side])
                self.depth[s].update(zip(levels.tolist(), sums.tolist(), strict=True))
        self.live_depth = True

    def active_rows(self) -> np.ndarray:
        return np.flatnonzero(self.orders["status"] == ACTIVE)

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
        o = self.orders
        o["status"][rows] = CLEARED
        self.depth[BUY].clear()
        self.depth[SELL].clear()

    def _add_depth(self, side: int, prices, deltas) -> None:
        """Add quantity deltas [Wh] to price levels, dropping levels that reach zero."""
        levels = self.depth[side]
        fresh: dict[int, int] = {}
        for p, dq in zip(np.asarray(prices).tolist(), np.asarray(deltas).tolist(), strict=True):
            if p in levels:  # a dict lookup: SortedDict is a dict
                total = levels[p] + dq
                if total:
                    levels[p] = total  # an existing key: no re-sorting
                else:
                    del levels[p]
            elif dq:
                fresh[p] = dq
        if fresh:
            levels.update(fresh)  # one bulk insert sorts the new keys once

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
