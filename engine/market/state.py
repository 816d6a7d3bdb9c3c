"""The state of a cluster's market, and the only code that changes it: the fold over events.

``MarketState`` is a fold over the journal: :meth:`MarketState.apply` takes one recorded
event and changes memory, reading nothing but the event and the state (no clock, no
journal), so replaying the same events always rebuilds the same state. A live gate closure
carries its clearing result on its event; on replay the book is cleared again, and
:class:`ReplayMismatch` is raised unless the digest comes out byte-identical.

The configuration is part of the fold: ``ClusterChanged`` events put versions in force by
effective instant (:mod:`engine.market.versions`), and every decision about an interval
(validation, limits, clearing, settlement) asks :meth:`MarketState.cluster_at` or
:meth:`MarketState.registry_at` for the one in force then.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter
from typing import Any

import numpy as np
from sortedcontainers import SortedSet

from engine.book.auction import BUY, CANCELLED, CONTINUOUS, SELL, IntervalBook
from engine.book.continuous import ContinuousBook, Fill
from engine.book.interval_result import IntervalResult
from engine.book.point_limits import BatchGroups, PointLimits
from engine.config.document import cluster_of
from engine.market.events import (
    ClusterChanged,
    ClusterConfigured,
    Event,
    GateClosed,
    MeterReadingsRecorded,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    OrdersAccepted,
    PriceBandsPublished,
)
from engine.market.order_runs import OrderRun
from engine.market.versions import Versions
from engine.model.calendar import Calendar
from engine.model.columns import ChunkedColumns, Columns, group_starts, stable_order
from engine.model.registry import Registry
from engine.settlement.bills import CreditSums, PointStatement, credit_sums, month_index
from engine.settlement.credit_fold import CreditFold, carried
from engine.settlement.metering import Readings
from engine.settlement.periods import (
    Ledger,
    Part,
    bill_parts,
    cut,
    month_start,
    period_statements,
)
from engine.settlement.settle import PeriodTrades, Settlement, adjustment, settle
from engine.settlement.sharing import plan_for
from matching import clear
from matching.published import published

REPLAY_RUN = 10_000  # single-order events applied together on replay
BANDS_KEPT = 4096  # configured bands remembered by interval start (six weeks of 15 minutes)


class ReplayMismatch(RuntimeError):
    """A journal that does not rebuild: a clearing that does not reproduce, or order ids
    that do not continue."""


class MarketState:
    """Books, results, readings and indexes of one cluster, changed only by events."""

    def __init__(self, cluster: Any) -> None:
        # The configurations in force by effective instant (ClusterChanged events change
        # them); ``cluster`` and ``registry`` are the one journaled last and every code.
        self.versions = Versions(cluster)
        self.cluster = cluster
        self.registry = self.versions.codes
        self.calendar = Calendar(
            length_s=cluster.interval_minutes * 60,
            gate_closure_s=cluster.gate_closure_minutes * 60,
            continuous_s=cluster.continuous_minutes * 60,
            horizon=cluster.horizon_intervals,
        )
        self.seq = 0  # the last event's seq
        self._books: dict[int, IntervalBook] = {}
        self._results: dict[int, IntervalResult] = {}
        self._uncleared = SortedSet()  # starts of books whose auction is not cleared
        # The earliest auction gate among them [s] (inf: none): every command asks whether
        # a gate is due, and a SortedSet's first item is no cheap read.
        self._first_gate_s: float = math.inf
        self._index = ChunkedColumns(("interval", "row", "member"))  # by order_id - 1
        # What each point has booked per interval and side, against its limits.
        self._point_limits = PointLimits(self.versions.registry_at, self.calendar)
        # Each member's order ids, ascending (by member code): a page of a member's orders
        # is a slice of it, at any history's size (see engine.market.order_pages).
        self._member_orders = [Columns(("order_id",), 16) for _ in self.registry.member_ids]
        self._client_ids: dict[tuple[int, str], tuple[int, tuple[int, ...]]] = {}
        self._client_id_of: dict[int, str] = {}  # order id -> its client order id, if any
        self._continuous: dict[int, ContinuousBook] = {}
        self._continuous_fills: dict[int, list[Fill]] = {}
        self.readings = Readings(self.versions.registry_at)
        # Bands the coordinator published, overriding the cluster's: start -> (floor, cap).
        self._published_bands: dict[int, tuple[int, int]] = {}
        # The configured bands asked for, by interval start (every order asks for its
        # interval's): forgotten when a configuration changes, or when too many.
        self._configured_bands: dict[int, tuple[int, int]] = {}
        # Re-settlements after late or corrected readings: (interval start, new - old).
        self.adjustments: list[tuple[int, Settlement]] = []
        # The sums that decide the prosumer credits, per section of the history with a
        # reading (credits_at); intervals read but not yet added in; replay adds them at its
        # end (one pass), a live reading at once.
        self._credits = CreditFold()
        self._unfolded: set[int] = set()
        self._replaying = False

    def apply(self, event: Event) -> None:
        """Change the state by one recorded event."""
        if type(event) is OrderAccepted:  # the most frequent, first and without the match
            self._apply_order_accepted(event)
            self.seq = event.seq
            return
        match event:
            case OrdersAccepted():
                self._apply_orders_accepted(event)
            case OrderAccepted():
                self._apply_order_accepted(event)
            case OrderCancelled():
                self._apply_order_cancelled(event)
            case OrderReplaced():
                self._apply_order_replaced(event)
            case GateClosed():
                self._apply_gate_closed(event)
            case MeterReadingsRecorded():
                self._apply_readings(event)
            case PriceBandsPublished():
                self._apply_price_bands(event)
            case ClusterChanged():
                self._apply_cluster_changed(event)
            case ClusterConfigured():
                pass  # recovery checks it against the config; it changes no state
            case _:
                raise TypeError(f"no fold for {type(event).__name__}")
        self.seq = event.seq

    def cluster_at(self, start_s: int) -> Any:
        """The configuration in force for the interval starting at ``start_s`` [s]."""
        return self.versions.cluster_at(start_s)

    def registry_at(self, start_s: int) -> Registry:
        """The members and connection points in force at ``start_s`` [s] (stable codes)."""
        return self.versions.registry_at(start_s)

    def is_settled(self, start_s: int) -> bool:
        """True once every connection point's reading of the interval is in."""
        return not self.readings.missing_points(start_s)

    def band(self, start_s: int) -> tuple[int, int]:
        """Return ``(floor, cap)`` [tick] of an interval: published, else the cluster's."""
        published = self._published_bands.get(start_s)
        if published is not None:
            return published
        configured = self._configured_bands.get(start_s)
        if configured is None:
            if len(self._configured_bands) >= BANDS_KEPT:
                self._configured_bands.clear()
            configured = self.versions.cluster_at(start_s).band(start_s)
            self._configured_bands[start_s] = configured
        return configured

    def replay(self, events: Iterable[Event | OrderRun]) -> dict[str, int]:
        """Apply recorded events to a new market, in order; return how many of each kind.
        Gate closures recompute their clearing and raise :class:`ReplayMismatch` if a
        digest differs.

        Runs of single-order events are applied as one columnar batch (the same rows in the
        same order, so the same state, at the speed of the batch path): the journal hands
        them over already as columns (:class:`~engine.market.order_runs.OrderRun`), a list
        of events is gathered here."""
        self._replaying = True  # the credits' sums of what is read: once, at the end
        try:
            kinds = self._replay(events)
        finally:
            self._replaying = False
        self._fold_credits()
        return kinds

    def _replay(self, events: Iterable[Event | OrderRun]) -> dict[str, int]:
        kinds: dict[str, int] = {}
        run: list[OrderAccepted] = []
        orders = 0
        for event in events:
            if type(event) is OrderAccepted:
                run.append(event)
                if len(run) < REPLAY_RUN:
                    continue
            if run:
                self._apply_run(OrderRun.of_events(run))
                orders += len(run)
                run = []
            if type(event) is OrderRun:
                self._apply_run(event)
                orders += len(event)
            elif type(event) is not OrderAccepted:
                kinds[event.kind] = kinds.get(event.kind, 0) + 1
                self.apply(event)
        if run:
            self._apply_run(OrderRun.of_events(run))
            orders += len(run)
        if orders:
            kinds["OrderAccepted"] = orders
        return kinds

    # --- applying events ----------------------------------------------------------------

    def _apply_orders_accepted(self, p: OrdersAccepted) -> None:
        starts = np.asarray(p.interval_start, np.int64)
        self._add_orders(
            np.full(starts.shape[0], int(p.member), np.int64),
            int(p.first_order_id),
            starts,
            np.asarray(p.point, np.int64),
            np.asarray(p.side, np.int64),
            np.asarray(p.price, np.int64),
            np.asarray(p.quantity, np.int64),
            p.client_order_id,
            p.groups,
        )

    def _apply_run(self, run: OrderRun) -> None:
        """Apply consecutive single-order events at once (see :meth:`replay`)."""
        first = int(run.order_id[0])
        if not np.array_equal(run.order_id, np.arange(first, first + len(run))):
            raise ReplayMismatch(f"order ids of single-order events jump near {first}")
        self._add_orders(
            run.member,
            first,
            run.interval_start,
            run.point,
            run.side,
            run.price,
            run.quantity,
            run.client_order_id,
        )
        self.seq = run.last_seq

    def _add_orders(
        self,
        member: np.ndarray,
        first: int,
        starts: np.ndarray,
        point: np.ndarray,
        side: np.ndarray,
        price: np.ndarray,
        quantity: np.ndarray,
        client_ids: list[str | None] | None,
        groups: BatchGroups | None = None,
    ) -> None:
        """Book accepted orders with ids ``first``, ``first + 1``, ... (columns by row);
        ``groups``: these rows as grouped when they were decided (None: group them here)."""
        n = starts.shape[0]
        if first != len(self._index) + 1:
            raise ReplayMismatch(f"order ids continue at {len(self._index) + 1}, not {first}")
        order_ids = np.arange(first, first + n, dtype=np.int64)
        if groups is not None:
            distinct, inverse = groups.grouped
        else:
            distinct, inverse = group_starts(starts, self.calendar.length_s)
        if 4 * distinct.shape[0] > n:
            # Few rows per interval (a day-ahead batch: one per interval): numpy's cost per
            # group exceeds the rows' own, so book them one by one.
            rows = self._add_rows(member, first, starts, point, side, price, quantity)
        else:
            # Rows grouped by interval, arrival order kept inside each group.
            by_start = stable_order(inverse, distinct.shape[0])
            bounds = np.cumsum(np.bincount(inverse, minlength=distinct.shape[0]))[:-1]
            rows = self._add_groups(
                member, order_ids, starts, point, side, price, quantity, by_start, bounds
            )
        self._index.append(interval=starts, row=rows, member=member)
        self._index_by_member(member, first)
        self._point_limits.book_columns((distinct, inverse), point, side, quantity, groups)
        if client_ids:
            content = np.stack([starts, point, side, price, quantity], axis=1)
            for i, cid in enumerate(client_ids):
                if cid is not None:
                    key = (int(member[i]), cid)
                    self._client_ids[key] = (first + i, tuple(content[i].tolist()))
                    self._client_id_of[first + i] = cid

    def _add_uncleared(self, start: int) -> None:
        self._uncleared.add(start)
        self._track_first_gate()

    def _track_first_gate(self) -> None:
        """Remember the earliest auction gate of the uncleared books [s]."""
        uncleared = self._uncleared
        self._first_gate_s = self.calendar.auction_gate(uncleared[0]) if uncleared else math.inf

    def _index_by_member(self, member: np.ndarray, first: int) -> None:
        """Add the order ids ``first``, ``first + 1``, ... (one per row of ``member``) to
        their members' lists, keeping each list ascending."""
        n = member.shape[0]
        if n == 0:
            return
        one = int(member[0])
        if (member == one).all():  # a batch event: always one member
            self._member_orders[one].append(order_id=np.arange(first, first + n, dtype=np.int64))
            return
        # A replay run of single orders from many members: group by member, ids ascending.
        counts = np.bincount(member, minlength=len(self._member_orders))
        ids = first + stable_order(member, counts.shape[0]).astype(np.int64)
        bounds = [0, *np.cumsum(counts).tolist()]
        for code in np.flatnonzero(counts).tolist():
            self._member_orders[code].append(order_id=ids[bounds[code] : bounds[code + 1]])

    def _book(self, start: int) -> IntervalBook:
        book = self._books.get(start)
        if book is None:
            book = self._books[start] = IntervalBook(start)
            if start not in self._results:  # a gate closed early may get orders later
                self._add_uncleared(start)
        return book

    def _add_rows(self, member, first, starts, point, side, price, quantity) -> np.ndarray:
        rows = []
        columns = (starts, member, point, side, price, quantity)
        lists = [c.tolist() for c in columns]
        for i, (start, m, pt, sd, pr, q) in enumerate(zip(*lists, strict=True)):
            book = self._book(start)
            auction = start not in self._results
            rows.append(book.add_one(first + i, m, pt, sd, pr, q, auction))
            if not auction:  # continuous trading: match on arrival
                fills = self._continuous[start].submit(first + i, m, sd, pr, q)
                self._continuous_fills.setdefault(start, []).extend(fills)
        return np.array(rows, np.int64)

    def _add_groups(
        self, member, order_ids, starts, point, side, price, quantity, by_start, bounds
    ) -> np.ndarray:
        rows = np.empty(starts.shape[0], np.int64)
        for group in np.split(by_start, bounds):
            start = int(starts[group[0]])
            book = self._book(start)
            auction = start not in self._results
            first_row = book.add(
                order_ids[group],
                member[group],
                point[group],
                side[group],
                price[group],
                quantity[group],
                auction=auction,
            )
            rows[group] = np.arange(first_row, first_row + group.shape[0])
            if not auction:  # continuous trading: match on arrival, in order id order
                resting = self._continuous[start]
                fills = self._continuous_fills.setdefault(start, [])
                for i in group.tolist():
                    fills += resting.submit(
                        int(order_ids[i]),
                        int(member[i]),
                        int(side[i]),
                        int(price[i]),
                        int(quantity[i]),
                    )
        return rows

    def _apply_order_accepted(self, p: OrderAccepted) -> None:
        member, order_id, start = p.member, p.order_id, p.interval_start
        if order_id != len(self._index) + 1:
            raise ReplayMismatch(f"order ids continue at {len(self._index) + 1}, not {order_id}")
        book = self._books.get(start)
        if book is None:
            book = self._books[start] = IntervalBook(start)
            if start not in self._results:  # a gate closed early may get orders later
                self._add_uncleared(start)
        side, price, quantity = p.side, p.price, p.quantity
        auction = start not in self._results
        row = book.add_one(order_id, member, p.point, side, price, quantity, auction)
        self._index.append_row(start, row, member)
        self._point_limits.book(start, p.point, side, quantity)
        self._member_orders[member].append_row(order_id)
        if p.client_order_id is not None:
            content = (start, p.point, side, price, quantity)
            self._client_ids[(member, p.client_order_id)] = (order_id, content)
            self._client_id_of[order_id] = p.client_order_id
        if not auction:
            fills = self._continuous[start].submit(order_id, member, side, price, quantity)
            self._continuous_fills.setdefault(start, []).extend(fills)

    def _apply_cluster_changed(self, p: ClusterChanged) -> None:
        try:
            cluster = cluster_of(p.config, p.files, f"the journal, event {p.seq}")
        except ValueError as exc:  # validated before it was journaled
            raise ReplayMismatch(f"event {p.seq}: the configuration does not load: {exc}") from None
        effective = int(p.effective_from_s)
        # Read intervals after the instant (only at an old journal's first open: its
        # configuration journaled in force from the start) are summed again under it.
        self._unfold(self.readings.read_from(effective))
        self.versions.add(effective, cluster)
        self._configured_bands.clear()
        self.cluster, self.registry = cluster, self.versions.codes
        for _ in range(len(self._member_orders), len(self.registry.member_ids)):
            self._member_orders.append(Columns(("order_id",), 16))
        for order_id in p.cancelled.tolist():
            if not 1 <= order_id <= len(self._index):
                raise ReplayMismatch(f"event {p.seq} cancels order {order_id}, which is unknown")
            self._cancel(order_id)
        if not self._replaying:
            self._fold_credits()

    def _apply_order_cancelled(self, p: OrderCancelled) -> None:
        self._cancel(int(p.order_id))

    def _cancel(self, order_id: int) -> None:
        """Take an order out of its book, freeing what it still had of its point's room."""
        start, row, _ = self._index.row(order_id - 1)
        book = self._books[start]
        o = book.orders
        if o["status"][row] == CONTINUOUS:
            freed = self._continuous[start].cancel(order_id)  # what its trades left
            o["status"][row] = CANCELLED
        else:
            freed = int(o["quantity"][row])
            book.cancel(row)
        self._point_limits.book(start, int(o["point"][row]), int(o["side"][row]), -freed)

    def _apply_order_replaced(self, p: OrderReplaced) -> None:
        i = int(p.order_id) - 1
        start, row, _ = self._index.row(i)
        book = self._books[start]
        o = book.orders
        point, side = int(o["point"][row]), int(o["side"][row])
        freed = int(o["quantity"][row])
        book.cancel(row)
        if int(p.new_order_id) != len(self._index) + 1:
            raise ReplayMismatch("a replacing order must take the next order id")
        member = int(p.member)
        new_row = book.add(
            np.array([p.new_order_id], np.int64),
            np.array([member], np.int64),
            np.array([point], np.int64),
            np.array([side], np.int64),
            np.array([p.price], np.int64),
            np.array([p.quantity], np.int64),
        )
        self._index.append(interval=start, row=new_row, member=member)
        self._member_orders[member].append_row(int(p.new_order_id))
        self._point_limits.book(start, point, side, int(p.quantity) - freed)

    def _apply_gate_closed(self, p: GateClosed) -> None:
        start = int(p.interval_start)
        self._unfold([start])  # (read before its gate closed: its trades change its sums)
        book = self._books.get(start) or IntervalBook(start)
        c = self.cluster_at(start)
        if p.clearing is not None and p.rows is not None:  # live: decided on this very book
            result, (rows, bid_rows, ask_rows) = p.clearing, p.rows
        else:  # replaying: clear again, and it must come out the same
            rows = book.active_rows()
            auction, bid_rows, ask_rows = book.auction_book(rows)
            result = clear(auction, c.mechanism, k=c.k, rationing=c.rationing)
            if result.digest() != p.digest:
                raise ReplayMismatch(f"the clearing of interval {start} does not reproduce")
        book.mark_cleared(rows)
        o = book.orders
        cleared = IntervalResult(
            start,
            result,
            o["order_id"][bid_rows].copy(),
            o["order_id"][ask_rows].copy(),
            o["member"][bid_rows].copy(),
            o["member"][ask_rows].copy(),
            published(result, o["price"], o["quantity"], bid_rows, ask_rows, c.k),
        )
        self._results[start] = cleared
        self._uncleared.discard(start)
        self._track_first_gate()
        # Sums matter while orders may arrive: without continuous trading none come after
        # the auction (an early gate included), with it none after the final gate.
        if self.cluster.continuous_minutes == 0:
            self._point_limits.forget(start)
        self._point_limits.forget_past(int(p.ts_us) // 1_000_000)
        if self.cluster.continuous_minutes > 0:
            # What the auction left rests in the continuous book, in arrival order.
            resting = self._continuous[start] = ContinuousBook()
            for side, sel, filled in (
                (BUY, bid_rows, result.bid_filled),
                (SELL, ask_rows, result.ask_filled),
            ):
                left = o["quantity"][sel] - filled
                for row, q in zip(sel, left, strict=True):
                    if q > 0:
                        resting.rest(
                            int(o["order_id"][row]),
                            int(o["member"][row]),
                            side,
                            int(o["price"][row]),
                            int(q),
                        )
        if not self._replaying:
            self._fold_credits()

    def _apply_readings(self, p: MeterReadingsRecorded) -> None:
        starts = np.asarray(p.interval_start, np.int64)
        point = np.asarray(p.point, np.int64)
        imports = np.asarray(p.import_wh, np.int64)
        exports = np.asarray(p.export_wh, np.int64)
        read = np.unique(starts).tolist()
        self._unfold(read)  # their old sums out; back in from the new readings
        for start in read:
            rows = starts == start
            before = self._settle([start]) if self.is_settled(start) else None
            changed = self.readings.record(start, point[rows], imports[rows], exports[rows])
            if before is not None and changed:
                self.adjustments.append((start, adjustment(before, self._settle([start]))))
        self._unfolded.update(read)
        if not self._replaying:
            self._fold_credits()

    def _apply_price_bands(self, p: PriceBandsPublished) -> None:
        starts, floors, caps = (c.tolist() for c in (p.interval_start, p.floor, p.cap))
        self._unfold(starts)  # (never read: bands are published for open intervals only)
        for start, floor, cap in zip(starts, floors, caps, strict=True):
            self._published_bands[start] = (floor, cap)
        if not self._replaying:
            self._fold_credits()

    # --- the credits' sums (engine.settlement.credit_fold) ------------------------------

    def _unfold(self, starts: list[int]) -> None:
        """Take the sums of read intervals among ``starts`` out of the credits' fold, before
        something they depend on changes; :meth:`_fold_credits` adds them back."""
        folded = [s for s in starts if s not in self._unfolded and self.readings.has(s)]
        if folded:
            self._add_credit_sums(sorted(folded), -1)
            self._unfolded.update(folded)

    def _fold_credits(self) -> None:
        """Add the read intervals not yet in the credits' sums."""
        if self._unfolded:
            starts = sorted(self._unfolded)
            self._unfolded = set()
            self._add_credit_sums(starts, 1)

    def _add_credit_sums(self, starts: list[int], sign: int) -> None:
        for part in self._parts(starts):
            first = part.starts[0]
            key = (self._month_index(first), self.versions.starts[self.versions.index(first)])
            sums = self._credit_sums(part)
            self._credits.add(key, part.cluster, part.codes, len(part.starts), sums, sign)

    def _credit_sums(self, part: Part) -> list[CreditSums]:
        return credit_sums(
            part.cluster, part.starts, part.trades, part.import_wh, part.export_wh,
            part.metered, part.floor, part.cap, part.member_code,
        )  # fmt: skip

    def _month_index(self, start_s: int) -> int:
        return month_index(datetime.fromtimestamp(start_s, self.cluster.timezone))

    # --- helpers ------------------------------------------------------------------------

    def _bands(self, starts: list[int]) -> tuple[np.ndarray, np.ndarray]:
        bands = [self.band(s) for s in starts]
        floor = np.array([b[0] for b in bands], np.int64)
        cap = np.array([b[1] for b in bands], np.int64)
        return floor, cap

    def period_trades(self, starts: list[int], by_point: bool = False) -> PeriodTrades:
        """The trades of the given intervals, buyer and seller as member codes (or, with
        ``by_point``, as the codes of the connection points their orders named)."""
        columns: list[list[np.ndarray]] = [[] for _ in range(6)]
        for t, start in enumerate(starts):
            parts: list[tuple[np.ndarray, ...]] = []
            result = self._results.get(start)
            if result is not None and result.clearing.trades is not None:
                tr = result.trades()
                side = ("buyer_order_id", "seller_order_id") if by_point else ("buyer", "seller")
                parts.append(
                    (
                        tr[side[0]],
                        tr[side[1]],
                        tr["quantity"],
                        tr["buyer_price"],
                        tr["seller_price"],
                    )
                )
            fills = self._continuous_fills.get(start, [])
            if fills:
                who = attrgetter(
                    *(("buyer_order_id", "seller_order_id") if by_point else ("buyer", "seller"))
                )
                buyers, sellers = (
                    np.array(c, np.int64) for c in zip(*map(who, fills), strict=True)
                )
                prices = np.array([f.price for f in fills], np.int64)
                quantity = np.array([f.quantity for f in fills], np.int64)
                parts.append((buyers, sellers, quantity, prices, prices))
            for buyer, seller, *rest in parts:
                if by_point:  # the interval's book holds every order that traded in it
                    orders = self._books[start].orders
                    ids, points = orders["order_id"], orders["point"]
                    buyer = points[np.searchsorted(ids, buyer)]
                    seller = points[np.searchsorted(ids, seller)]
                columns[0].append(np.full(buyer.shape[0], t, np.int64))
                for c, part in zip(columns[1:], (buyer, seller, *rest), strict=True):
                    c.append(part)
        if not columns[0]:
            return PeriodTrades.empty()
        return PeriodTrades(*(np.concatenate(c) for c in columns))

    def bill_points(self, starts: list[int]) -> list[PointStatement]:
        """The statements over the given intervals (ascending), one per connection point
        and member that held it in them (:func:`~engine.settlement.periods.period_statements`:
        ``point`` the point's code, ``member_id`` the member): the period cut into
        sections, each billing the points of the configuration in force for it, each point
        for the member that held it then (:mod:`engine.settlement.periods`), opening with
        the credits the history before it left (:meth:`credits_at`). An empty period: the
        points of the configuration journaled last, with nothing billed."""
        if not starts:
            codes = np.array([self.registry.point_code[p.id] for p in self.cluster.points])
            sections, _ = bill_parts([self._part(self.cluster, codes.astype(np.int64), [], 0)], {})
            return period_statements(sections)
        sections, _ = bill_parts(self._parts(starts), self.credits_at(starts[0]))
        return period_statements(sections)

    def credits_at(self, start_s: int) -> Ledger:
        """What every connection point (by code) holds in credits at ``start_s`` [s]: the
        intervals before it with a reading billed section by section (a pure function of
        the journal). Intervals without a reading add nothing, and expiry is counted by the
        next section that bills.

        The sections of the months before ``start_s``'s are folded from their sums, kept as
        the readings came (:mod:`engine.settlement.credit_fold`); the read intervals of its
        own month before it (none for a statement from a month's start) are summed here."""
        self._fold_credits()
        month = self._month_index(start_s)
        ledger = self._credits.ledger(before_month=month)
        reads = self.readings.read_from(month_start(start_s, self.cluster.timezone))
        for part in self._parts(reads[: bisect_left(reads, start_s)]):
            sums = self._credit_sums(part)
            ledger = carried(ledger, part.cluster, month, part.codes.tolist(), sums)
        return ledger

    def _parts(self, starts: list[int]) -> list[Part]:
        """``starts`` (ascending) as sections: runs of one configuration and local month."""
        parts, first = [], 0
        for run in cut(starts, self.versions.index, self.cluster.timezone):
            cluster, registry = self.cluster_at(run[0]), self.registry_at(run[0])
            codes = np.array([registry.point_code[p.id] for p in cluster.points], np.int64)
            parts.append(self._part(cluster, codes, run, first))
            first += len(run)
        return parts

    def _part(self, cluster: Any, codes: np.ndarray, starts: list[int], first: int) -> Part:
        """One section's trades, readings and bands, on ``cluster``'s points (``codes``)."""
        # Point codes are stable over versions; a configuration lists its points in its own
        # order: bills are made in that order, trades and readings taken over to it.
        index = np.full(len(self.registry.point_ids), -1, np.int64)
        index[codes] = np.arange(codes.shape[0])
        trades = self.period_trades(starts, by_point=True)
        buyer, seller = index[trades.buyer], index[trades.seller]
        keep = (buyer >= 0) & (seller >= 0)  # a point not in this configuration: not billed
        trades = PeriodTrades(
            trades.interval[keep], buyer[keep], seller[keep], trades.quantity[keep],
            trades.buyer_price[keep], trades.seller_price[keep],
        )  # fmt: skip
        imports, exports, metered = (
            m[codes] if starts else np.zeros((codes.shape[0], 0), m.dtype)  # an empty period
            for m in self.readings.points(starts)
        )
        floor, cap = self._bands(starts)
        # One configuration per section: it shares by that configuration's rules, ties broken
        # by the member codes of the cluster's life, as the market's account does.
        return Part(
            cluster, codes, first, starts, trades, imports, exports, metered, floor, cap,
            self.registry.member_code,
        )  # fmt: skip

    def _settle(self, starts: list[int]) -> Settlement:
        """Settlement lines of the given intervals from trades, readings and bands, each
        interval on the configuration in force for it."""
        runs = self.versions.by_version(starts)
        if len(runs) <= 1:
            return self._settle_run(starts)
        parts = [self._settle_run(run) for _, run in runs]
        columns = {}
        for f in dataclasses.fields(parts[0]):  # side by side: (M x T) and (T,) alike
            column = np.concatenate([getattr(part, f.name) for part in parts], axis=-1)
            column.flags.writeable = False
            columns[f.name] = column
        return type(parts[0])(**columns)

    def _settle_run(self, starts: list[int]) -> Settlement:
        """:meth:`_settle` of intervals under one configuration."""
        trades = self.period_trades(starts)
        members = len(self.registry.member_ids)
        imports, exports, metered = self.readings.members(starts, members)
        floor, cap = self._bands(starts)
        cluster = self.cluster_at(starts[0]) if starts else self.cluster
        # Rows are member codes: ties of the key go to the lower code, in bills too.
        plan = plan_for(cluster.sharing, self.registry.member_code, members)
        fee = cluster.network_fee_ticks
        return settle(trades, imports, exports, floor, cap, fee, metered, plan)
