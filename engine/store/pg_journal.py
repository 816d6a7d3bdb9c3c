"""The event journal of one cluster on PostgreSQL: the SQLite journal's contract, fenced.

Same events, same hash chain, same checkpoint, same group commit (:class:`PgJournal` is a
:class:`~engine.store.journal.StoredJournal`; :class:`~engine.store.group_commit.GroupCommitter`
drives it unchanged): a group is one transaction, and a commit that returned is durable
(PostgreSQL's ``synchronous_commit`` at its default, ``on``). The tables are in
:mod:`engine.store.postgres`; this cluster's rows are those with its id.

Fencing: a group is one statement (so one round trip, and its own transaction) that moves
the cluster's checkpoint row with ``UPDATE ... WHERE cluster = $id AND seq = $old_seq AND
hash = $old_hash``, the head this writer last wrote, and inserts the group's rows only for
the row it moved. If any other writer moved it meanwhile (one that took the lock after this
one lost its session), no row matches and nothing of the group is written: the journal
object is then failed like after any failed write, and nothing of that group is
acknowledged. The primary key ``(cluster, seq)`` refuses a second event of a seq on top. A
writer takes the cluster's advisory lock on the same session that writes, so losing the
lock means losing the connection it writes on.

Reads open a connection of their own in a ``REPEATABLE READ READ ONLY`` transaction (one
snapshot: checkpoint and events agree) and fetch through a server-side cursor, in chunks
of :data:`~engine.store.journal.READ_CHUNK_ROWS`, in binary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from engine.store.chain import EMPTY_HEAD, GENESIS_HASH, Head, Row
from engine.store.journal import READ_CHUNK_ROWS, JournalError, JournalFailed, StoredJournal
from engine.store.postgres import (
    check_schema,
    closed_on_failure,
    connect,
    describe,
    ensure_schema,
    take_writer_lock,
    writer_holder,
)

_SELECT = (
    "SELECT seq, kind, ts, payload, hash FROM klaster.events"
    " WHERE cluster = %s AND seq >= %s ORDER BY seq"
)
_SELECT_PAYLOADS = (
    "SELECT seq, kind, ts, payload FROM klaster.events"
    " WHERE cluster = %s AND seq >= %s ORDER BY seq"
)
_SELECT_LAST = (
    "SELECT seq, kind, ts, payload, hash FROM klaster.events"
    " WHERE cluster = %s ORDER BY seq DESC LIMIT 1"
)
_SELECT_CHECKPOINT = "SELECT seq, hash FROM klaster.checkpoints WHERE cluster = %s"
_NEW_CHECKPOINT = (
    "INSERT INTO klaster.checkpoints (cluster, seq, hash) VALUES (%s, 0, %s)"
    " ON CONFLICT (cluster) DO NOTHING"
)
# A group in one statement, so one round trip and its own transaction: the checkpoint moves
# from the head this writer last wrote (fencing: no row matches once another writer moved
# it, and then nothing is inserted either), and the group's columns go in as arrays.
_WRITE_GROUP = (
    "WITH moved AS (UPDATE klaster.checkpoints SET seq = %s, hash = %s"
    " WHERE cluster = %s AND seq = %s AND hash = %s RETURNING cluster)"
    " INSERT INTO klaster.events (cluster, seq, kind, ts, payload, hash)"
    " SELECT moved.cluster, u.* FROM moved, unnest(%s::bigint[], %s::text[], %s::bigint[],"
    " %s::bytea[], %s::bytea[]) AS u"
)


class JournalFenced(JournalFailed):
    """The cluster's checkpoint moved under this writer: another one wrote; this one must
    stop (its group was not written)."""


def journal_name(url: str, cluster: str) -> str:
    """How messages name a cluster's journal in a PostgreSQL store."""
    return f"{describe(url)} cluster {cluster}"


def missing_journal(url: str, cluster: str) -> str | None:
    """Why the database at ``url`` holds no journal of ``cluster`` (None: it holds one)."""
    where = journal_name(url, cluster)
    with connect(url, "reader") as conn:
        try:
            check_schema(conn, where)
        except JournalError as exc:
            return str(exc)
        if conn.execute(_SELECT_CHECKPOINT, (cluster,)).fetchone() is None:
            return f"{where}: no journal of this cluster"
    return None


