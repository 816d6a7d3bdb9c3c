"""A cluster's stream between PostgreSQL and a data directory's files: what ``klaster
backup --store`` and ``klaster restore --store`` move (:mod:`engine.cli.backup`).

The backup format is a data directory (``journal.sqlite``, ``tokens.sqlite``), whichever
store it came from: ``klaster serve --data`` serves it, ``klaster audit verify --data``
checks it, and ``klaster restore`` loads it into a data directory or a PostgreSQL database.

- :func:`export_cluster` reads the cluster's events in one snapshot, each checked against
  the hash chain and the chain's end against the checkpoint (a journal that fails is not
  copied), appends them to a new SQLite journal (which hashes them again: the copy's head
  must be the source's) and copies the token rows as they are (hashes, revocations,
  expiries).
- :func:`import_cluster` loads a backup into a database that holds no journal and no token
  of the cluster, as one transaction under the cluster's writer lock (no server writes
  meanwhile): the checkpoint, the events (``COPY``), the tokens, and then, still inside the
  transaction, the rows read back and checked against the chain and the checkpoint; a
  check that fails rolls everything back.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from engine.store.chain import GENESIS_HASH, ChainCheck, Head
from engine.store.journal import JOURNAL_FILE, Journal, JournalCorrupt, JournalError
from engine.store.pg_journal import PgJournal, journal_name
from engine.store.postgres import closed_on_failure, connect, ensure_schema, take_writer_lock
from engine.store.tokens import TOKENS_FILE, TokenStore

_TOKEN_COLUMNS = "hash, token_id, member, created_us, revoked_us, expires_us"


def clusters_in(url: str) -> list[str]:
    """The ids of the clusters whose journals the database holds."""
    with connect(url, "reader") as conn:
        if conn.execute("SELECT to_regclass('klaster.checkpoints')").fetchone()[0] is None:
            return []
        return [
            row[0] for row in conn.execute("SELECT cluster FROM klaster.checkpoints ORDER BY 1")
        ]


def export_cluster(url: str, cluster: str, target: Path) -> Head:
    """Write ``cluster``'s journal and tokens into the directory ``target`` as a data
    directory's files; return the copy's head (the source's, checked)."""
    with PgJournal.open(url, cluster, read_only=True) as source:
        with Journal.open(target / JOURNAL_FILE) as copy:
            for chunk in source.read_checked():  # one snapshot, checked to the checkpoint
                for _seq, kind, ts_us, payload, _hash in chunk:
                    copy.append(kind, ts_us, payload)
                copy.commit()
            head = copy.head
        with contextlib.closing(sqlite3.connect(target / JOURNAL_FILE)) as db:
            db.execute("PRAGMA journal_mode=DELETE")  # one closed file, no -wal beside it
        with connect(url, "reader") as conn:
            rows = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM klaster.tokens WHERE cluster = %s", (cluster,)
            ).fetchall()
    TokenStore.open(target).close()  # the schema, 0600
    with contextlib.closing(sqlite3.connect(target / TOKENS_FILE)) as db:
        with db:
            db.executemany(f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES (?,?,?,?,?,?)", rows)
        db.execute("PRAGMA journal_mode=DELETE")
    return head


def import_cluster(url: str, cluster: str, source: Path) -> Head:
    """Load the data directory (or backup) ``source`` into the database at ``url`` as
    ``cluster``'s journal and tokens; return the head, checked in the loading transaction.
    :class:`~engine.store.journal.JournalError` if the database already holds a journal or
    tokens of the cluster; :class:`~engine.store.journal.JournalCorrupt` if the backup or
    what was loaded fails the chain (nothing is loaded then)."""
    where = journal_name(url, cluster)
    conn = connect(url, f"restore of {cluster}")
    with closed_on_failure(conn, where), conn:
        ensure_schema(conn)
        take_writer_lock(conn, cluster, where)
        held = conn.execute(
            "SELECT (SELECT count(*) FROM klaster.checkpoints WHERE cluster = %s)"
            " + (SELECT count(*) FROM klaster.tokens WHERE cluster = %s)",
            (cluster, cluster),
        ).fetchone()[0]
        if held:
            raise JournalError(f"{where}: already holds a journal or tokens of this cluster")
        with Journal.open(source / JOURNAL_FILE, read_only=True) as backup, conn.transaction():
            conn.execute(
                "INSERT INTO klaster.checkpoints (cluster, seq, hash) VALUES (%s, 0, %s)",
                (cluster, GENESIS_HASH),
            )
            with conn.cursor().copy(
                "COPY klaster.events (cluster, seq, kind, ts, payload, hash) FROM STDIN"
            ) as copy:
                for chunk in backup.read_checked():  # the backup's own chain, checked
                    for row in chunk:
                        copy.write_row((cluster, *row))
            head = backup.head
            conn.execute(
                "UPDATE klaster.checkpoints SET seq = %s, hash = %s WHERE cluster = %s",
                (head.seq, head.hash, cluster),
            )
            _load_tokens(conn, cluster, source / TOKENS_FILE)
            _check_loaded(conn, cluster, head, where)
    return head


def _load_tokens(conn: object, cluster: str, path: Path) -> None:
    if not path.is_file():
        return
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(f"SELECT {_TOKEN_COLUMNS} FROM tokens").fetchall()
    with conn.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.executemany(
            f"INSERT INTO klaster.tokens (cluster, {_TOKEN_COLUMNS})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(cluster, *row) for row in rows],
        )


def _check_loaded(conn: object, cluster: str, head: Head, where: str) -> None:
    """The loaded rows, read back in the loading transaction, link to the chain and end
    at ``head``; else :class:`JournalCorrupt` (and the transaction rolls back)."""
    check = ChainCheck()
    with conn.cursor(name="klaster_restore_check", binary=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            "SELECT seq, kind, ts, payload, hash FROM klaster.events"
            " WHERE cluster = %s ORDER BY seq",
            (cluster,),
        )
        while chunk := cursor.fetchmany(8192):
            if (fault := check.rows(chunk, None)) is not None:
                raise JournalCorrupt(where, fault)
    if not (report := check.end(head)).ok:
        raise JournalCorrupt(where, report)
