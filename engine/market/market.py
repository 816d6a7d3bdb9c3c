"""The market of one cluster: the single writer that owns the state.

Every command runs one pipeline, :meth:`Market.handle`, top to bottom: authorise (who sends
it) -> validate completely (nothing is applied if anything is wrong) -> decide (the event
that records what happens, and the answer) -> journal the event -> apply it to memory ->
publish it to the subscribers. Nothing that can fail runs after the journal append. State
changes only in the fold of :class:`~engine.market.state.MarketState`, which reads nothing
but the event and the state, so replaying a journal through it rebuilds the same state.

Before any command the market closes the auction gates the clock has passed, each as a
:class:`~engine.market.commands.CloseGate` of the clock's through the same pipeline; the
runtime's ticker calls :meth:`Market.close_due_gates` too, so gates close on time when no
command arrives.

Durability is the caller's: events are appended to the journal (if any) but committed by
whoever drives the market (the gateway's group commit, a simulation's ``commit``); an answer
is given to a client only once its seq is durable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from engine.book.auction import (
    ACTIVE,
    BUY,
    CONTINUOUS,
    SELL,
    STATUS_NAMES,
    GateRows,
    IntervalBook,
)
from engine.book.continuous import Fill
from engine.book.interval_result import IntervalResult
from engine.book.new_orders import (
    FIELDS,
    MAX_REPORTED_ROWS,
    NewOrder,
    OrderBatch,
    validate_batch,
    validate_one,
)
from engine.book.point_limits import BatchGroups
from engine.market.bands import BandBatch, validate_bands
from engine.market.changes import decide_change
from engine.market.commands import (
    COMMAND_TYPES,
    FORBIDDEN,
    ROLES,
    Answer,
    BatchAccepted,
    CancelOrder,
    ChangeCluster,
    Changed,
    CloseGate,
    Command,
    Done,
    PublishBands,
    RecordReadings,
    ReplaceOrder,
    SubmitOrders,
    is_batch,
)
from engine.market.events import (
    ClusterChanged,
    Event,
    GateClosed,
    MeterReadingsRecorded,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    OrdersAccepted,
    PriceBandsPublished,
)
from engine.market.order_pages import OrderPage, scan
from engine.market.state import MarketState
from engine.model import wording
from engine.model.calendar import INSTANT_RANGE, IntervalState, in_range
from engine.model.clock import Clock
from engine.model.columns import group_starts, stable_order
from engine.model.rejects import BatchRejected, Reject, Rejected
from engine.settlement.bills import PointStatement
from engine.settlement.kpis import Kpis, kpis
from engine.settlement.metering import ReadingBatch, validate_readings
from engine.settlement.register import RenewableExport
from engine.settlement.settle import Settlement, Statement, statement
from matching import ClearingResult, clear

__all__ = ["BatchAccepted", "Done", "EventSink", "Market", "Subscriber"]

log = logging.getLogger("klaster.market")


class EventSink(Protocol):
    """Where the market's events go: a journal (through a codec); returns the event's seq."""

    def append(self, event: Event) -> int: ...


Subscriber = Callable[[Event], None]
Decision = tuple[Event | None, Answer]  # the event to record (None: nothing changes), the answer


class Market(MarketState):
    """One cluster's market (see the module docstring for the pipeline); the state and
    its fold are :class:`~engine.market.state.MarketState`'s."""

    def __init__(self, cluster: Any, clock: Clock, journal: EventSink | None = None) -> None:
        super().__init__(cluster)
        self.clock = clock
        self._journal = journal
        self._subscribers: tuple[Subscriber, ...] = ()  # replaced, never changed in place

    # --- the pipeline -------------------------------------------------------------------

    def handle(self, command: Command) -> Answer:
        """Run one command; return its answer (a rejection changes nothing)."""
        now_us = self.clock.now_us()  # one reading of the clock: the command's instant
        self._close_due(now_us)  # every command sees the market as of the clock
        return self._handle(command, now_us)

    def close_due_gates(self) -> None:
        """Close every auction gate the clock has passed, earliest first (the clock's
        :class:`CloseGate` commands)."""
        self._close_due(self.clock.now_us())

    def _close_due(self, now_us: int) -> None:
        """:meth:`close_due_gates` as of ``now_us`` [us]."""
        now_s = now_us // 1_000_000
        while self._first_gate_s <= now_s:  # the earliest gate of the uncleared books
            self._handle(CloseGate(None, self._uncleared[0]), now_us)

    def _handle(self, command: Command, now_us: int) -> Answer:
        """Authorise, validate, decide and record ``command`` at ``now_us`` [us]."""
        if type(command) not in COMMAND_TYPES:  # a bug of the caller, not an answer
            raise TypeError(f"not a command: {type(command).__name__}")
        member = self._authorise(command)
        if isinstance(member, Rejected):
            return BatchRejected((member,), 1) if is_batch(command) else member
        match command:  # validate completely and decide
            case SubmitOrders(orders=NewOrder() as order):
                event, answer = self._decide_order(member, order, now_us)
            case SubmitOrders(orders=batch):
                event, answer = self._decide_orders(member, batch, now_us)
            case CancelOrder():
                event, answer = self._decide_cancel(member, command, now_us)
            case ReplaceOrder():
                event, answer = self._decide_replace(member, command, now_us)
            case CloseGate():
                event, answer = self._decide_close(member, command.interval_start, now_us)
            case RecordReadings():
                event, answer = self._decide_readings(command.readings, now_us)
            case PublishBands():
                event, answer = self._decide_bands(command.bands, now_us)
            case ChangeCluster():
                event, answer = self._decide_change(command, now_us)
        if event is not None:
            self._record(event)
        return answer

    def _authorise(self, command: Command) -> int | Rejected:
        """Return the sender's member code (-1 for the clock), or why it may not send it."""
        if command.member_id is None and type(command) is CloseGate:
            return -1
        member = self.registry.member_code.get(command.member_id)
        if member is None:
            return Rejected(Reject.UNKNOWN_MEMBER, "member", f"no member {command.member_id!r}")
        roles = ROLES.get(type(command))
        if roles is not None and self.registry.member_roles[member] not in roles:
            return Rejected(Reject.ROLE_FORBIDDEN, "member", FORBIDDEN[type(command)])
        return member

    def _record(self, event: Event) -> None:
        """Journal, apply, publish: the pipeline's last steps (nothing here may refuse).

        A subscriber that raises is logged and skipped: the event is journaled and applied
        by then, so its command's answer must not turn into a failure (the other
        subscribers still get the event)."""
        if self._journal is not None and self._journal.append(event) != event.seq:
            raise RuntimeError(f"the journal numbered event {event.seq} otherwise")
        self.apply(event)
        for subscriber in self._subscribers:  # a tuple: one may unsubscribe meanwhile
            try:
                subscriber(event)
            except Exception:
                log.exception("a subscriber failed on event %d (%s)", event.seq, event.kind)

    def _stamp(self, now_us: int | None = None) -> dict[str, int]:
        """The next event's seq and timestamp ``now_us`` [us], the clock's when None (the
        market is the journal's single writer)."""
        return {"seq": self.seq + 1, "ts_us": self.clock.now_us() if now_us is None else now_us}

    # --- deciding, one command each -----------------------------------------------------

    def _decide_order(self, member: int, order: NewOrder, now_us: int) -> Decision:
        cid = order.client_order_id
        if cid is not None:
            known = self._client_ids.get((member, cid))
            if known is not None:  # a retry of an acknowledged order gets the same answer
                if known[1] == order.content():
                    return None, Done(self.seq, known[0], repeat=True)
                message = (
                    f"client_order_id {cid!r} was used for order {known[0]} with other content"
                )
                reject = Rejected(Reject.CLIENT_ORDER_ID_CONFLICT, "client_order_id", message, 0)
                return None, reject
        start = order.interval_start
        registry = self.versions.registry_at(start) if type(start) is int else self.registry
        now_s, tick = now_us // 1_000_000, self.cluster.tick_pln_mwh
        reject = validate_one(order, member, registry, self.calendar, self.band, now_s, tick)
        if reject is None and self._shut(start):
            message = wording.gate_closed_early(start)
            reject = Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", message, 0)
        if reject is None:  # what the point booked in the interval, with this order
            point, side = order.point, order.side
            limit = (registry.import_limit if side == BUY else registry.export_limit)[point]
            reject = self._point_limits.refuse_one(start, point, side, order.quantity, limit=limit)
        if reject is not None:
            return None, reject
        event = OrderAccepted(  # seq and ts_us as _stamp gives them, without its dict
            seq=self.seq + 1,
            ts_us=now_us,
            client_order_id=cid,
            interval_start=start,
            member=member,
            order_id=len(self._index) + 1,
            point=order.point,
            price=order.price,
            quantity=order.quantity,
            side=order.side,
        )
        return event, Done(event.seq, event.order_id)

    def _decide_orders(self, member: int, batch: OrderBatch, now_us: int) -> Decision:
        # A retry of acknowledged orders gets the same answer, whatever happened since.
        order_ids, new = self._repeats(member, batch)
        if isinstance(new, BatchRejected):
            return None, new
        if len(batch) and not new.any():
            return None, BatchAccepted(order_ids, self.seq, repeat=True)
        rejects = self._validate_batch(batch, member, now_us // 1_000_000)
        # Rows grouped by interval (any row refused without a row: a malformed batch).
        grouped = None
        if not any(r.row is None for r in rejects):
            grouped = batch.grouped(self.calendar.length_s)
        if not rejects and self.cluster.continuous_minutes == 0:
            distinct, which = grouped
            shut = np.array([self._shut(s) for s in distinct.tolist()], bool)
            rejects = [
                Rejected(
                    Reject.INTERVAL_NOT_OPEN,
                    "interval_start",
                    wording.gate_closed_early(batch.interval_start[r]),
                    int(r),
                )
                for r in np.flatnonzero(shut[which])
            ]
        groups = None  # the rows by (interval, point, side), when every row is booked
        if grouped is not None and not rejects and new.all():
            groups = self._point_limits.group(grouped, batch.point, batch.side, batch.quantity)
        over = [] if grouped is None else self._over_limits(batch, grouped, new, rejects, groups)
        if over:
            rejects = sorted(rejects + over, key=lambda r: r.row)
        if rejects:
            return None, BatchRejected(tuple(rejects), len(rejects))
        first = len(self._index) + 1
        client_ids = None
        if batch.client_order_id is not None:
            client_ids = [c for c, fresh in zip(batch.client_order_id, new, strict=True) if fresh]
        event = OrdersAccepted(
            **self._stamp(now_us),
            client_order_id=client_ids,
            first_order_id=first,
            interval_start=batch.interval_start[new],
            member=member,
            point=batch.point[new],
            price=batch.price[new],
            quantity=batch.quantity[new],
            side=batch.side[new],
            groups=groups,
        )
        order_ids[new] = np.arange(first, first + int(new.sum()), dtype=np.int64)
        return event, BatchAccepted(order_ids, event.seq)

    def _decide_cancel(self, member: int, command: CancelOrder, now_us: int) -> Decision:
        found = self._active_order(member, command.order_id)
        if isinstance(found, Rejected):
            return None, found
        event = OrderCancelled(**self._stamp(now_us), member=member, order_id=command.order_id)
        return event, Done(event.seq, command.order_id)

    def _decide_replace(self, member: int, command: ReplaceOrder, now_us: int) -> Decision:
        found = self._active_order(member, command.order_id)
        if isinstance(found, Rejected):
            return None, found
        start, row = found
        o = self._books[start].orders
        if o["status"][row] == CONTINUOUS:
            message = "in continuous trading, cancel the order and submit a new one"
            return None, Rejected(Reject.ORDER_NOT_ACTIVE, "order_id", message)
        price, quantity = command.price, command.quantity
        new = OrderBatch.one(
            start,
            int(o["point"][row]),
            int(o["side"][row]),
            int(o["price"][row]) if price is None else price,
            int(o["quantity"][row]) if quantity is None else quantity,
        )
        now_s = now_us // 1_000_000
        rejects = validate_batch(
            new, member, self.registry_at(start), self.calendar, self.band, now_s, self._tick
        )
        if rejects:
            return None, rejects[0]
        point, side, replaced = int(new.point[0]), int(new.side[0]), int(o["quantity"][row])
        reject = self._point_limits.refuse_one(start, point, side, int(new.quantity[0]), replaced)
        if reject is not None:
            return None, reject
        event = OrderReplaced(
            **self._stamp(now_us),
            member=member,
            new_order_id=len(self._index) + 1,
            order_id=command.order_id,
            price=int(new.price[0]),
            quantity=int(new.quantity[0]),
        )
        return event, Done(event.seq, event.new_order_id)

    def _decide_close(self, member: int, start: int, now_us: int) -> Decision:
        if start in self._results:
            message = wording.already_cleared(start)
            return None, Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", message)
        if not in_range(start):
            message = f"interval_start must be {INSTANT_RANGE}, was {start} s"
            return None, Rejected(Reject.BAD_INTERVAL, "interval_start", message)
        if not self.calendar.is_start(start):
            message = wording.not_an_interval_start(start, self.calendar)
            return None, Rejected(Reject.BAD_INTERVAL, "interval_start", message)
        began = time.perf_counter()
        book = self._books.get(start) or IntervalBook(start)
        rows = book.active_rows()
        auction, bid_rows, ask_rows = book.auction_book(rows)
        c = self.cluster_at(start)
        result = clear(auction, c.mechanism, k=c.k, rationing=c.rationing)
        event = GateClosed(
            **self._stamp(now_us),
            digest=result.digest(),
            interval_start=start,
            price=result.price,
            volume=result.volume,
            clearing=result,
            clearing_seconds=time.perf_counter() - began,
            rows=GateRows(rows, bid_rows, ask_rows),
        )
        return event, Done(event.seq)

    def _decide_readings(self, batch: ReadingBatch, now_us: int) -> Decision:
        now_s = now_us // 1_000_000
        rejects = validate_readings(batch, self.registry, self.calendar, now_s)
        if not rejects:
            rejects = self._points_not_in_force(batch)
        if rejects:
            return None, BatchRejected(tuple(rejects), len(rejects))
        event = MeterReadingsRecorded(
            **self._stamp(now_us),
            export_wh=batch.export_wh,
            import_wh=batch.import_wh,
            interval_start=batch.interval_start,
            point=batch.point,
        )
        return event, Done(event.seq)

    def _decide_bands(self, batch: BandBatch, now_us: int) -> Decision:
        now_s = now_us // 1_000_000
        rejects = validate_bands(batch, self.calendar, self._results, now_s, self._tick)
        if rejects:
            return None, BatchRejected(tuple(rejects), len(rejects))
        event = PriceBandsPublished(
            **self._stamp(now_us),
            cap=batch.cap,
            floor=batch.floor,
            interval_start=batch.interval_start,
        )
        return event, Done(event.seq)

    def _decide_change(self, command: ChangeCluster, now_us: int) -> Decision:
        decided = decide_change(self, command, now_us // 1_000_000)
        if isinstance(decided, Rejected):
            return None, decided
        effective, changes, document, files, cancelled = decided
        event = ClusterChanged(
            **self._stamp(now_us),
            cancelled=cancelled,
            changes=changes,
            config=document,
            effective_from_s=effective,
            files=files,
        )
        return event, Changed(event.seq, effective, tuple(changes), tuple(cancelled.tolist()))

    # --- the commands by name (what the gateway and the simulation call) ----------------

    def change_cluster(
        self, member_id: str, cluster: Any, effective_from_s: int | None = None
    ) -> Changed | Rejected:
        """Put ``cluster`` (validated as a config file is) in force from the interval
        starting at ``effective_from_s`` [s] on (None: the first that may still change);
        orders it no longer allows are cancelled (:mod:`engine.market.changes`)."""
        command = ChangeCluster(member_id, cluster, effective_from_s)
        return self.handle(command)  # type: ignore[return-value]

    def submit(self, member_id: str, order: NewOrder) -> Done | Rejected:
        """Book one order (a batch of one): :meth:`handle` of ``SubmitOrders(member_id,
        order)``, step for step, without the layers a command of one order does not need
        (the hot path of ``POST /v1/orders``)."""
        if type(order) is not NewOrder:
            return self.handle(SubmitOrders(member_id, order))  # type: ignore[return-value]
        now_us = self.clock.now_us()
        if self._first_gate_s <= now_us // 1_000_000:
            self._close_due(now_us)
        member = self.registry.member_code.get(member_id)
        if member is None:  # any member may submit: the one refusal of _authorise
            return self._authorise(SubmitOrders(member_id, order))  # type: ignore[return-value]
        event, answer = self._decide_order(member, order, now_us)
        if event is not None:
            self._record(event)
        return answer  # type: ignore[return-value]

    def submit_batch(self, member_id: str, batch: OrderBatch) -> BatchAccepted | BatchRejected:
        """Book every row of ``batch`` or none."""
        return self.handle(SubmitOrders(member_id, batch))  # type: ignore[return-value]

    def cancel(self, member_id: str, order_id: int) -> Done | Rejected:
        """Take an order of the member's out of a book that is still open."""
        return self.handle(CancelOrder(member_id, order_id))  # type: ignore[return-value]

    def replace(
        self, member_id: str, order_id: int, price: int | None = None, quantity: int | None = None
    ) -> Done | Rejected:
        """Cancel an order and book its new price and/or quantity as a new order (with a new
        order id and arrival sequence: a replaced order queues anew)."""
        command = ReplaceOrder(member_id, order_id, price, quantity)
        return self.handle(command)  # type: ignore[return-value]

    def close_gate(self, member_id: str, start_s: int) -> Done | Rejected:
        """Close an interval's auction gate now (the coordinator's control)."""
        return self.handle(CloseGate(member_id, start_s))  # type: ignore[return-value]

    def record_readings(self, member_id: str, batch: ReadingBatch) -> Done | BatchRejected:
        """Record meter readings. A reading that corrects an earlier one re-settles its
        interval; the difference is kept in :attr:`adjustments`, never overwritten."""
        return self.handle(RecordReadings(member_id, batch))  # type: ignore[return-value]

    def publish_bands(self, member_id: str, batch: BandBatch) -> Done | BatchRejected:
        """Override the price band of intervals whose auction is still open (see
        :mod:`engine.market.bands`)."""
        return self.handle(PublishBands(member_id, batch))  # type: ignore[return-value]

    def attach(self, journal: EventSink) -> None:
        """Send the events from now on to ``journal`` (a server switches from the plain
        journal of recovery to the group commit)."""
        self._journal = journal

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(event)`` after each applied event; returns an unsubscribe
        function."""
        self._subscribers += (subscriber,)

        def unsubscribe() -> None:
            subscribers = list(self._subscribers)
            subscribers.remove(subscriber)
            self._subscribers = tuple(subscribers)

        return unsubscribe

    # --- queries ------------------------------------------------------------------------

    def state(self, start_s: int) -> IntervalState:
        """The interval's state: by the clock, except that a gate the coordinator closed
        early is closed from then on."""
        state = self.calendar.state(start_s, self._now_s(), self.is_settled(start_s))
        if start_s in self._results and state in (IntervalState.PLANNED, IntervalState.OPEN):
            continuous = self.cluster.continuous_minutes > 0
            return IntervalState.CONTINUOUS if continuous else IntervalState.CLEARED
        return state

    def delivered(self, start_s: int, end_s: int) -> list[int]:
        """The starts of the delivered intervals starting in [start_s, end_s)."""
        now_s = self._now_s()
        length = self.calendar.length_s
        first = start_s + (-start_s) % length
        return [s for s in range(first, end_s, length) if self.calendar.delivered_at(s) <= now_s]

    def settlement(self, start_s: int, end_s: int) -> tuple[list[int], Settlement]:
        """Settle the delivered intervals starting in [start_s, end_s): (their starts, the
        member x interval lines). Intervals with missing readings are pending in it."""
        starts = self.delivered(start_s, end_s)
        return starts, self._settle(starts)

    def point_statements(self, start_s: int, end_s: int) -> tuple[list[int], list[PointStatement]]:
        """Every connection point's statement over the delivered intervals in [start_s,
        end_s) on its tariffs: (the intervals' starts, the statements in point code order)."""
        starts = self.delivered(start_s, end_s)
        return starts, self.bill_points(starts)

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
        sources = np.zeros(len(self.registry.point_ids), bool)  # by code, as last configured
        for cluster in self.versions.clusters:
            for p in cluster.points:
                sources[self.registry.point_code[p.id]] = p.register.renewable
        renewable = RenewableExport(
            np.array(starts, np.int64), self.readings.export_of(starts, sources)
        )
        tick = self.cluster.tick_pln_mwh
        return kpis(settled, imports, exports, floor, cap, tick, renewable=renewable)

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

    def auction_levels(
        self, start_s: int
    ) -> tuple[bool, list[tuple[int, int]], list[tuple[int, int]]]:
        """The auction's book as quantity [Wh] per price [tick], bids highest first, asks
        lowest first: the active orders while the gate is open, once it closed the orders it
        cleared (the curves the clearing point lies on). The flag says which: True after
        the gate."""
        book = self._books.get(start_s)
        at_gate = start_s in self._results
        if book is None:
            return at_gate, [], []
        if at_gate:
            return (True, *book.gate_levels())
        bids = list(reversed(book.depth[BUY].items()))
        return False, bids, list(book.depth[SELL].items())

    def order_interval(self, order_id: int) -> int | None:
        """The interval start [s] of order ``order_id``, None for an id never given out."""
        if not 1 <= order_id <= len(self._index):
            return None
        return int(self._index.row(order_id - 1)[0])

    def indicative(self, start_s: int) -> ClearingResult:
        """What the auction would give if the gate closed now (fills only, no trades)."""
        book = self._books.get(start_s) or IntervalBook(start_s)
        auction, _, _ = book.auction_book(book.active_rows())
        c = self.cluster_at(start_s)
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
        """The member's orders (all intervals, or one), by interval, oldest first; every
        one at once (tests and tools: the API pages them with :meth:`order_page`)."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            return []
        rows: list[dict[str, Any]] = []
        starts = sorted(self._books) if start_s is None else [start_s]
        for start in starts:
            book = self._books.get(start)
            if book is not None:
                mine = np.flatnonzero(book.orders["member"] == member).tolist()
                rows += self._order_rows([start] * len(mine), mine)
        return rows

    def order_page(
        self,
        member_id: str,
        after: int,
        limit: int,
        start_s: int | None = None,
        status: str | None = None,
    ) -> OrderPage:
        """The member's orders after order id ``after``, oldest first, at most ``limit``;
        only of the interval ``start_s`` and with ``status`` (``STATUS_NAMES``) if given.
        Costs the page, not the member's history (:mod:`engine.market.order_pages`)."""
        member = self.registry.member_code.get(member_id)
        if member is None:
            return OrderPage([], None)
        code = None if status is None else STATUS_NAMES.index(status)
        if start_s is None:
            ids = self._member_orders[member]["order_id"]
            keep = None if code is None else lambda lo, hi: self._statuses(ids[lo:hi]) == code
            positions, cursor = scan(ids, after, limit, keep)
            starts, rows, _ = self._index.take(ids[positions] - 1)
            return OrderPage(self._order_rows(starts.tolist(), rows.tolist()), cursor)
        book = self._books.get(start_s)
        if book is None:
            return OrderPage([], None)
        o = book.orders

        def keep_mine(lo: int, hi: int) -> np.ndarray:
            mine = o["member"][lo:hi] == member
            return mine if code is None else mine & (o["status"][lo:hi] == code)

        positions, cursor = scan(o["order_id"], after, limit, keep_mine)
        rows = positions.tolist()
        return OrderPage(self._order_rows([start_s] * len(rows), rows), cursor)

    def continuous_fills(self, start_s: int) -> list[Fill]:
        """The trades of an interval's continuous phase, in the order they happened."""
        return list(self._continuous_fills.get(start_s, ()))

    def _order_rows(self, starts: list[int], rows: list[int]) -> list[dict[str, Any]]:
        """The orders at ``rows`` of the books of ``starts`` as plain rows."""
        books: dict[int, tuple[Any, ...]] = {}  # start -> its columns, result and fills
        out: list[dict[str, Any]] = []
        point_ids = self.registry.point_ids
        for start, row in zip(starts, rows, strict=True):
            book = books.get(start)
            if book is None:
                o = self._books[start].orders
                result = self._results.get(start)
                continuous = {} if result is None else self._continuous_filled(start)
                columns = (o[name] for name in ("order_id", "point", "side", "price", "quantity"))
                book = books[start] = (*columns, o["status"], result, continuous)
            ids, point, side, price, quantity, status, result, continuous = book
            order_id = int(ids[row])
            out.append(
                {
                    "order_id": order_id,
                    "interval_start": start,
                    "point": point_ids[int(point[row])],
                    "side": "buy" if side[row] == BUY else "sell",
                    "price": int(price[row]),
                    "quantity": int(quantity[row]),
                    "status": STATUS_NAMES[int(status[row])],
                    # the auction's fill plus the continuous trades; None before clearing
                    "filled": None
                    if result is None
                    else result.filled(order_id) + continuous.get(order_id, 0),
                    "client_order_id": self._client_id_of.get(order_id),
                }
            )
        return out

    def _continuous_filled(self, start: int) -> dict[int, int]:
        """Filled Wh per order id in the interval's continuous trades."""
        filled: dict[int, int] = {}
        for f in self._continuous_fills.get(start, ()):
            for order_id in (f.buyer_order_id, f.seller_order_id):
                filled[order_id] = filled.get(order_id, 0) + f.quantity
        return filled

    def _statuses(self, ids: np.ndarray) -> np.ndarray:
        """The status codes of orders (ascending ids), read from their books by interval."""
        starts, rows, _ = self._index.take(ids - 1)
        out = np.empty(ids.shape[0], np.int64)
        distinct, inverse = group_starts(starts, self.calendar.length_s)
        by_start = stable_order(inverse, distinct.shape[0])
        bounds = [0, *np.cumsum(np.bincount(inverse, minlength=distinct.shape[0])).tolist()]
        for k, start in enumerate(distinct.tolist()):
            group = by_start[bounds[k] : bounds[k + 1]]
            out[group] = self._books[start].orders["status"][rows[group]]
        return out

    # --- helpers -----------------------------------------------------------------------

    def _now_s(self) -> int:
        return self.clock.now_us() // 1_000_000

    @property
    def _tick(self) -> Decimal:
        """The cluster's tick [PLN/MWh]: refusals name prices in PLN/MWh with it."""
        return self.cluster.tick_pln_mwh

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

    def _over_limits(
        self,
        batch: OrderBatch,
        grouped: tuple[np.ndarray, np.ndarray],
        new: np.ndarray,
        rejects: list[Rejected],
        groups: BatchGroups | None,
    ) -> list[Rejected]:
        """The rows of ``batch`` (``grouped``: its distinct interval starts and each row's
        index into them) that its points cannot deliver beside what they booked: only its
        new rows count (a repeat is booked already), and only those not refused for another
        reason (their point or side may be nonsense); ``groups``: all of them, grouped."""
        rows = None
        if rejects or not new.all():
            keep = new.copy()
            keep[[r.row for r in rejects]] = False
            rows = np.flatnonzero(keep)
        return self._point_limits.refuse_batch(
            grouped, batch.point, batch.side, batch.quantity, rows, groups
        )

    def _validate_batch(self, batch: OrderBatch, member: int, now_s: int) -> list[Rejected]:
        """:func:`validate_batch` at ``now_s`` [s] with each row checked against the
        configuration in force for its interval (a batch spanning a change is validated
        part by part)."""
        tick = self._tick
        starts = self.versions.starts
        column = batch.interval_start
        shapes = {getattr(getattr(batch, f), "shape", None) for f in FIELDS}
        plain = isinstance(column, np.ndarray) and column.dtype == np.int64 and column.ndim == 1
        if len(starts) == 1 or len(shapes) != 1 or not plain:
            # One version, or malformed columns (validate_batch names them first).
            registry = self.registry if len(starts) > 1 else self.registry_at(starts[0])
            return validate_batch(batch, member, registry, self.calendar, self.band, now_s, tick)
        at = np.maximum(np.searchsorted(np.array(starts, np.int64), column, "right") - 1, 0)
        if column.shape[0] == 0 or (at == at[0]).all():
            registry = self.versions.registry_of(int(at[0]) if column.shape[0] else -1)
            return validate_batch(batch, member, registry, self.calendar, self.band, now_s, tick)
        rejects: list[Rejected] = []
        for version in np.unique(at).tolist():
            rows = np.flatnonzero(at == version)
            part = batch.take(rows)
            registry = self.versions.registry_of(version)
            for r in validate_batch(part, member, registry, self.calendar, self.band, now_s, tick):
                # A refusal of the whole part (the member not in force then) names its rows.
                named = rows[:MAX_REPORTED_ROWS].tolist() if r.row is None else [rows[r.row]]
                rejects += [Rejected(r.code, r.field, r.message, int(row)) for row in named]
        ids = batch.client_order_id
        if ids is not None and len(ids) == column.shape[0]:
            seen: dict[str, int] = {}
            for row, cid in enumerate(ids):
                if (
                    cid is not None
                    and seen.setdefault(cid, row) != row
                    and at[seen[cid]] != at[row]
                ):
                    message = f"client_order_id {cid!r} appears twice in the batch"
                    rejects.append(
                        Rejected(Reject.BAD_CLIENT_ORDER_ID, "client_order_id", message, row)
                    )
        rejects.sort(key=lambda r: r.row if r.row is not None else -1)
        return rejects

    def _points_not_in_force(self, batch: ReadingBatch) -> list[Rejected]:
        """Reading rows of connection points not in the cluster in their interval."""
        rejects = []
        rows = zip(batch.interval_start.tolist(), batch.point.tolist(), strict=True)
        for row, (start, point) in enumerate(rows):
            if self.registry_at(start).owner[point] < 0:
                message = wording.point_not_metered(self.registry.point_ids[point], start)
                rejects.append(
                    Rejected(Reject.UNKNOWN_CONNECTION_POINT, "connection_point", message, row)
                )
        return rejects

    def _shut(self, start: int) -> bool:
        """True for an interval whose gate the coordinator closed early while its clock gate
        is still ahead: without continuous trading it takes no more orders."""
        return self.cluster.continuous_minutes == 0 and start in self._results

    def _active_order(self, member: int, order_id: int) -> tuple[int, int] | Rejected:
        """Return ``(interval start, row)`` of the member's order that may still change."""
        if not isinstance(order_id, int) or not 1 <= order_id <= len(self._index):
            return Rejected(Reject.UNKNOWN_ORDER, "order_id", f"no order {order_id!r}")
        start, row, owner = self._index.row(order_id - 1)
        if owner != member:
            # Not "not yours": a member must not learn which order ids exist.
            return Rejected(Reject.UNKNOWN_ORDER, "order_id", f"no order {order_id!r}")
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
            return start, row
        if status != ACTIVE:
            return Rejected(Reject.ORDER_NOT_ACTIVE, "order_id", f"order {order_id} is not active")
        return start, row
