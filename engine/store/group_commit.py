"""Group commit from asyncio: appends acknowledged once durable, many per transaction."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from engine.store.chain import Head
from engine.store.journal import EventJournal, Journal, JournalFailed, PendingEvent
from engine.store.journal_process import WriterProcess


class GroupCommitter:
    """Acknowledge appends once durable, committing whatever accumulated as one group.

    The event loop appends (:meth:`enqueue`) and, once per loop iteration, hands everything
    appended since the last group to the writer, which hashes it, writes it in one
    transaction and flushes it, while the loop keeps accepting appends; those form the next
    group, handed over as soon as the writer reports back. :meth:`wait` gives a future that
    resolves once an event's seq is durable. A failed write fails the waiters of that group
    with the exception, every later one with :class:`JournalFailed`; the market treats it as
    fatal.

    The writer is a thread of its own running ``journal.write_group``, or, with
    ``own_process`` and a journal on a SQLite file, a process of its own
    (:mod:`engine.store.journal_process`: no GIL shared with the loop; what ``klaster
    serve`` uses). Either way the loop pays one hand-over and one wake-up per group, and one
    plain future per acknowledgement (no executor work item, no shield around a shared
    future).

    While it runs it is the journal's only writer: do not call ``journal.commit()``. A
    cancelled wait does not un-append: the event is still written with its group.
    """

    def __init__(self, journal: EventJournal, *, own_process: bool = False) -> None:
        self.journal = journal
        self.groups = 0
        """Number of groups committed (each one transaction)."""
        self.largest_group = 0
        self.on_commit: Callable[[float, int], None] | None = None
        """Called after each group with (seconds it took, events in it): for metrics."""
        self.on_failure: Callable[[BaseException], None] | None = None
        """Called once, on the loop, when a write failed (with its exception), before any
        waiter hears of it: the owner stops taking commands."""
        self._own_process = own_process
        self._loop: asyncio.AbstractEventLoop | None = None
        self._groups: queue.SimpleQueue[list[PendingEvent] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._process: WriterProcess | None = None
        self._running = False
        # the group with the writer: (events in it, its last seq)
        self._writing: tuple[int, int] | None = None
        self._handing = False  # a hand-over is scheduled on the loop
        self._waiters: list[tuple[int, asyncio.Future[int]]] = []  # (seq, its waiter)
        self._closing = False
        self._failure: BaseException | None = None
        self._beside: contextlib.AbstractContextManager[None] = contextlib.nullcontext()

    @property
    def writer_pid(self) -> int | None:
        """The id of the process that writes (None: a thread writes, or none runs)."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the writer for the running event loop."""
        if self._running:
            raise RuntimeError("GroupCommitter already started")
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._running = True
        journal = self.journal
        if self._own_process and isinstance(journal, Journal) and journal.file is not None:
            # The child checkpoints beside itself; this side's connection only reads.
            self._process = WriterProcess(
                journal.file, journal.head, self._written_elsewhere, self._failed_elsewhere
            )
            self._process.start()
            return
        beside = journal.while_committing()
        beside.__enter__()  # before the writer thread exists: the connection is still ours
        self._beside = beside
        self._thread = threading.Thread(target=self._write, name="klaster-journal", daemon=True)
        self._thread.start()

    async def aclose(self) -> None:
        """Commit what is pending, stop the writer; raise :class:`JournalFailed` if a write
        failed."""
        if not self._running:
            return
        self._closing = True
        try:
            if self._failure is None:
                with contextlib.suppress(Exception):  # a failure is raised below
                    await self.wait(self.journal.last_seq)
        finally:
            self._running = False
            if self._process is not None:
                process, self._process = self._process, None
                await process.close()
            if self._thread is not None:
                self._groups.put(None)
                await asyncio.to_thread(self._thread.join)
                self._thread = None
                beside, self._beside = self._beside, contextlib.nullcontext()
                beside.__exit__(None, None, None)  # the writer thread has stopped
        if self._failure is not None:
            raise JournalFailed("a journal commit failed") from self._failure

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def enqueue(self, kind: str, ts_us: int, payload: bytes) -> int:
        """Append an event now (seq order = call order) and return its seq; it becomes
        durable with the next group (:meth:`wait` for that)."""
        if not self._running or self._closing:
            raise RuntimeError("GroupCommitter is not running")
        if self._failure is not None:
            raise JournalFailed("a journal commit failed") from self._failure
        seq = self.journal.append(kind, ts_us, payload)
        if self._writing is None and not self._handing:
            self._handing = True  # after this iteration: its appends share the group
            self._loop.call_soon(self._hand_over)  # type: ignore[union-attr]
        return seq

    def wait(self, seq: int) -> asyncio.Future[int]:
        """A future that resolves to ``seq`` once event ``seq`` is durable (done at once if it
        is), or fails with the write's exception. One per caller: cancelling it cancels
        nobody else's."""
        if self._loop is None:
            raise RuntimeError("GroupCommitter is not running")
        future = self._loop.create_future()
        if seq <= self.journal.durable_seq:
            future.set_result(seq)
        elif self._failure is not None:
            raise JournalFailed("a journal commit failed") from self._failure
        else:
            self._waiters.append((seq, future))
        return future

    def append_nowait(self, kind: str, ts_us: int, payload: bytes) -> asyncio.Future[int]:
        """Append an event now; the future resolves to its seq once it is durable."""
        return self.wait(self.enqueue(kind, ts_us, payload))

    async def append(self, kind: str, ts_us: int, payload: bytes) -> int:
        """Append an event and return its seq once it is durable."""
        return await self.append_nowait(kind, ts_us, payload)

    # --- on the loop --------------------------------------------------------------------

    def _hand_over(self) -> None:
        """Give the writer everything appended since the last group (if it is free)."""
        self._handing = False
        if self._writing is not None or self._failure is not None:
            return
        group = self.journal.drain()
        if group:
            self._writing = (len(group), group[-1][0])
            if self._process is not None:
                self._process.send(group)
            else:
                self._groups.put(group)

    def _written_elsewhere(self, head: Head, seconds: float) -> None:
        self.journal.written_elsewhere(head)  # type: ignore[attr-defined]
        self._written(head.seq, seconds, self._writing[0] if self._writing else 0)

    def _failed_elsewhere(self, exc: BaseException) -> None:
        self.journal.failed_elsewhere(exc)  # type: ignore[attr-defined]
        last = self._writing[1] if self._writing else self.journal.durable_seq
        self._failed(exc, last)

    def _written(self, seq: int, seconds: float, events: int) -> None:
        self._writing = None
        self.groups += 1
        self.largest_group = max(self.largest_group, events)
        if self.on_commit is not None:
            self.on_commit(seconds, events)
        waiting, self._waiters = self._waiters, []
        for waiter in waiting:
            if waiter[0] > seq:
                self._waiters.append(waiter)
            elif not waiter[1].done():  # a cancelled waiter: nobody to tell
                waiter[1].set_result(waiter[0])
        self._hand_over()  # what arrived meanwhile, at once

    def _failed(self, exc: BaseException, last_seq: int) -> None:
        """The group up to ``last_seq`` failed with ``exc``; everything later cannot be
        written either."""
        self._writing = None
        self._failure = exc
        if self.on_failure is not None:
            self.on_failure(exc)
        waiting, self._waiters = self._waiters, []
        for seq, future in waiting:
            if not future.done():
                if seq <= last_seq:
                    future.set_exception(exc)
                else:
                    future.set_exception(JournalFailed("an earlier journal commit failed"))

    # --- on the writer thread -----------------------------------------------------------

    def _write(self) -> None:
        loop = self._loop
        assert loop is not None
        clock = time.perf_counter
        while (group := self._groups.get()) is not None:
            started = clock()
            try:
                seq = self.journal.write_group(group)
            except BaseException as exc:  # no waiter may hang
                _call(loop, self._failed, exc, group[-1][0])
                return
            _call(loop, self._written, seq, clock() - started, len(group))


def _call(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: object) -> None:
    """Run ``callback(*args)`` on ``loop`` from another thread (not once it is closed)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)
