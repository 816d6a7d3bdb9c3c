"""The append-only event journal: SQLite, a hash chain, group commit.

Contract
- An event is ``(seq, kind, ts_us, payload)``: ``seq`` int from 1 without gaps, ``kind`` the
  event class name (``[A-Za-z][A-Za-z0-9_]{0,63}``), ``ts_us`` int microseconds UTC in
  ``[0, 2**56)``, ``payload`` bytes (``engine.market.events`` makes them; the journal never
  looks inside).
- Storage: one SQLite file in WAL mode with ``synchronous=FULL``, so a returned commit is on
  disk. Tables ``events(seq INTEGER PRIMARY KEY, kind TEXT, ts INTEGER, payload BLOB, hash
  BLOB)``, ``meta(key TEXT PRIMARY KEY, value TEXT)`` holding ``schema_version`` and
  ``checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER, hash BLOB)``: one row, the
  head of the chain, written in the same transaction as every group of events (no fsync of
  its own).
- Hash chain (:mod:`engine.store.chain`): ``hash = sha256(prev_hash || seq as 8 bytes
  big-endian || kind as UTF-8 || ts_us as 8 bytes big-endian signed || payload)``,
  ``prev_hash`` of seq 1 is 32 zero bytes.
- Schema versions: 2 has the checkpoint. A version 1 file (no checkpoint) is checked without
  one, and upgraded by the first commit after it is opened for writing (the recovery verifies
  the chain before it writes anything): the checkpoint starts at that commit's last event,
  nothing else changes. ``read_only`` opens never write.
- Single writer: one caller appends. :meth:`Journal.append` buffers an event in memory and
  returns its seq at once; :meth:`Journal.commit` writes everything buffered in one
  transaction and returns the last durable seq. Nothing appended is durable before that.
  :class:`GroupCommitter` does the same from asyncio: it acknowledges an append only after
  the transaction holding it committed, and batches whatever arrives while a commit runs.
- A failed write is fatal for the journal object: seqs were handed out that are not on disk,
  so every later append or commit raises :class:`JournalFailed`. Reopen the file to go on;
  the file holds exactly the events of the commits that returned.
- Reading sees only committed events. For a file, :meth:`Journal.read` and
  :meth:`Journal.verify` use their own connection (WAL readers do not block the writer), one
  read transaction each (the checkpoint and the events of one snapshot); ``":memory:"``
  journals share the writer's connection, so do not read one while a
  :class:`GroupCommitter` is committing.
- :meth:`Journal.read_checked` is the recovery's read: every row hashed as it is read (one
  pass), :class:`JournalCorrupt` at the first event that breaks the chain, before the chunk
  holding it is handed out, or at the end if the journal does not end at its checkpoint.

Limits: the checkpoint is in the same file. It catches events deleted from the end by an
edit of the events table alone, or lost by accident; someone who rewrites the events, their
hashes and the checkpoint leaves a consistent file. Compare the head with one published
elsewhere (``klaster audit head``, ``/healthz``, the ``klaster_journal_head_seq`` metric).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self

from engine.store.chain import (
    EMPTY_HEAD,
    GENESIS_HASH,
    KIND,
    TS_LIMIT_US,
    ChainCheck,
    Head,
    Row,
    VerifyReport,
    chain_hash,
)
from engine.store.wal_checkpoints import checkpoints_beside

#: The journal's file in a data directory.
JOURNAL_FILE = "journal.sqlite"
SCHEMA_VERSION = 2
"""2: with the checkpoint table; 1 (without) is upgraded by its next commit."""
READ_CHUNK_ROWS = 8192
"""Rows fetched per round trip by :meth:`Journal.read` and :meth:`Journal.verify`."""

_SELECT = "SELECT seq, kind, ts, payload, hash FROM events WHERE seq >= ? ORDER BY seq"
_SELECT_PAYLOADS = "SELECT seq, kind, ts, payload FROM events WHERE seq >= ? ORDER BY seq"
_SELECT_FIRST_OF_KIND = (
    "SELECT seq, kind, ts, payload, hash FROM events WHERE kind = ? ORDER BY seq LIMIT 1"
)
BACKGROUND_CHECK_EVENTS = 100_000
"""From this many events on, a replay of a SQLite journal checks the chain in a second
process beside the fold (:meth:`StoredJournal.checked_read`)."""
_SELECT_LAST = "SELECT seq, kind, ts, payload, hash FROM events ORDER BY seq DESC LIMIT 1"
_SELECT_CHECKPOINT = "SELECT seq, hash FROM checkpoint WHERE id = 1"
_SET_CHECKPOINT = "INSERT OR REPLACE INTO checkpoint (id, seq, hash) VALUES (1, ?, ?)"
# The checkpoint follows every event the writer's connection inserts (a TEMP trigger: the
# file's schema is unchanged, and readers and other writers never run it), so that a group
# of up to INSERT_ROWS events is one INSERT, its own transaction: the writer thread takes the
# GIL back once per group instead of once per statement (BEGIN, INSERT, checkpoint, COMMIT),
# each time waiting for the event loop to let it go (see GroupCommitter).
_KEEP_CHECKPOINT = (
    "CREATE TEMP TRIGGER IF NOT EXISTS keep_checkpoint AFTER INSERT ON main.events BEGIN"
    " INSERT OR REPLACE INTO checkpoint (id, seq, hash) VALUES (1, NEW.seq, NEW.hash); END"
)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS events"
    " (seq INTEGER PRIMARY KEY, kind TEXT, ts INTEGER, payload BLOB, hash BLOB)",
)
_CHECKPOINT_SCHEMA = (  # a new file's version, or version 1's upgrade; then _SET_CHECKPOINT
    "CREATE TABLE IF NOT EXISTS checkpoint"
    " (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER, hash BLOB)",
    f"INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}')",
)
MEMORY = ":memory:"
INSERT_ROWS = 100
"""Rows per INSERT statement: a group up to this size is written by one statement (5 bound
parameters a row, far below SQLite's limit of 32,766), a larger one in several."""
CACHED_STATEMENTS = 2 * INSERT_ROWS
"""The connection's statement cache: an INSERT per group size and the few other statements."""

PendingEvent = tuple[int, str, int, bytes]
"""An appended, not yet written event: ``(seq, kind, ts_us, payload)``."""


class JournalError(Exception):
    """The journal file cannot be used as asked (wrong schema, pending events on close...)."""


class JournalFailed(JournalError):
    """A commit failed earlier; this journal object accepts nothing more (reopen the file)."""


class JournalCorrupt(JournalError):
    """The journal fails its check (:meth:`Journal.read_checked`); ``report`` says where."""

    def __init__(self, path: str, report: VerifyReport) -> None:
        super().__init__(
            f"{path} fails verification at seq {report.first_bad_seq} ({report.problem}):"
            f" {report.detail}"
        )
        self.report = report


class Event(NamedTuple):
    """One committed event as stored: ``payload`` is the codec's bytes, ``hash`` 32 bytes.

    Immutable. A NamedTuple rather than a frozen dataclass because replay builds millions:
    measured here, a frozen slotted dataclass costs ~0.8 us per instance against ~0.2 us.
    """

    seq: int
    kind: str
    ts_us: int
    payload: bytes
    hash: bytes


@functools.cache
def _insert(rows: int) -> str:
    """The INSERT of ``rows`` events (one statement text per size: SQLite caches them)."""
    return "INSERT INTO events (seq, kind, ts, payload, hash) VALUES " + ",".join(
        ["(?,?,?,?,?)"] * rows
    )


class EventJournal(Protocol):
    """The synchronous journal interface (:class:`Journal`, :class:`NullJournal`)."""

    @property
    def last_seq(self) -> int: ...
    @property
    def durable_seq(self) -> int: ...
    def append(self, kind: str, ts_us: int, payload: bytes) -> int: ...
    def commit(self) -> int: ...
    def drain(self) -> list[PendingEvent]: ...
    def write_group(self, group: list[PendingEvent]) -> int: ...
    def read(self, from_seq: int = 1) -> Iterator[Event]: ...
    def verify(self) -> VerifyReport: ...
    def close(self, *, discard: bool = False) -> None: ...
    def while_committing(self) -> contextlib.AbstractContextManager[None]: ...


class _Appender:
    """Seq assignment, validation and the in-memory buffer shared by both journals."""

    def __init__(self, durable_seq: int) -> None:
        self._last_seq = durable_seq
        self._durable_seq = durable_seq
        self._pending: list[PendingEvent] = []
        self._failure: BaseException | None = None
        self._known_kinds: set[str] = set()  # kinds already validated: the regex once each
        self.commits = 0
        """Number of transactions written (a hook for tests and metrics)."""

    @property
    def last_seq(self) -> int:
        """The seq of the last appended event, committed or not."""
        return self._last_seq

    @property
    def durable_seq(self) -> int:
        """The seq of the last committed event (0 when none)."""
        return self._durable_seq

    @property
    def pending(self) -> int:
        """Number of appended events not yet handed to a write."""
        return len(self._pending)

    def append(self, kind: str, ts_us: int, payload: bytes) -> int:
        """Buffer one event and return its seq; it is durable only after a commit.

        ``kind`` is the event class name, ``ts_us`` [us since the epoch, UTC], ``payload``
        the encoded bytes. Raise ``TypeError``/``ValueError`` for a malformed event (nothing
        is buffered then) and :class:`JournalFailed` after a failed commit.
        """
        if self._failure is not None:
            raise JournalFailed("an earlier commit failed; reopen the journal") from self._failure
        if kind not in self._known_kinds:
            if type(kind) is not str or not KIND.fullmatch(kind):
                raise ValueError(f"kind must match {KIND.pattern}, was {kind!r}")
            self._known_kinds.add(kind)
        if type(ts_us) is not int or not 0 <= ts_us < TS_LIMIT_US:
            raise ValueError(f"ts_us must be an int in [0, 2**56) [us], was {ts_us!r}")
        if type(payload) is not bytes:  # not bytearray/memoryview: they could change later
            raise TypeError(f"payload must be bytes, was {type(payload).__name__}")
        self._last_seq = seq = self._last_seq + 1
        self._pending.append((seq, kind, ts_us, payload))
        return seq

    def while_committing(self) -> contextlib.AbstractContextManager[None]:
        """What the store does beside a :class:`GroupCommitter` for as long as it writes
        (entered before its writer thread starts, left after it stopped): nothing here."""
        return contextlib.nullcontext()

    def drain(self) -> list[PendingEvent]:
        """Take the buffered events for :meth:`write_group` (the caller then owns them)."""
        group, self._pending = self._pending, []
        return group

    def commit(self) -> int:
        """Write every buffered event in one transaction; return the last durable seq."""
        return self.write_group(self.drain())

    def write_group(self, group: list[PendingEvent]) -> int:
        raise NotImplementedError


class StoredJournal(_Appender):
    """What every durable journal shares: the chain's head, group writes that hash before
    they write, and the checked reads. A store implements :meth:`_write` (one group and the
    checkpoint in one transaction), :meth:`_snapshot` (a reader of one committed state),
    :meth:`_rows`, :meth:`_checkpoint`, :meth:`_last` and :meth:`close`."""

    def __init__(self, path: str, head: Head, read_only: bool) -> None:
        super().__init__(head.seq)
        self._path = path
        self._head = head
        self._read_only = read_only

    @property
    def path(self) -> str:
        """Where the journal is (a file, or a database and cluster): for messages."""
        return self._path

    @property
    def head(self) -> Head:
        """The seq and hash of the last durable event (one value, safe to read from another
        thread while the writer commits)."""
        return self._head

    @property
    def head_hash(self) -> bytes:
        """The hash of the last durable event (:data:`GENESIS_HASH` when empty)."""
        return self._head.hash

    def append(self, kind: str, ts_us: int, payload: bytes) -> int:
        """:meth:`_Appender.append`; refused if the journal was opened read-only."""
        if self._read_only:
            raise JournalError(f"{self._path}: opened read-only")
        return super().append(kind, ts_us, payload)

    def write_group(self, group: list[PendingEvent]) -> int:
        """Write ``group`` (from :meth:`drain`) and the new head into the checkpoint, in one
        transaction; return the durable seq.

        Blocking (hashing, the write and its flush to disk); :class:`GroupCommitter` runs it
        in its own thread.
        """
        if self._failure is not None:
            raise JournalFailed("an earlier commit failed; reopen the journal") from self._failure
        if not group:
            return self._durable_seq
        if group[0][0] != self._durable_seq + 1:
            raise JournalError(
                f"group starts at seq {group[0][0]}, expected {self._durable_seq + 1}"
            )
        head = self._head.hash
        rows: list[Row] = []
        for seq, kind, ts_us, payload in group:
            head = chain_hash(head, seq, kind, ts_us, payload)
            rows.append((seq, kind, ts_us, payload, head))
        last = Head(group[-1][0], head)
        try:
            self._write(rows, last)
        except BaseException as exc:
            self._failure = exc
            raise
        self._head = last
        self._durable_seq = last.seq
        self.commits += 1
        return self._durable_seq

    def written_elsewhere(self, head: Head) -> None:
        """Take the group up to ``head`` as durable: another process wrote it from
        :meth:`drain` (:mod:`engine.store.journal_process`), as :meth:`write_group` would."""
        self._head = head
        self._durable_seq = head.seq
        self.commits += 1

    def failed_elsewhere(self, exc: BaseException) -> None:
        """The other process's write failed with ``exc``: accept nothing more."""
        self._failure = exc

    def read(self, from_seq: int = 1) -> Iterator[Event]:
        """Yield the committed events from ``from_seq`` on, in seq order."""
        make = Event._make
        with self._snapshot() as reader:
            for rows in self._rows(reader, from_seq, True):
                yield from map(make, rows)

    def read_payloads(self, from_seq: int = 1) -> Iterator[list[tuple[int, str, int, bytes]]]:
        """Yield the committed events as lists of plain (seq, kind, ts_us, payload) rows, in
        seq order, unchecked (:meth:`read_checked` checks them)."""
        with self._snapshot() as reader:
            yield from self._rows(reader, from_seq, False)

    def read_checked(self) -> Iterator[list[Row]]:
        """Yield every committed event as lists of plain (seq, kind, ts_us, payload, hash)
        rows, in seq order, each list only once every row in it links to the hash chain.

        Raise :class:`JournalCorrupt` at the first event that does not (before its list is
        yielded), and at the end if the chain does not end at the checkpoint; events past the
        checkpoint, or a last event that is not the checkpoint's, are never yielded. One read
        of the store: the replay decodes what this hashed.
        """
        return self._checked(ChainCheck())

    @contextlib.contextmanager
    def checked_read(self) -> Iterator[Iterator[list[tuple]]]:
        """The committed events for a replay, as lists of (seq, kind, ts_us, payload, ...)
        rows in seq order; the block's end is where the check's verdict is given.

        Mostly read as :meth:`read_checked` reads them: each list checked before it is
        handed out. A journal a second process can check (:meth:`_checked_beside`: a large
        SQLite file, on two cores or more) is checked by that process
        (:mod:`engine.store.check_process`) while this one reads and the caller folds, so
        that a start takes about the longer of the two, not their sum: its rows arrive
        unchecked, and the block ends by waiting for the verdict, raising
        :class:`JournalCorrupt` when the chain is broken, also in place of whatever the
        caller raised first (a damaged event may fail the fold before the verdict names it).
        Write nothing inside the block: the verdict is not in yet.
        """
        checkpoint = self._checked_beside()
        if checkpoint is None:
            yield self.read_checked()
            return
        from engine.store.check_process import BackgroundCheck  # a subprocess, when needed

        with BackgroundCheck(self._path, checkpoint) as check:
            try:
                yield _up_to(self.read_payloads(), checkpoint.seq)
            except Exception:
                if not (report := check.verdict()).ok:
                    raise JournalCorrupt(self._path, report) from None
                raise
            if not (report := check.verdict()).ok:
                raise JournalCorrupt(self._path, report)

    def verify(self, upto: Head | None = None) -> VerifyReport:
        """Recompute the hash chain over every committed event and compare its end with the
        checkpoint; report the first fault. ``upto``: check only the events up to its seq,
        and that the chain ends there at its hash (a checkpoint read before)."""
        check = ChainCheck()
        try:
            for _ in self._checked(check, upto):
                pass
        except JournalCorrupt as exc:
            return exc.report
        return VerifyReport(True, *check.head)

    def _checked(self, check: ChainCheck, upto: Head | None = None) -> Iterator[list[Row]]:
        with self._snapshot() as reader:
            checkpoint = self._checkpoint(reader) if upto is None else upto
            rows = self._rows(reader, 1, True)
            if upto is not None:
                rows = _up_to(rows, upto.seq)
            for chunk, following in _lookahead(rows):
                if (fault := check.rows(chunk, following)) is not None:
                    raise JournalCorrupt(self._path, fault)
                head = check.head
                if checkpoint is None or head.seq < checkpoint.seq or head == checkpoint:
                    yield chunk
                # else: past the checkpoint, nothing more is handed out; the end says why
        if not (report := check.end(checkpoint)).ok:
            raise JournalCorrupt(self._path, report)

    def first_of_kind(self, kind: str) -> Event | None:
        """The committed event of ``kind`` with the lowest seq, unchecked (a scan; a store
        may answer it with one query)."""
        return next((event for event in self.read() if event.kind == kind), None)

    def stored_head(self) -> tuple[Event | None, Head | None]:
        """The last committed event and the checkpoint (``None`` in a schema 1 file), read
        in one snapshot; unverified."""
        with self._snapshot() as reader:
            last = self._last(reader)
            return (None if last is None else Event._make(last)), self._checkpoint(reader)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(discard=et is not None)

    def _refuse_close_with_pending(self, discard: bool) -> None:
        """Refuse to close while events are buffered, unless ``discard`` drops them."""
        if self._pending and not discard and self._failure is None:
            raise JournalError(
                f"{len(self._pending)} appended events are not committed;"
                " commit() first or close(discard=True)"
            )
        self._pending = []

    # --- what a store implements ----------------------------------------------------------

    def _checked_beside(self) -> Head | None:
        """The checkpoint up to which a second process should check this journal beside a
        replay (:meth:`checked_read`), or None: check it in this process."""
        return None

    def _write(self, rows: list[Row], last: Head) -> None:
        """Write ``rows`` (hashed) and move the checkpoint to ``last``, in one transaction
        that is durable when this returns; raise (having written nothing) otherwise."""
        raise NotImplementedError

    def _snapshot(self) -> contextlib.AbstractContextManager[Any]:
        """A reader that sees one committed state for as long as it is open."""
        raise NotImplementedError

    def _rows(self, reader: Any, from_seq: int, with_hash: bool) -> Iterator[list[Any]]:
        """The committed rows from ``from_seq`` on, in chunks, (seq, kind, ts, payload[,
        hash])."""
        raise NotImplementedError

    def _checkpoint(self, reader: Any) -> Head | None:
        raise NotImplementedError

    def _last(self, reader: Any) -> Row | None:
        raise NotImplementedError

    def close(self, *, discard: bool = False) -> None:
        raise NotImplementedError


class Journal(StoredJournal):
    """The durable journal on one SQLite file. Make one with :meth:`open`."""

    def _checked_beside(self) -> Head | None:
        """A file of :data:`BACKGROUND_CHECK_EVENTS` events or more, with a checkpoint and
        nothing past it, on a machine that gives this process two cores or more: below
        that, starting a process costs more than it saves, and on one core the second
        process only adds a second read (an event past the checkpoint is left to
        :meth:`read_checked`, which says what is wrong)."""
        if self._path == MEMORY or len(os.sched_getaffinity(0)) < 2:
            return None
        with self._snapshot() as conn:
            checkpoint, last = self._checkpoint(conn), self._last(conn)
        if checkpoint is None or checkpoint.seq < BACKGROUND_CHECK_EVENTS:
            return None
        return checkpoint if last is not None and last[0] == checkpoint.seq else None

    def __init__(
        self, conn: sqlite3.Connection, path: str, head: Head, checkpointed: bool, read_only: bool
    ) -> None:
        super().__init__(path, head, read_only)
        self._conn: sqlite3.Connection | None = conn
        self._checkpointed = checkpointed

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Journal:
        """Open the journal at ``path`` (``":memory:"`` for a throwaway one), creating it.

        An existing file must carry schema version 2, or 1 (upgraded by the next commit);
        its last seq and hash become the chain's head (without verifying the chain: that is
        :meth:`verify` and :meth:`read_checked`).
        ``read_only``: write nothing (no schema, no upgrade, no WAL switch) and refuse
        appends: for audits of a file, even one a server is writing.
        """
        path = str(path)
        # check_same_thread=False: GroupCommitter writes from its own thread; the single
        # writer rule (one write at a time) is what keeps the connection consistent.
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=CACHED_STATEMENTS,
        )
        try:
            if not read_only:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode != "wal" and path != MEMORY:
                    raise JournalError(f"{path}: cannot switch to WAL mode (got {mode!r})")
                conn.execute("PRAGMA synchronous=FULL")
            head, checkpointed = _init_schema(conn, path, read_only)
            if checkpointed and not read_only:
                conn.execute(_KEEP_CHECKPOINT)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, head, checkpointed, read_only)

    def _write(self, rows: list[Row], last: Head) -> None:
        conn = self._connection()
        values: list[object] = [value for row in rows for value in row]  # multi-row INSERTs
        if self._checkpointed and len(rows) <= INSERT_ROWS:
            # One statement in autocommit: its own transaction, the trigger moving the
            # checkpoint in it; SQLite rolls all of it back if any part fails.
            conn.execute(_insert(len(rows)), values)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            width = 5 * INSERT_ROWS
            for at in range(0, len(values), width):
                chunk = values[at : at + width]
                conn.execute(_insert(len(chunk) // 5), chunk)
            if not self._checkpointed:  # schema version 1: upgraded by its first commit
                _upgrade(conn, last)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                    conn.execute("ROLLBACK")
            raise
        if not self._checkpointed:
            conn.execute(_KEEP_CHECKPOINT)
            self._checkpointed = True

    @property
    def file(self) -> str | None:
        """The file a writer process can open (None: in memory, or opened read-only)."""
        return None if self._path == MEMORY or self._read_only else self._path

    def while_committing(self) -> contextlib.AbstractContextManager[None]:
        """WAL checkpoints by a thread of their own, not inside commits (a file only:
        :mod:`engine.store.wal_checkpoints`)."""
        if self._path == MEMORY or self._read_only:
            return contextlib.nullcontext()
        return checkpoints_beside(self._connection(), self._path)

    def first_of_kind(self, kind: str) -> Event | None:
        """The committed event of ``kind`` with the lowest seq, unchecked (one query:
        :func:`engine.market.recovery.open_market` asks only journals written before
        their configuration was journaled at seq 2)."""
        with self._snapshot() as conn:
            row = conn.execute(_SELECT_FIRST_OF_KIND, (kind,)).fetchone()
        return None if row is None else Event._make(row)

    def close(self, *, discard: bool = False) -> None:
        """Close the file. Refuse while events are buffered, unless ``discard`` drops them."""
        if self._conn is None:
            return
        self._refuse_close_with_pending(discard)
        self._conn.close()
        self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"{self._path}: the journal is closed")
        return self._conn

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A connection in a read transaction: what it reads is one committed state."""
        writer = self._connection()
        if self._path == MEMORY:
            yield writer
            return
        # A file gets its own connection: a consistent snapshot of what is committed that
        # never interleaves with a transaction of the writer thread.
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()

    def _checkpoint(self, reader: sqlite3.Connection) -> Head | None:
        if not self._checkpointed:
            return None
        row = reader.execute(_SELECT_CHECKPOINT).fetchone()
        if row is None:
            raise JournalError(f"{self._path}: the checkpoint row is missing")
        return Head(*row)

    def _last(self, reader: sqlite3.Connection) -> Row | None:
        return reader.execute(_SELECT_LAST).fetchone()

    def _rows(
        self, reader: sqlite3.Connection, from_seq: int, with_hash: bool
    ) -> Iterator[list[Any]]:
        cursor = reader.execute(_SELECT if with_hash else _SELECT_PAYLOADS, (from_seq,))
        while chunk := cursor.fetchmany(READ_CHUNK_ROWS):
            yield chunk


class NullJournal(_Appender):
    """A journal that keeps nothing: NOT DURABLE, for fast simulations only.

    It assigns seqs and validates events exactly like :class:`Journal`, and ``commit``
    "succeeds" at once; ``read`` yields nothing and ``verify`` reports an empty chain.
    """

    def __init__(self) -> None:
        super().__init__(0)

    def write_group(self, group: list[PendingEvent]) -> int:
        if group:
            self._durable_seq = group[-1][0]
            self.commits += 1
        return self._durable_seq

    def read(self, from_seq: int = 1) -> Iterator[Event]:
        return iter(())

    def verify(self) -> VerifyReport:
        return VerifyReport(True, 0, GENESIS_HASH)

    def close(self, *, discard: bool = False) -> None:
        self._pending = []


def _upgrade(conn: sqlite3.Connection, head: Head) -> None:
    """Give the file the checkpoint (schema version 2), starting at ``head`` (in the
    caller's transaction)."""
    for statement in _CHECKPOINT_SCHEMA:
        conn.execute(statement)
    conn.execute(_SET_CHECKPOINT, head)


def _init_schema(conn: sqlite3.Connection, path: str, read_only: bool) -> tuple[Head, bool]:
    """Create or check the schema; return the head (the last event's seq and hash,
    unverified) and whether the file keeps a checkpoint (version 2). A version 1 file is
    left as it is: the first commit upgrades it. A ``read_only`` open only checks."""
    conn.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if read_only and not {"meta", "events"} <= tables:
            raise JournalError(f"{path}: not a journal (no events and meta tables)")
        if not read_only:
            for statement in _SCHEMA:
                conn.execute(statement)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        last = conn.execute(_SELECT_LAST).fetchone()
        head = EMPTY_HEAD if last is None else Head(last[0], last[4])
        version = None if row is None else row[0]
        if version is None and last is not None:
            raise JournalError(f"{path}: events table without a schema_version in meta")
        if version not in (None, "1", str(SCHEMA_VERSION)):
            raise JournalError(
                f"{path}: journal schema version must be {SCHEMA_VERSION} (or 1), was {version!r}"
            )
        if version == str(SCHEMA_VERSION):
            if "checkpoint" not in tables or conn.execute(_SELECT_CHECKPOINT).fetchone() is None:
                raise JournalError(f"{path}: schema version 2 without its checkpoint row")
        elif version is None and not read_only:  # a new journal
            _upgrade(conn, head)
            version = str(SCHEMA_VERSION)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return head, version == str(SCHEMA_VERSION)


def _lookahead(chunks: Iterator[list[Row]]) -> Iterator[tuple[list[Row], list[Row] | None]]:
    """Pair each chunk with the one after it (``None`` after the last)."""
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)
        yield chunk, following
        chunk = following


def _up_to(chunks: Iterator[list[Any]], last_seq: int) -> Iterator[list[Any]]:
    """The rows of ``chunks`` (in seq order) up to ``last_seq``."""
    for chunk in chunks:
        if chunk[-1][0] <= last_seq:
            yield chunk
            continue
        if kept := [row for row in chunk if row[0] <= last_seq]:
            yield kept
        return