class PgJournal(StoredJournal):
    """The durable journal of ``cluster`` in a PostgreSQL database. Make one with
    :meth:`open`."""

    def __init__(self, conn: Any, url: str, cluster: str, head: Head, read_only: bool) -> None:
        super().__init__(journal_name(url, cluster), head, read_only)
        self._conn: Any = conn
        self._url = url
        self.cluster = cluster

    @classmethod
    def open(
        cls, url: str, cluster: str, *, read_only: bool = False, locked: Any = None
    ) -> PgJournal:
        """Open ``cluster``'s journal in the database at ``url``.

        For writing (the default): create the schema if it is missing, take the cluster's
        writer lock (:class:`~engine.store.postgres.ClusterLocked` if another session holds
        it) and start the cluster's checkpoint if it has none. ``read_only``: write nothing,
        take no lock, refuse appends (audits beside a running writer); a database or cluster
        without a journal is a :class:`~engine.store.journal.JournalError`. ``locked``: a
        connection (from :func:`~engine.store.postgres.connect`) whose session already holds
        the writer lock (a standby's, :func:`~engine.store.postgres.wait_writer_lock`); the
        journal writes on it and closes it.
        The head is the last stored event's seq and hash, unverified (as SQLite's)."""
        where = journal_name(url, cluster)
        conn = locked or connect(url, "reader" if read_only else f"writer of {cluster}")
        with closed_on_failure(conn, where):
            if read_only:
                check_schema(conn, where)
                if conn.execute(_SELECT_CHECKPOINT, (cluster,)).fetchone() is None:
                    raise JournalError(f"{where}: no journal of this cluster")
            else:
                ensure_schema(conn)
                if locked is None:
                    take_writer_lock(conn, cluster, where)
                conn.execute(_NEW_CHECKPOINT, (cluster, GENESIS_HASH))
            last = conn.execute(_SELECT_LAST, (cluster,)).fetchone()
        head = EMPTY_HEAD if last is None else Head(last[0], last[4])
        return cls(conn, url, cluster, head, read_only)

    def _write(self, rows: list[Row], last: Head) -> None:
        conn = self._connection()
        columns = [list(column) for column in zip(*rows, strict=True)]
        old = self._head
        with conn.cursor(binary=True) as cursor:  # autocommit: the statement commits
            cursor.execute(_WRITE_GROUP, (last.seq, last.hash, self.cluster, *old, *columns))
            if cursor.rowcount != len(rows):
                raise JournalFenced(
                    f"{self._path}: the checkpoint is no longer at seq {old.seq}, where this"
                    " writer left it: another writer appended; this one stops"
                )

    def tail(self, from_seq: int) -> list[Row]:
        """The committed rows from ``from_seq`` on, (seq, kind, ts, payload, hash), in one
        statement on this journal's own connection (a standby's catch-up: no new session)."""
        with self._connection().cursor(binary=True) as cursor:
            return cursor.execute(_SELECT, (self.cluster, from_seq)).fetchall()

    def writer(self) -> str:
        """Who holds this cluster's writer lock, for messages."""
        return writer_holder(self._connection(), self.cluster)

    def close(self, *, discard: bool = False) -> None:
        """Close the connection (which lets the writer lock go). Refuse while events are
        buffered, unless ``discard`` drops them."""
        if self._conn is None:
            return
        self._refuse_close_with_pending(discard)
        self._conn.close()
        self._conn = None

    def _connection(self) -> Any:
        if self._conn is None:
            raise JournalError(f"{self._path}: the journal is closed")
        return self._conn

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Any]:
        """A connection of its own in one read-only snapshot."""
        import psycopg

        self._connection()  # refuse reads of a closed journal
        conn = connect(self._url, "reader")
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                yield conn
        finally:
            conn.close()

    def _checkpoint(self, reader: Any) -> Head | None:
        row = reader.execute(_SELECT_CHECKPOINT, (self.cluster,)).fetchone()
        if row is None:
            raise JournalError(f"{self._path}: the checkpoint row is missing")
        return Head(*row)

    def _last(self, reader: Any) -> Row | None:
        return reader.execute(_SELECT_LAST, (self.cluster,)).fetchone()

    def _rows(self, reader: Any, from_seq: int, with_hash: bool) -> Iterator[list[Any]]:
        with reader.cursor(name="klaster_read", binary=True) as cursor:
            cursor.execute(_SELECT if with_hash else _SELECT_PAYLOADS, (self.cluster, from_seq))
            while chunk := cursor.fetchmany(READ_CHUNK_ROWS):
                yield chunk
