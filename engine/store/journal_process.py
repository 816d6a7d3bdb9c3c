"""A SQLite journal's writer in a process of its own, told by pipes from the event loop.

Why a process and not a thread: a writer thread shares the GIL with the event loop. It takes
it back after each SQLite call, to hash the next group and to wake the loop, and each time
waits for the loop to let it go; under single orders the loop never stops for long, and a
group's commit took ~0.9 ms in the server against ~0.25 ms alone (measured). A process hashes
and writes on its own interpreter; the loop pays one ``write`` per group and one readable
pipe per acknowledgement, and not one thread switch.

The protocol (little-endian), one group in flight at a time:

* parent to child: ``u32`` length, then ``marshal`` of the group, a list of
  ``(seq, kind, ts_us, payload)``;
* child to parent: a :data:`RECORD` of 48 bytes per group, ``i64`` the durable seq, ``f64``
  the seconds the write took, the head's 32-byte hash. The first record, before any group,
  is the head the child found when it opened the file (seconds ``-1``). A failure is the seq
  ``-1`` followed by ``u32`` length and ``"ExceptionName\\nmessage"`` (UTF-8); then the child
  exits. End of input: the child closes the file and exits 0.

The child dies with its parent (``PR_SET_PDEATHSIG``) and ignores SIGINT and SIGTERM (its
parent stops it by closing its input, after the last commit), so that a restarted server
never finds an old writer still at the file: a group cut off mid-write is rolled back by SQLite,
and it was never acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import marshal
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from engine.store.chain import Head
from engine.store.journal import Journal, JournalError, PendingEvent

LENGTH = struct.Struct("<I")
RECORD = struct.Struct("<qd32s")
FAILED = -1
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory that holds ``engine``
PIPE_BYTES = 1 << 20
"""The pipe's buffer asked of Linux [bytes]: a group of large batches fits in one write."""


class WriterGone(JournalError):
    """The journal's writer process ended without being asked to."""


