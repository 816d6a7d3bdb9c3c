"""One writer per data directory: an exclusive lock on ``DATA/klaster.lock``.

Two markets appending to one journal would hand out the same seqs (SQLite then refuses the
second's inserts, after it has said it is ready). So whoever opens a data directory for
writing takes an exclusive ``flock`` on its lock file first and keeps it open while it
runs; a second writer is refused at once, naming the holder's PID (written into the file).
The kernel drops the lock when the holder's file is closed or its process dies (SIGKILL
included), so a crashed server never leaves a stale lock behind. Readers (``klaster audit
verify``, ``klaster replay``) take no lock: SQLite's WAL lets them read beside the writer.

Limits: ``flock`` is advisory and local: it does not hold across machines sharing a
network file system.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "klaster.lock"


class DataDirLocked(RuntimeError):
    """Another process (or another market of this one) writes to the data directory."""


class DataDirLock:
    """The held lock of one data directory; :meth:`release` (or process exit) frees it."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirLocked(
                f"{self.path.parent} is in use by another klaster process (pid {holder}); "
                "one writer per data directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        """Free the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
