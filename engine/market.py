"""The market of one cluster: the single writer that owns the state.

Every command runs one pipeline, top to bottom: look up the member, validate completely
(nothing is applied if anything is wrong), turn the command into an event, append the event
to the journal, apply the event to memory, tell the subscribers. State changes only in the
``_apply_*`` methods, which read nothing but the event and the state, so replaying a journal
through them rebuilds the same state; gate closures recompute their clearing on replay and
must reproduce the recorded digest byte for byte.

Durability is the caller's: events are appended to the journal (if any) but committed by
whoever drives the market (the gateway's group commit, a simulation's ``commit``); an order
is acknowledged to a client only once the seq returned with it is durable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engine.book import ACTIVE, BUY, CANCELLED, CONTINUOUS, SELL, STATUS_NAMES, IntervalBook
from engine.calendar import Calendar, IntervalState
from engine.clock import Clock
from engine.columns import Columns
from engine.continuous import ContinuousBook, Fill
from engine.kpis import Kpis, kpis
from engine.metering import ReadingBatch, Readings, validate_readings
from engine.orders import FIELDS, NewOrder, OrderBatch, validate_batch, validate_one
from engine.registry import Registry
from engine.rejects import BatchRejected, Reject, Rejected
from engine.result import IntervalResult
from engine.settlement import PeriodTrades, Settlement, Statement, adjustment, settle, statement
from matching import ClearingResult, clear


class EventSink(Protocol):
    def append(self, kind: str, ts_us: int, payload: dict[str, Any]) -> int: ...


class ReplayMismatch(RuntimeError):
    """A journal whose recorded clearing does not come out the same again."""


@dataclass(frozen=True, slots=True)
class BatchAccepted:
    order_ids: np.ndarray  # int64, one per row (a repeated client order id gets its old id)
    seq: int  # the journal seq that makes them durable


@dataclass(frozen=True, slots=True)
class Done:
    """A command that changed the market; durable once ``seq`` is committed."""

    seq: int
    order_id: int | None = None


Subscriber = Callable[[str, dict[str, Any]], None]


class Market:
    """One cluster's market (see the module docstring for the pipeline)."""

    def __init__(self, cluster: Any, clock: Clock, journal: EventSink | None = None) -> None:
        self.cluster = cluster
        self.clock = clock
        self.registry = Registry.of(cluster)
        self.calendar = Calendar(
            length_s=cluster.interval_minutes * 60,
            gate_closure_s=cluster.gate_closure_minutes * 60,
            continuous_s=cluster.continuous_minutes * 60,
            horizon=cluster.horizon_intervals,
        )
        self.seq = 0  # the last event's seq
        self._journal = journal
        self._subscribers: list[Subscriber] = []
        self._books: dict[int, IntervalBook] = {}
        self._results: dict[int, IntervalResult] = {}
        self._uncleared: set[int] = set()  # starts of books whose auction is not cleared
        self._index = Columns(("interval", "row", "member"), capacity=1024)  # by order_id - 1
        self._client_ids: dict[tuple[int, str], tuple[int, tuple[int, ...]]] = {}
        self._cleared_now: dict[int, ClearingResult] = {}  # live results awaiting their event
        self._continuous: dict[int, ContinuousBook] = {}
        self._continuous_fills: dict[int, list[Fill]] = {}
        self.readings = Readings(self.registry)
        # Re-settlements after late or corrected readings: (interval start, new - old).
        self.adjustments: list[tuple[int, Settlement]] = []

    # --- commands -----------------------------------------------------------------------

    def submit(self, member_id: str, order: NewOrder) -> Done | Rejected:
        """Accept one order (the same rules as a batch of one, on plain ints: the path of
        agents that send orders one by one)."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            return Rejected(Reject.UNKNOWN_MEMBER, "member", f"no member {member_id!r}")
        cid = order.client_order_id
        if cid is not None:
            known = self._client_ids.get((member, cid))
            if known is not None:
                if known[1] == order.content():
                    return Done(self.seq, known[0])
                message = (
                    f"client_order_id {cid!r} was used for order {known[0]} with other content"
                )
                return Rejected(Reject.CLIENT_ORDER_ID_CONFLICT, "client_order_id", message, 0)
        self.advance()
        reject = validate_one(
            order, member, self.registry, self.calendar, self.cluster.band, self._now_s()
        )
        early_closed = (
            self.cluster.continuous_minutes == 0 and order.interval_start in self._results
        )
        if reject is None and early_closed:
            reject = Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", "its gate is closed", 0)
        if reject is not None:
            return reject
        order_id = len(self._index) + 1
        self._record(
            "OrderAccepted",
            {
                "member": member,
                "order_id": order_id,
                "interval_start": order.interval_start,
                "point": order.point,
                "side": order.side,
                "price": order.price,
                "quantity": order.quantity,
                "client_order_id": cid,
            },
        )
        return Done(self.seq, order_id)

    def submit_batch(self, member_id: str, batch: OrderBatch) -> BatchAccepted | BatchRejected:
        """Accept every row of ``batch`` or none (a repeated client order id with the same
        content is answered with its first order id and not booked again)."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            reject = Rejected(Reject.UNKNOWN_MEMBER, "member", f"no member {member_id!r}")
            return BatchRejected((reject,), 1)
        # A retry of acknowledged orders gets the same answer, whatever happened since.
        order_ids, new = self._repeats(member, batch)
        if isinstance(new, BatchRejected):
            return new
        if len(batch) and not new.any():
            return BatchAccepted(order_ids, self.seq)
        self.advance()
        rejects = validate_batch(
            batch, member, self.registry, self.calendar, self.cluster.band, self._now_s()
        )
        if not rejects and self.cluster.continuous_minutes == 0:
            # A gate the coordinator closed early: without continuous trading it is shut.
            cleared = np.isin(batch.interval_start, list(self._results))
            rejects = [
                Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", "its gate is closed", int(r))
                for r in np.flatnonzero(cleared)
            ]
        if rejects:
            return BatchRejected(tuple(rejects), len(rejects))
        first = len(self._index) + 1
        client_ids = None
        if batch.client_order_id is not None:
            client_ids = [c for c, fresh in zip(batch.client_order_id, new, strict=True) if fresh]
        self._record(
            "OrdersAccepted",
            {
                "member": member,
                "first_order_id": first,
                "interval_start": batch.interval_start[new],
                "point": batch.point[new],
                "side": batch.side[new],
                "price": batch.price[new],
                "quantity": batch.quantity[new],
                "client_order_id": client_ids,
            },
        )
        order_ids[new] = np.arange(first, first + int(new.sum()), dtype=np.int64)
        return BatchAccepted(order_ids, self.seq)

    def cancel(self, member_id: str, order_id: int) -> Done | Rejected:
        """Take an order of the member's out of a book that is still open."""
        found = self._active_order(member_id, order_id)
        if isinstance(found, Rejected):
            return found
        member, _, _ = found
        self._record("OrderCancelled", {"member": member, "order_id": order_id})
        return Done(self.seq, order_id)

    def replace(
        self, member_id: str, order_id: int, price: int | None = None, quantity: int | None = None
    ) -> Done | Rejected:
        """Cancel an order and book its new price and/or quantity as a new order (with a new
        order id and arrival sequence: a replaced order queues anew)."""
        found = self._active_order(member_id, order_id)
        if isinstance(found, Rejected):
            return found
        member, start, row = found
        o = self._books[start].orders
        if o["status"][row] == CONTINUOUS:
            message = "in continuous trading, cancel the order and submit a new one"
            return Rejected(Reject.ORDER_NOT_ACTIVE, "order_id", message)
        new = OrderBatch.one(
            start,
            int(o["point"][row]),
            int(o["side"][row]),
            int(o["price"][row]) if price is None else price,
            int(o["quantity"][row]) if quantity is None else quantity,
        )
        rejects = validate_batch(
            new, member, self.registry, self.calendar, self.cluster.band, self._now_s()
        )
        if rejects:
            return rejects[0]
        new_id = len(self._index) + 1
        self._record(
            "OrderReplaced",
            {
                "member": member,
                "order_id": order_id,
                "new_order_id": new_id,
                "price": int(new.price[0]),
                "quantity": int(new.quantity[0]),
            },
        )
        return Done(self.seq, new_id)

    def close_gate(self, member_id: str, start_s: int) -> Done | Rejected:
        """Close an interval's auction gate now (the coordinator's control)."""
        member = self.registry.member_code.get(member_id)
        if member is None or self.registry.member_roles[member] != "coordinator":
            return Rejected(Reject.ROLE_FORBIDDEN, "member", "only the coordinator closes gates")
        if start_s in self._results:
            return Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", "already cleared")
        if not self.calendar.is_start(start_s):
            return Rejected(Reject.BAD_INTERVAL, "interval_start", f"{start_s} is no start")
        self._close_gate(start_s)
        return Done(self.seq)

    def record_readings(self, member_id: str, batch: ReadingBatch) -> Done | BatchRejected:
        """Record meter readings (the dso's and the coordinator's command). A reading that
        corrects an earlier one re-settles its interval; the difference is kept in
        :attr:`adjustments`, the old lines are never silently overwritten."""
        member = self.registry.member_code.get(member_id)
        if member is None or self.registry.member_roles[member] not in ("dso", "coordinator"):
            reject = Rejected(
                Reject.ROLE_FORBIDDEN, "member", "only the dso or the coordinator sends readings"
            )
            return BatchRejected((reject,), 1)
        self.advance()  # a delivered interval's auction comes before its readings
        rejects = validate_readings(batch, self.registry, self.calendar, self._now_s())
        if rejects:
            return BatchRejected(tuple(rejects), len(rejects))
        self._record(
            "MeterReadingsRecorded",
            {
                "interval_start": batch.interval_start,
                "point": batch.point,
                "import_wh": batch.import_wh,
                "export_wh": batch.export_wh,
            },
        )
        return Done(self.seq)

    def advance(self) -> None:
        """Close every auction gate that the clock has passed, earliest first."""
        now_s = self._now_s()
        for start in sorted(self._uncleared):
            if self.calendar.auction_gate(start) > now_s:
                break
            self._close_gate(start)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(kind, payload)`` after each applied event; returns an
        unsubscribe function."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    # --- queries ------------------------------------------------------------------------

    def state(self, start_s: int) -> IntervalState:
        return self.calendar.state(start_s, self._now_s(), self.is_settled(start_s))

    def is_settled(self, start_s: int) -> bool:
        """True once every connection point's reading of the interval is in."""
        return not self.readings.missing_points(start_s)

    def settlement(self, start_s: int, end_s: int) -> tuple[list[int], Settlement]:
        """Settle the delivered intervals starting in [start_s, end_s): (their starts, the
        member x interval lines). Intervals with missing readings are pending in it."""
        self.advance()
        now_s = self._now_s()
        length = self.calendar.length_s
        first = start_s + (-start_s) % length
        starts = [s for s in range(first, end_s, length) if self.calendar.delivered_at(s) <= now_s]
        return starts, self._settle(starts)

    def statement(self, member_id: str, start_s: int, end_s: int) -> Statement | Rejected:
        """A member's statement over the delivered intervals in [start_s, end_s)."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            return Rejected(Reject.UNKNOWN_MEMBER, "member", f"no member {member_id!r}")
        _, settled = self.settlement(start_s, end_s)
        return statement(settled, member, tick_pln_mwh=self.cluster.tick_pln_mwh)

    def kpis(self, start_s: int, end_s: int) -> Kpis:
        """The cluster KPIs over the complete intervals in [start_s, end_s)."""
        starts, settled = self.settlement(start_s, end_s)
        members = len(self.registry.member_ids)
        imports, exports, _ = self.readings.members(starts, members)
        floor, cap = self._bands(starts)
        return kpis(settled, imports, exports, floor, cap, self.cluster.tick_pln_mwh)

    def depth(self, start_s: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Open quantity [Wh] per price [tick]: bids best (highest) first, asks lowest first."""
        if self.state(start_s) == IntervalState.CONTINUOUS and start_s in self._continuous:
            resting = self._continuous[start_s]
            return resting.depth(BUY), resting.depth(SELL)
        book = self._books.get(start_s)
        if book is None:
            return [], []
        bids = list(reversed(book.depth[BUY].items()))
        return bids, list(book.depth[SELL].items())

    def indicative(self, start_s: int) -> ClearingResult:
        """What the auction would give if the gate closed now (fills only, no trades)."""
        book = self._books.get(start_s) or IntervalBook(start_s)
        auction, _, _ = book.auction_book(book.active_rows())
        c = self.cluster
        return clear(auction, c.mechanism, k=c.k, rationing=c.rationing, trades=False)

    def result(self, start_s: int) -> IntervalResult | None:
        return self._results.get(start_s)

    def orders(self, member_id: str, start_s: int | None = None) -> list[dict[str, Any]]:
        """The member's orders (all intervals, or one), oldest first."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            return []
        rows: list[dict[str, Any]] = []
        starts = sorted(self._books) if start_s is None else [start_s]
        for start in starts:
            book = self._books.get(start)
            if book is None:
                continue
            o = book.orders
            for row in np.flatnonzero(o["member"] == member):
                order_id = int(o["order_id"][row])
                rows.append(
                    {
                        "order_id": order_id,
                        "interval_start": start,
                        "point": self.registry.point_ids[int(o["point"][row])],
                        "side": "buy" if o["side"][row] == BUY else "sell",
                        "price": int(o["price"][row]),
                        "quantity": int(o["quantity"][row]),
                        "status": STATUS_NAMES[int(o["status"][row])],
                        "filled": self._filled(start, order_id, int(o["quantity"][row])),
                    }
                )
        return rows

    def continuous_fills(self, start_s: int) -> list[Fill]:
        """The trades of an interval's continuous phase, in the order they happened."""
        return list(self._continuous_fills.get(start_s, ()))

    def _filled(self, start: int, order_id: int, quantity: int) -> int | None:
        """Filled Wh of an order: its auction fill plus its continuous trades."""
        result = self._results.get(start)
        if result is None:
            return None
        filled = result.filled(order_id)
        for f in self._continuous_fills.get(start, ()):
            if order_id in (f.buyer_order_id, f.seller_order_id):
                filled += f.quantity
        return filled

    # --- the pipeline's last steps ------------------------------------------------------

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        ts_us = self.clock.now_us()
        if self._journal is not None:
            self.seq = self._journal.append(kind, ts_us, payload)
        else:
            self.seq += 1
        self._apply(kind, payload)
        for subscriber in list(self._subscribers):
            subscriber(kind, payload)

    def _apply(self, kind: str, payload: dict[str, Any]) -> None:
        {
            "OrdersAccepted": self._apply_orders_accepted,
            "OrderAccepted": self._apply_order_accepted,
            "OrderCancelled": self._apply_order_cancelled,
            "OrderReplaced": self._apply_order_replaced,
            "GateClosed": self._apply_gate_closed,
            "MeterReadingsRecorded": self._apply_readings,
        }[kind](payload)

    def replay(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Apply recorded events to a new market, in order; gate closures recompute their
        clearing and raise :class:`ReplayMismatch` if a digest differs."""
        for kind, payload in events:
            self.seq += 1
            self._apply(kind, payload)

    # --- applying events ----------------------------------------------------------------

    def _apply_orders_accepted(self, p: dict[str, Any]) -> None:
        member, first = int(p["member"]), int(p["first_order_id"])
        starts = np.asarray(p["interval_start"], np.int64)
        n = starts.shape[0]
        if first != len(self._index) + 1:
            raise ReplayMismatch(
                f"order ids continue at {len(self._index) + 1}, event says {first}"
            )
        order_ids = np.arange(first, first + n, dtype=np.int64)
        rows = np.empty(n, np.int64)
        point = np.asarray(p["point"], np.int64)
        side = np.asarray(p["side"], np.int64)
        price = np.asarray(p["price"], np.int64)
        quantity = np.asarray(p["quantity"], np.int64)
        # Rows grouped by interval, arrival order kept inside each group.
        by_start = np.argsort(starts, kind="stable")
        bounds = np.flatnonzero(np.diff(starts[by_start])) + 1
        for group in np.split(by_start, bounds):
            start = int(starts[group[0]])
            book = self._books.get(start)
            if book is None:
                book = self._books[start] = IntervalBook(start)
                self._uncleared.add(start)
            k = group.shape[0]
            auction = start not in self._results
            first_row = book.add(
                order_ids[group],
                np.full(k, member, np.int64),
                point[group],
                side[group],
                price[group],
                quantity[group],
                auction=auction,
            )
            rows[group] = np.arange(first_row, first_row + k)
            if not auction:  # continuous trading: match on arrival, in order id order
                resting = self._continuous[start]
                fills = self._continuous_fills.setdefault(start, [])
                for i in group.tolist():
                    oid, sd, pr, qt = (
                        int(order_ids[i]),
                        int(side[i]),
                        int(price[i]),
                        int(quantity[i]),
                    )
                    fills += resting.submit(oid, member, sd, pr, qt)
        self._index.append(interval=starts, row=rows, member=member)
        client_ids = p.get("client_order_id")
        if client_ids:
            content = np.stack(
                [
                    starts,
                    *(np.asarray(p[f], np.int64) for f in ("point", "side", "price", "quantity")),
                ],
                axis=1,
            )
            for i, cid in enumerate(client_ids):
                if cid is not None:
                    self._client_ids[(member, cid)] = (first + i, tuple(content[i].tolist()))

    def _apply_order_accepted(self, p: dict[str, Any]) -> None:
        member, order_id, start = p["member"], p["order_id"], p["interval_start"]
        if order_id != len(self._index) + 1:
            raise ReplayMismatch(f"order ids continue at {len(self._index) + 1}, not {order_id}")
        book = self._books.get(start)
        if book is None:
            book = self._books[start] = IntervalBook(start)
            self._uncleared.add(start)
        side, price, quantity = p["side"], p["price"], p["quantity"]
        auction = start not in self._results
        row = book.add_one(order_id, member, p["point"], side, price, quantity, auction)
        self._index.append_row(start, row, member)
        if p["client_order_id"] is not None:
            content = (start, p["point"], side, price, quantity)
            self._client_ids[(member, p["client_order_id"])] = (order_id, content)
        if not auction:
            fills = self._continuous[start].submit(order_id, member, side, price, quantity)
            self._continuous_fills.setdefault(start, []).extend(fills)

    def _apply_order_cancelled(self, p: dict[str, Any]) -> None:
        order_id = int(p["order_id"])
        start, row = (
            int(self._index["interval"][order_id - 1]),
            int(self._index["row"][order_id - 1]),
        )
        book = self._books[start]
        if book.orders["status"][row] == CONTINUOUS:
            self._continuous[start].cancel(order_id)
            book.orders["status"][row] = CANCELLED
        else:
            book.cancel(row)

    def _apply_order_replaced(self, p: dict[str, Any]) -> None:
        i = int(p["order_id"]) - 1
        start, row = int(self._index["interval"][i]), int(self._index["row"][i])
        book = self._books[start]
        o = book.orders
        point, side = int(o["point"][row]), int(o["side"][row])
        book.cancel(row)
        if int(p["new_order_id"]) != len(self._index) + 1:
            raise ReplayMismatch("a replacing order must take the next order id")
        member = int(p["member"])
        new_row = book.add(
            np.array([p["new_order_id"]], np.int64),
            np.array([member], np.int64),
            np.array([point], np.int64),
            np.array([side], np.int64),
            np.array([p["price"]], np.int64),
            np.array([p["quantity"]], np.int64),
        )
        self._index.append(interval=start, row=new_row, member=member)

    def _apply_gate_closed(self, p: dict[str, Any]) -> None:
        start = int(p["interval_start"])
        book = self._books.get(start) or IntervalBook(start)
        rows = book.active_rows()
        auction, bid_rows, ask_rows = book.auction_book(rows)
        result = self._cleared_now.pop(start, None)
        if result is None:  # replaying: clear again, and it must come out the same
            c = self.cluster
            result = clear(auction, c.mechanism, k=c.k, rationing=c.rationing)
        if result.digest() != p["digest"]:
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
        )
        self._results[start] = cleared
        self._uncleared.discard(start)
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

    def _apply_readings(self, p: dict[str, Any]) -> None:
        starts = np.asarray(p["interval_start"], np.int64)
        point = np.asarray(p["point"], np.int64)
        imports = np.asarray(p["import_wh"], np.int64)
        exports = np.asarray(p["export_wh"], np.int64)
        for start in np.unique(starts).tolist():
            rows = starts == start
            before = self._settle([start]) if self.is_settled(start) else None
            changed = self.readings.record(start, point[rows], imports[rows], exports[rows])
            if before is not None and changed:
                self.adjustments.append((start, adjustment(before, self._settle([start]))))

    # --- helpers ------------------------------------------------------------------------

    def _bands(self, starts: list[int]) -> tuple[np.ndarray, np.ndarray]:
        bands = [self.cluster.band(s) for s in starts]
        floor = np.array([b[0] for b in bands], np.int64)
        cap = np.array([b[1] for b in bands], np.int64)
        return floor, cap

    def _settle(self, starts: list[int]) -> Settlement:
        """Settlement lines of the given intervals from trades, readings and bands."""
        columns: list[list[np.ndarray]] = [[] for _ in range(6)]
        for t, start in enumerate(starts):
            result = self._results.get(start)
            if result is not None and result.clearing.trades is not None:
                tr = result.trades()
                parts = (
                    tr["buyer"],
                    tr["seller"],
                    tr["quantity"],
                    tr["buyer_price"],
                    tr["seller_price"],
                )
                columns[0].append(np.full(parts[0].shape[0], t, np.int64))
                for c, part in zip(columns[1:], parts, strict=True):
                    c.append(part)
            fills = self._continuous_fills.get(start, [])
            if fills:
                columns[0].append(np.full(len(fills), t, np.int64))
                columns[1].append(np.array([f.buyer for f in fills], np.int64))
                columns[2].append(np.array([f.seller for f in fills], np.int64))
                columns[3].append(np.array([f.quantity for f in fills], np.int64))
                prices = np.array([f.price for f in fills], np.int64)
                columns[4].append(prices)
                columns[5].append(prices)
        trades = (
            PeriodTrades(*(np.concatenate(c) for c in columns))
            if columns[0]
            else PeriodTrades.empty()
        )
        members = len(self.registry.member_ids)
        imports, exports, metered = self.readings.members(starts, members)
        floor, cap = self._bands(starts)
        return settle(trades, imports, exports, floor, cap, self.cluster.network_fee_ticks, metered)

    def _close_gate(self, start: int) -> None:
        book = self._books.get(start) or IntervalBook(start)
        auction, _, _ = book.auction_book(book.active_rows())
        c = self.cluster
        result = clear(auction, c.mechanism, k=c.k, rationing=c.rationing)
        self._cleared_now[start] = result
        self._record(
            "GateClosed",
            {
                "interval_start": start,
                "digest": result.digest(),
                "volume": result.volume,
                "price": result.price,
            },
        )

    def _now_s(self) -> int:
        return self.clock.now_us() // 1_000_000

    def _repeats(self, member: int, batch: OrderBatch) -> tuple[np.ndarray, Any]:
        """Split rows into new ones and repeats of earlier client order ids."""
        n = len(batch)
        order_ids = np.zeros(n, np.int64)
        new = np.ones(n, bool)
        ids = batch.client_order_id
        if ids is None or len(ids) != n or any(np.shape(getattr(batch, f)) != (n,) for f in FIELDS):
            return order_ids, new  # nothing to look up, or malformed: validation will say
        conflicts = []
        for row, cid in enumerate(batch.client_order_id):
            if cid is None:
                continue
            known = self._client_ids.get((member, cid))
            if known is None:
                continue
            content = (
                int(batch.interval_start[row]),
                int(batch.point[row]),
                int(batch.side[row]),
                int(batch.price[row]),
                int(batch.quantity[row]),
            )
            if known[1] == content:
                order_ids[row], new[row] = known[0], False
            else:
                conflicts.append(
                    Rejected(
                        Reject.CLIENT_ORDER_ID_CONFLICT,
                        "client_order_id",
                        f"client_order_id {cid!r} was used for order {known[0]} with other content",
                        row,
                    )
                )
        if conflicts:
            return order_ids, BatchRejected(tuple(conflicts), len(conflicts))
        return order_ids, new

    def _active_order(self, member_id: str, order_id: int) -> tuple[int, int, int] | Rejected:
        member = self.registry.member_code.get(member_id)
        if member is None:
            return Rejected(Reject.UNKNOWN_MEMBER, "member", f"no member {member_id!r}")
        if not isinstance(order_id, int) or not 1 <= order_id <= len(self._index):
            return Rejected(Reject.UNKNOWN_ORDER, "order_id", f"no order {order_id!r}")
        i = order_id - 1
        if int(self._index["member"][i]) != member:
            # Not "not yours": a member must not learn which order ids exist.
            return Rejected(Reject.UNKNOWN_ORDER, "order_id", f"no order {order_id!r}")
        self.advance()
        start, row = int(self._index["interval"][i]), int(self._index["row"][i])
        status = self._books[start].orders["status"][row]
        resting = self._continuous.get(start)
        in_continuous = (status == CONTINUOUS or start in self._continuous) and self.state(
            start
        ) == IntervalState.CONTINUOUS
        if in_continuous and resting is not None and order_id in resting:
            if status != CONTINUOUS:  # an auction leftover resting in continuous trading
                return Rejected(
                    Reject.ORDER_NOT_ACTIVE, "order_id", f"order {order_id} is an auction order"
                )
            return member, start, row
        if status != ACTIVE:
            return Rejected(Reject.ORDER_NOT_ACTIVE, "order_id", f"order {order_id} is not active")
        return member, start, row
