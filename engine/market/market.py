"""The market of one cluster: the single writer that owns the state.

Every command runs one pipeline, top to bottom: look up the member, validate completely
(nothing is applied if anything is wrong), turn the command into an event, append the event
to the journal, apply the event to memory, tell the subscribers. State changes only in the
event handlers of :class:`~engine.market.state.MarketState`, which read nothing but the event and
the state, so replaying a journal through them rebuilds the same state.

Durability is the caller's: events are appended to the journal (if any) but committed by
whoever drives the market (the gateway's group commit, a simulation's ``commit``); an order
is acknowledged to a client only once the seq returned with it is durable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engine.book.auction import ACTIVE, BUY, CONTINUOUS, SELL, STATUS_NAMES, IntervalBook
from engine.book.continuous import Fill
from engine.book.interval_result import IntervalResult
from engine.book.new_orders import FIELDS, NewOrder, OrderBatch, validate_batch, validate_one
from engine.market.bands import BandBatch, validate_bands
from engine.market.state import MarketState
from engine.model.calendar import IntervalState
from engine.model.clock import Clock
from engine.model.columns import group_starts
from engine.model.rejects import BatchRejected, Reject, Rejected
from engine.settlement.kpis import Kpis, kpis
from engine.settlement.metering import ReadingBatch, validate_readings
from engine.settlement.settle import Settlement, Statement, statement
from matching import ClearingResult, clear


class EventSink(Protocol):
    def append(self, kind: str, ts_us: int, payload: dict[str, Any]) -> int: ...


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


class Market(MarketState):
    """One cluster's market (see the module docstring for the pipeline); the state and
    its event handlers are :class:`~engine.market.state.MarketState`'s."""

    def __init__(self, cluster: Any, clock: Clock, journal: EventSink | None = None) -> None:
        super().__init__(cluster)
        self.clock = clock
        self._journal = journal
        self._subscribers: list[Subscriber] = []
        self.last_clearing_seconds = 0.0  # of the last gate closure [s]

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
        reject = validate_one(order, member, self.registry, self.calendar, self.band, self._now_s())
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
            batch, member, self.registry, self.calendar, self.band, self._now_s()
        )
        if not rejects and self.cluster.continuous_minutes == 0:
            # A gate the coordinator closed early: without continuous trading it is shut.
            distinct, which = group_starts(batch.interval_start, self.calendar.length_s)
            closed = np.array([s in self._results for s in distinct.tolist()], bool)
            rejects = [
                Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", "its gate is closed", int(r))
                for r in np.flatnonzero(closed[which])
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
            new, member, self.registry, self.calendar, self.band, self._now_s()
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

    def publish_bands(self, member_id: str, batch: BandBatch) -> Done | BatchRejected:
        """Override the price band of intervals whose auction is still open (the
        coordinator's control; see :mod:`engine.market.bands`)."""
        member = self.registry.member_code.get(member_id)
        if member is None or self.registry.member_roles[member] != "coordinator":
            reject = Rejected(
                Reject.ROLE_FORBIDDEN, "member", "only the coordinator publishes price bands"
            )
            return BatchRejected((reject,), 1)
        self.advance()  # a gate the clock has passed is closed before we look
        rejects = validate_bands(batch, self.calendar, self._results, self._now_s())
        if rejects:
            return BatchRejected(tuple(rejects), len(rejects))
        self._record(
            "PriceBandsPublished",
            {"interval_start": batch.interval_start, "floor": batch.floor, "cap": batch.cap},
        )
        return Done(self.seq)

    def advance(self) -> None:
        """Close every auction gate that the clock has passed, earliest first."""
        now_s = self._now_s()
        uncleared = self._uncleared  # sorted: look only at the earliest
        while uncleared and self.calendar.auction_gate(uncleared[0]) <= now_s:
            self._close_gate(uncleared[0])

    def attach(self, journal: EventSink) -> None:
        """Send the events from now on to ``journal`` (a server switches from the plain
        journal of recovery to the group commit)."""
        self._journal = journal

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(kind, payload)`` after each applied event; returns an
        unsubscribe function."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    # --- queries ------------------------------------------------------------------------

    def state(self, start_s: int) -> IntervalState:
        """The interval's state: by the clock, except that a gate the coordinator closed
        early is closed from then on."""
        state = self.calendar.state(start_s, self._now_s(), self.is_settled(start_s))
        if start_s in self._results and state in (IntervalState.PLANNED, IntervalState.OPEN):
            continuous = self.cluster.continuous_minutes > 0
            return IntervalState.CONTINUOUS if continuous else IntervalState.CLEARED
        return state

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

    def open_book_orders(self) -> tuple[int, int]:
        """Active auction orders in books not yet cleared: (bids, asks)."""
        buy = sell = 0
        for start in self._uncleared:
            o = self._books[start].orders
            active = o["status"] == ACTIVE
            bids = int(np.count_nonzero(active & (o["side"] == BUY)))
            buy += bids
            sell += int(np.count_nonzero(active)) - bids
        return buy, sell

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
                        "client_order_id": self._client_id_of.get(order_id),
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
        self.apply(kind, payload)
        for subscriber in list(self._subscribers):
            subscriber(kind, payload)

    def _close_gate(self, start: int) -> None:
        began = time.perf_counter()
        book = self._books.get(start) or IntervalBook(start)
        auction, _, _ = book.auction_book(book.active_rows())
        c = self.cluster
        result = clear(auction, c.mechanism, k=c.k, rationing=c.rationing)
        self._cleared_now[start] = result
        # Freeze and clear: what the clearing-duration metric reports (set before the event
        # goes out, so subscribers read this gate's figure).
        self.last_clearing_seconds = time.perf_counter() - began
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
        start, row, owner = self._index.row(order_id - 1)
        if owner != member:
            # Not "not yours": a member must not learn which order ids exist.
            return Rejected(Reject.UNKNOWN_ORDER, "order_id", f"no order {order_id!r}")
        self.advance()
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
