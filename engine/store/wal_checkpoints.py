"""WAL checkpoints beside the writer of a SQLite journal, never inside one of its commits.

SQLite copies the write-ahead log back into the database file by itself once the log has
grown by 1,000 pages, and it does so inside the commit that crossed the mark: that commit
returns only after the copy and an fsync of the database file, several milliseconds, and
every acknowledgement waiting for it (and for the group behind it) waits as long. Under a
steady stream of single orders that is about one commit in 500, enough to set the p99
latency. While a group committer writes, the writer's connection therefore checkpoints
never, and a thread of its own, on a connection of its own, runs a ``PASSIVE`` checkpoint
every :data:`PERIOD_S`: it copies what no reader still needs without waiting for anyone,
while the writer goes on appending (SQLite allows both at once in WAL mode). Nothing
durable depends on it: a committed event is in the log; the checkpoint only keeps it short.

The writer starts the log over from its beginning only when a checkpoint has copied all of
it, and a ``PASSIVE`` one copies only the frames that were there when it began: under a
steady stream the writer has always added some meanwhile, so the log grew without end
(measured: 8 MB/s at 7,000 orders/s, over 100 MB in 14 s). Once the log is over
:data:`WAL_LIMIT_BYTES`, the thread follows its ``PASSIVE`` checkpoint with a ``FULL`` one
that never waits (busy timeout 0): if the writer is between commits it takes the write lock
for the copy of the few frames added since, the writer's next commit waits that long and
restarts the log; if the writer is busy, it copies what it can and tries again a period
later. ``journal_size_limit`` cuts the restarted file back to the limit.
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
WAL_LIMIT_BYTES = 64 << 20
"""The log's size [bytes] from which a checkpoint catches up with the writer (a few
seconds of the heaviest load; the file is cut back to it)."""
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
    writer.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
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
        writer.execute("PRAGMA journal_size_limit=-1")  # SQLite's default: no limit


def checkpoint(conn: sqlite3.Connection) -> bool:
    """One checkpoint on ``conn`` (a connection of its own, busy timeout 0): ``PASSIVE``, then
    ``FULL`` if the log is still over :data:`WAL_LIMIT_BYTES`. Return whether every frame of
    the log is in the database file now (the writer's next commit then restarts the log)."""
    [(_, log_frames, copied)] = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    page_bytes = conn.execute("PRAGMA page_size").fetchone()[0]
    if log_frames * page_bytes > WAL_LIMIT_BYTES:
        [(_, log_frames, copied)] = conn.execute("PRAGMA wal_checkpoint(FULL)").fetchall()
    return copied == log_frames


def _checkpoint_until(path: str, stop: threading.Event) -> None:
    # timeout=0: a FULL checkpoint that finds the writer busy gives up at once, never
    # holding up the writer's next commit while it waits
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    failing = False
    try:
        while not stop.wait(PERIOD_S):
            try:
                checkpoint(conn)
                failing = False
            except sqlite3.Error as exc:  # the log only grows: say so once, go on trying
                if not failing:
                    log.warning("a WAL checkpoint of %s failed (%s); retrying", path, exc)
                failing = True
    finally:
        conn.close()
