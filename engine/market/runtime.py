"""The market running on an event loop: what the gateway talks to.

A :class:`Runtime` owns a :class:`~engine.market.market.Market` on a data directory, a
:class:`~engine.store.group_commit.GroupCommitter` that makes events durable in shared
commits, and a ticker task that moves the market with the clock (gate closures happen on
time even when no order arrives). Everything runs on one event loop, so the market has
exactly one writer; handlers call the market's methods directly and then ``await
runtime.durable(seq)`` before they acknowledge anything.

A journal write that fails (a full disk, an I/O error) is fatal: the events of the failed
group are in the market's memory but not on disk, so the runtime records the
:attr:`Runtime.failure`, stops ticking, and its owner must stop taking commands and reads
(the gateway answers 503, ``klaster serve`` exits); nothing of the failed group or later is
acknowledged. A restart replays the journal, which holds exactly what was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from engine.market.events import Event, GateClosed
from engine.market.market import Market
from engine.market.metrics import Metrics
from engine.market.recovery import Audit, GroupCommitSink, Node, open_market
from engine.model.clock import Clock, WallClock
from engine.store.group_commit import GroupCommitter
from engine.store.journal import MEMORY, Head, JournalFailed
from engine.store.place import Store
from matching.units import ticks_to_pln_mwh_float

TICK_SECONDS = 0.5  # how often the ticker looks at the clock
log = logging.getLogger("klaster.runtime")


class Runtime:
    """A cluster's market with durable acknowledgements and a clock-driven ticker."""

    def __init__(
        self, node: Node, tick_seconds: float = TICK_SECONDS, *, own_process: bool = False
    ) -> None:
        self.node = node
        self.market: Market = node.market
        # own_process: the journal's writer in a process of its own (a SQLite file only):
        # what a server of one cluster does; many clusters keep a thread each (a process
        # costs ~25 MB and a start).
        self.committer = GroupCommitter(node.journal, own_process=own_process)
        self.sink = GroupCommitSink(self.committer)
        self._tick_seconds = tick_seconds
        self._ticker: asyncio.Task[None] | None = None
        self._running = False
        self._metrics: Metrics | None = None
        self._books_seq = -1  # the market's seq when the books' sizes were counted last
        self.failure: BaseException | None = None
        """Why the journal could not be written (None while it can): from then on the
        market's memory holds events the disk does not."""
        self._failed = asyncio.Event()
        self.committer.on_failure = self._journal_failed
        self.audit: Audit = node.audit
        """The last check of the journal's chain: the one the start made, or
        :meth:`reaudit`'s."""

    @classmethod
    def open(
        cls,
        where: str | Path | Store,
        cluster: Any,
        clock: Clock | None = None,
        *,
        own_process: bool = False,
    ) -> Runtime:
        """Open (and recover) the market of ``cluster`` on ``where`` (a data directory or a
        :class:`~engine.store.place.Store`); ``own_process``: see :class:`Runtime`."""
        return cls(open_market(where, cluster, clock or WallClock()), own_process=own_process)

    async def start(self, *, tick: bool = True) -> None:
        """Start committing and ticking; from now on events go through the group commit.
        ``tick=False``: another ticker calls :meth:`tick_once` (one ticker for many
        clusters, :class:`engine.market.gates.GateTicker`)."""
        self.committer.start()
        self.market.attach(self.sink)  # appends now resolve through shared commits
        self._running = True
        if tick:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="market-tick")

    @property
    def head(self) -> Head:
        """The seq and hash of the last durable event (to publish: ``/healthz``)."""
        return self.node.journal.head

    @property
    def started(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (the gateway's readiness)."""
        return self._running

    def instrument(self, metrics: Metrics) -> None:
        """Feed ``metrics``: journal commit latency and head seq per group, every clearing
        (duration, volume, price, the interval's band) as it is published, and the open
        books' sizes on each tick."""
        self._metrics = metrics
        journal = self.node.journal
        metrics.journal_head.set(journal.durable_seq)

        def on_commit(seconds: float, _events: int) -> None:
            metrics.commit.observe(seconds)
            metrics.journal_head.set(journal.durable_seq)

        self.committer.on_commit = on_commit
        tick = self.market.cluster.tick_pln_mwh

        def on_event(event: Event) -> None:
            if isinstance(event, GateClosed):
                price = event.price
                pln = float("nan") if price is None else ticks_to_pln_mwh_float(price, tick)
                metrics.record_clearing(event.clearing_seconds, event.volume, pln)
                floor, cap = self.market.band(event.interval_start)
                metrics.record_band(
                    ticks_to_pln_mwh_float(floor, tick), ticks_to_pln_mwh_float(cap, tick)
                )

        self.market.subscribe(on_event)

    async def wait_failed(self) -> BaseException:
        """Return once the journal has failed, with the write's exception."""
        await self._failed.wait()
        assert self.failure is not None
        return self.failure

    def _journal_failed(self, exc: BaseException) -> None:
        """The group commit's failure hook (on the loop, before any waiter hears of it)."""
        self.failure = exc
        log.error("the journal could not be written: %s; taking no more commands", exc)
        self._failed.set()

    async def reaudit(self) -> Audit:
        """Check the durable journal's chain again up to its head now, in a thread (a reader
        of its own: the writer goes on committing), keep the result as :attr:`audit` and
        return it."""
        journal = self.node.journal
        head = journal.head
        if journal.path == MEMORY:  # a throwaway journal has one connection: this thread's
            report = journal.verify(head)
        else:
            report = await asyncio.to_thread(journal.verify, head)
        self.audit = Audit(WallClock().now_us(), report)
        return self.audit

    def durable(self, seq: int) -> Awaitable[int]:
        """Await it to return once event ``seq`` is durable (acknowledge only after this).
        A future rather than a coroutine: one layer less on every acknowledgement."""
        return self.sink.durable(seq)

    async def stop(self) -> None:
        """Stop ticking, commit everything pending, close the journal, let the data
        directory go. After a journal failure, the events still buffered (never written,
        never acknowledged) are dropped and the failure is not raised again."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self._running = False
        try:
            try:
                await self.committer.aclose()
            except JournalFailed:
                if self.failure is None:
                    raise
            self.node.journal.close(discard=self.failure is not None)
        finally:
            self.node.release()

    def tick_once(self) -> bool:
        """Close the gates the clock has passed and update the books' metric; False once
        the journal has failed (nothing to tick any more)."""
        if self.failure is not None:
            return False
        try:
            self.market.close_due_gates()
        except JournalFailed:  # the failure hook has recorded it: nothing to tick
            return False
        # The books' sizes change only with events: a tick without one counts nothing (a
        # server of many clusters would scan every open book of every cluster each tick).
        if self._metrics is not None and self._books_seq != self.market.seq:
            self._books_seq = self.market.seq
            self._metrics.set_book_orders(*self.market.open_book_orders())
        return True

    async def _tick(self) -> None:
        while self.tick_once():
            await asyncio.sleep(self._tick_seconds)
