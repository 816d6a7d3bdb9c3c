"""WAL checkpoints beside the writer of a SQLite journal, never inside one of its commits.

SQLite copies the write-ahead log back into the database file by itself once the log has
grown by 1,000 pages, and it does so inside the commit that crossed the mark: that commit
returns only after the copy and an fsync of the database file, several milliseconds, and
every acknowledgement waiting for it (and for the group behind it) waits as long. Under a
steady stream of single orders that is about one commit in 500, enough to set the p99
latency. While a group committer writes, the writer's connection therefore checkpoints
never, and a thread of its own, on a connection of its own, runs a ``PASSIVE`` checkpoint
every :data:`PERIOD_S`: it copies what no reader still needs without waiting for anyone,
while the writer goes on appending (SQLite allows both at once in WAL mode), and the writer
restarts the log from its start once a checkpoint has copied all of it. Nothing durable
depends on it: a committed event is in the log; the checkpoint only keeps the log short.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator

PERIOD_S = 0.25
"""Seconds between two checkpoints while a committer writes [s]: a few hundred commits of
a few pages each, a copy of a few MB."""
SQLITE_DEFAULT_PAGES = 1000
"""SQLite's own ``wal_autocheckpoint`` [pages], put back when the committer stops."""

log = logging.getLogger("klaster.journal")


@contextlib.contextmanager
def checkpoints_beside(writer: sqlite3.Connection, path: str) -> Iterator[None]:
    """While the block runs, ``writer`` (the journal's connection, not in use by another
    thread yet) never checkpoints and a thread checkpoints the file at ``path``; after it,
    the thread is stopped and ``writer`` checkpoints as SQLite does by default again. Call
    it when no other thread uses ``writer``: on entry before the writer thread starts, on
    exit after it stopped."""
    writer.execute("PRAGMA wal_autocheckpoint=0")
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(path, stop), name="klaster-checkpoint", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        writer.execute(f"PRAGMA wal_autocheckpoint={SQLITE_DEFAULT_PAGES}")


def _checkpoint_until(path: str, stop: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    failing = False
    try:
        while not stop.wait(PERIOD_S):
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                failing = False
            except sqlite3.Error as exc:  # the log only grows: say so once, go on trying
                if not failing:
                    log.warning("a WAL checkpoint of %s failed (%s); retrying", path, exc)
                failing = True
    finally:
        conn.close()
