"""``klaster serve --standby``: lead the cluster if no one does, else wait as its standby.

Only on a PostgreSQL store (``--store postgresql://...``). At start the server tries to
take the cluster's writer lock; if another server holds it, this one becomes the standby:

- it serves :func:`engine.gateway.standby.standby_app` on its port (``/healthz`` alive,
  ``/readyz`` 503, every other request 503 ``not-leader``) and prints one line
  ``klaster: standby of CLUSTER on URL``;
- it replays the cluster's journal (:class:`~engine.market.standby.Follower`) and follows
  it as it grows: the store sends ``NOTIFY klaster_events`` with the cluster's id on every
  commit, and the standby also looks every :data:`POLL_S` in case a notification was lost
  (its listening connection broke);
- a thread waits on the writer lock (:func:`~engine.store.postgres.wait_writer_lock`);
  PostgreSQL grants it when the leader's session ends: the leader was killed, crashed, lost
  its connection, or stopped. The standby then opens the journal for writing on that
  session, applies the tail, checks the head, closes the standby app and hands the leader's
  :class:`~engine.market.runtime.Runtime` to ``klaster serve``, which serves the ordinary
  gateway on the same port and prints ``klaster: serving ...``.

Split brain cannot write twice: every group the leader writes moves the cluster's
checkpoint only from the head it last wrote (:mod:`engine.store.pg_journal`), so a paused
old leader whose session was ended (and a new one took over) has its next write refused,
acknowledges nothing of it, and stops (exit 1). A supervisor restarts it, with
``--standby`` as a standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import threading
import time
from typing import Any, TextIO

from engine.cli import logs
from engine.market.runtime import Runtime
from engine.market.standby import Follower, NotYetWritten
from engine.model.clock import Clock
from engine.store.journal import JournalError
from engine.store.place import PostgresStore
from engine.store.postgres import ClusterLocked, connect, wait_writer_lock, writer_holder

POLL_S = 1.0
"""How often a standby looks for new events without a notification, and asks who leads [s]."""
EVENTS_CHANNEL = "klaster_events"
log = logging.getLogger("klaster.standby")


async def stand_by(
    store: PostgresStore,
    cluster: Any,
    clock: Clock | None,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    out: TextIO,
) -> tuple[Runtime | None, int]:
    """The leader's runtime once this process leads (at once if no one else does) and the
    port to serve it on; ``(None, port)`` if a signal stopped the standby first."""
    try:
        return Runtime.open(store, cluster, clock), port
    except ClusterLocked:
        pass
    standby = _Standby(store, cluster, clock)
    try:
        return await standby.run(host, port, ssl_context, out)
    finally:
        standby.close()


class _Standby:
    """The standby's connections and its follower (see the module docstring)."""

    def __init__(self, store: PostgresStore, cluster: Any, clock: Clock | None) -> None:
        self.store, self.cluster, self.clock = store, cluster, clock
        self.follower: Follower | None = None
        self.leader = "another server"
        self._woken = asyncio.Event()
        self._stopping = threading.Event()
        self._listener: Any = None
        self._lock_conn: Any = connect(store.url, f"standby of {cluster.id}")

    async def run(
        self, host: str, port: int, ssl_context: ssl.SSLContext | None, out: TextIO
    ) -> tuple[Runtime | None, int]:
        from aiohttp import web

        from engine.gateway.standby import standby_app
        from engine.store.chain import EMPTY_HEAD

        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        self._listen(loop)
        app = standby_app(
            self.cluster.id,
            lambda: EMPTY_HEAD if self.follower is None else self.follower.head,
            lambda: self.leader,
        )
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        locked: asyncio.Future[bool] | None = None
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
            bound_host, port = runner.addresses[0][:2]
            url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
            scheme = "http" if ssl_context is None else "https"
            self.leader = writer_holder(self._lock_conn, self.cluster.id)
            url = f"{scheme}://{url_host}:{port}"
            print(f"klaster: standby of {self.cluster.id} on {url}", file=out)
            out.flush()
            fields = {"cluster": self.cluster.id, "url": url, "leader": self.leader}
            log.info("standby", extra={logs.FIELDS: fields})
            locked = asyncio.ensure_future(
                asyncio.to_thread(
                    wait_writer_lock, self._lock_conn, self.cluster.id, self._stopping.is_set
                )
            )
            stopping = asyncio.ensure_future(stop.wait())
            while not locked.done() and not stop.is_set():
                await self._follow()
                woken = asyncio.ensure_future(self._woken.wait())
                await asyncio.wait(
                    (woken, locked, stopping), timeout=POLL_S, return_when=asyncio.FIRST_COMPLETED
                )
                woken.cancel()
                if not self._woken.is_set() and self.follower is not None:
                    with contextlib.suppress(Exception):  # only for messages
                        self.leader = self.follower.journal.writer()  # type: ignore[attr-defined]
                self._woken.clear()
            stopping.cancel()
            if stop.is_set() and not locked.done():
                self._stopping.set()
                await locked
                return None, port
            if not await locked:
                return None, port
            started = time.monotonic()
            runtime = await self._promote()
            log.info(
                "leading",
                extra={
                    logs.FIELDS: {
                        "cluster": self.cluster.id,
                        "seq": runtime.node.journal.head.seq,
                        "promotion_ms": round(1000 * (time.monotonic() - started), 1),
                    }
                },
            )
            print(
                f"klaster: leading {self.cluster.id} from seq {runtime.node.journal.head.seq}",
                file=out,
            )
            out.flush()
            return runtime, port
        finally:
            self._stopping.set()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            await runner.cleanup()
            if locked is not None and not locked.done():
                with contextlib.suppress(Exception):
                    await locked

    async def _follow(self) -> None:
        """Replay the journal the first time, then the events committed since."""
        if self.follower is None:
            try:
                journal = self.store.open_journal(self.cluster.id, read_only=True)
            except JournalError:  # the leader has not created it yet
                return
            try:
                self.follower = await asyncio.to_thread(
                    Follower.open, journal, self.cluster, self.clock
                )
            except NotYetWritten:
                journal.close()
            except BaseException:
                journal.close()
                raise
            return
        self.follower.catch_up()

    async def _promote(self) -> Runtime:
        """Lead: the journal for writing on the lock's session, the tail applied."""
        from engine.store.pg_journal import PgJournal

        conn, self._lock_conn = self._lock_conn, None
        name = f"klaster writer of {self.cluster.id} pid {_pid()}"[:63]
        conn.execute("SELECT set_config('application_name', %s, false)", (name,))
        journal = PgJournal.open(self.store.url, self.cluster.id, locked=conn)
        try:
            if self.follower is None:  # a journal the old leader never wrote: start as any
                journal.close()
                return Runtime.open(self.store, self.cluster, self.clock)
            return Runtime(self.follower.promote(journal))
        except BaseException:
            journal.close(discard=True)
            raise

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """LISTEN for the store's notifications on a connection of its own; a broken one
        leaves the standby polling."""
        try:
            self._listener = connect(self.store.url, f"standby watch of {self.cluster.id}")
            self._listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        except JournalError:
            self._listener = None
            return
        listener = self._listener

        def readable() -> None:
            pgconn = listener.pgconn
            try:
                pgconn.consume_input()
                while (note := pgconn.notifies()) is not None:
                    if note.extra.decode() == self.cluster.id:
                        self._woken.set()
                if pgconn.status != 0:  # CONNECTION_OK
                    raise OSError("the standby's listening connection broke")
            except Exception:
                loop.remove_reader(fd)
                self._woken.set()

        fd = listener.fileno()
        loop.add_reader(fd, readable)
        self._fd = fd

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                asyncio.get_event_loop().remove_reader(self._fd)
            self._listener.close()
        if self._lock_conn is not None:
            self._lock_conn.close()
        if self.follower is not None:
            self.follower.close()


def _pid() -> int:
    import os

    return os.getpid()