class WriterProcess:
    """The parent's end: start the child on the journal file at ``path``, send it groups
    (:meth:`send`, from the event loop) and hear of each durable group through
    ``on_written(head, seconds)`` or of the failure through ``on_failed(exc)`` (once), both
    called on the loop. ``expected`` is the head the parent knows to be durable: a child
    that finds another one in the file fails at once."""

    def __init__(
        self,
        path: str,
        expected: Head,
        on_written: Callable[[Head, float], None],
        on_failed: Callable[[BaseException], None],
    ) -> None:
        self._path = path
        self._expected = expected
        self._on_written = on_written
        self._on_failed = on_failed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._to_child = -1
        self._from_child = -1
        self._unsent = b""  # what the pipe did not take yet
        self._received = b""
        self._ready = False
        self._closing = False
        self._done = False  # failed or closed: nothing more is reported

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the start and after the close)."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the child (it opens the file while the loop goes on)."""
        self._loop = asyncio.get_running_loop()
        path = os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))
        env = os.environ | {"PYTHONPATH": path}  # the child imports this very engine
        self._process = subprocess.Popen(
            [sys.executable, "-m", "engine.store.journal_process", self._path, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to_child = self._process.stdin.fileno()
        self._from_child = self._process.stdout.fileno()
        _widen(self._to_child)
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        self._loop.add_reader(self._from_child, self._readable)

    def send(self, group: list[PendingEvent]) -> None:
        """Hand ``group`` to the child (the previous one is acknowledged, so written)."""
        data = marshal.dumps(group)
        self._unsent = LENGTH.pack(len(data)) + data
        self._write()
        if self._unsent:  # the rest once the child has read some (no watch in the usual case)
            self._loop.add_writer(self._to_child, self._write_rest)  # type: ignore[union-attr]

    async def close(self) -> None:
        """Tell the child there is no more (it closes the file) and wait for it to exit."""
        process = self._process
        if process is None:
            return
        self._closing = True
        self._stop_watching()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        await asyncio.to_thread(process.wait)
        process.stdout.close()
        self._process = None

    # --- on the loop --------------------------------------------------------------------

    def _write(self) -> None:
        try:
            sent = os.write(self._to_child, self._unsent)
        except BlockingIOError:
            sent = 0
        except OSError as exc:  # the child is gone: its end of the pipe is closed
            self._unsent = b""
            self._fail(WriterGone(f"the journal writer process is gone ({exc})"))
            return
        self._unsent = self._unsent[sent:]

    def _write_rest(self) -> None:
        self._write()
        if not self._unsent and self._loop is not None:
            self._loop.remove_writer(self._to_child)

    def _readable(self) -> None:
        try:
            chunk = os.read(self._from_child, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:  # the child exited
            self._stop_watching()
            if not self._closing:
                code = self._process.wait() if self._process is not None else None
                self._fail(WriterGone(f"the journal writer process exited (code {code})"))
            return
        self._received += chunk
        while len(self._received) >= RECORD.size and not self._done:
            seq, seconds, digest = RECORD.unpack_from(self._received)
            if seq == FAILED:
                self._failure_record()
                return
            self._received = self._received[RECORD.size :]
            head = Head(seq, digest)
            if not self._ready:
                self._ready = True
                if head != self._expected:
                    self._fail(
                        JournalError(
                            f"{self._path}: the file's head is seq {head.seq}, the journal's"
                            f" seq {self._expected.seq}: another writer wrote it"
                        )
                    )
                continue
            self._on_written(head, seconds)

    def _failure_record(self) -> None:
        start = RECORD.size + LENGTH.size
        if len(self._received) < start:
            return  # the rest is on its way
        (length,) = LENGTH.unpack_from(self._received, RECORD.size)
        if len(self._received) < start + length:
            return
        name, _, message = self._received[start : start + length].decode().partition("\n")
        self._fail(_rebuilt(name, message))

    def _fail(self, exc: BaseException) -> None:
        if self._done:
            return
        self._done = True
        self._stop_watching()
        self._on_failed(exc)

    def _stop_watching(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._from_child)
            self._loop.remove_writer(self._to_child)


def _rebuilt(name: str, message: str) -> BaseException:
    """The child's exception as the parent raises it: SQLite's own classes keep their type
    (an IntegrityError stays one), anything else is a :class:`JournalError` naming it."""
    cls = getattr(sqlite3, name, None)
    if isinstance(cls, type) and issubclass(cls, sqlite3.Error):
        return cls(message)
    return JournalError(f"{name}: {message}")


def _widen(fd: int) -> None:
    """Ask for a larger pipe buffer (Linux ``F_SETPIPE_SZ``; the default 64 KiB is kept
    where that is refused)."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setpipe is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setpipe, PIPE_BYTES)


# --- the child ----------------------------------------------------------------------------


def _live_as_long_as_the_parent(parent: int) -> None:
    """Stop only when the parent says so (the end of input) or dies: be killed with it
    (Linux), exit now if it already has, and ignore SIGINT and SIGTERM, which a terminal's
    Ctrl-C or a service manager stopping the whole group sends to this process too; the
    parent, stopping gracefully, still commits what is pending through it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def _read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from ``fd``, or None at the end of input (a cut-off frame too)."""
    parts = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _groups(fd: int):  # noqa: ANN202 (a generator of groups)
    while (header := _read_exactly(fd, LENGTH.size)) is not None:
        body = _read_exactly(fd, LENGTH.unpack(header)[0])
        if body is None:
            return
        yield marshal.loads(body)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str]) -> int:
    """The child: write the groups read from stdin to the journal at ``argv[0]``."""
    path, parent = argv[0], int(argv[1])
    _live_as_long_as_the_parent(parent)
    out = os.dup(1)  # the records go here; anything printed goes to stderr
    os.dup2(2, 1)
    clock = time.perf_counter
    try:
        journal = Journal.open(path)
    except BaseException as exc:
        _report(out, exc)
        return 1
    with journal, journal.while_committing():
        _write_all(out, RECORD.pack(journal.head.seq, -1.0, journal.head.hash))
        for group in _groups(0):
            started = clock()
            try:
                seq = journal.write_group(group)
            except BaseException as exc:
                _report(out, exc)
                return 1
            _write_all(out, RECORD.pack(seq, clock() - started, journal.head.hash))
    return 0


def _report(out: int, exc: BaseException) -> None:
    text = f"{type(exc).__name__}\n{exc}".encode()
    _write_all(out, RECORD.pack(FAILED, 0.0, bytes(32)) + LENGTH.pack(len(text)) + text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
