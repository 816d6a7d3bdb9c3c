"""The PostgreSQL store's common ground: connecting, the schema, the writer's advisory lock.

Schema ``klaster`` (version 1, in ``klaster.meta``); every table carries the cluster's id, so
several clusters can share one database:

- ``events(cluster, seq, kind, ts, payload, hash)``, primary key ``(cluster, seq)``: the
  journal, as the SQLite one's ``events`` with the cluster in front;
- ``checkpoints(cluster, seq, hash)``: one row per cluster, the head of its chain, moved in
  the transaction of every group, and only from the head the writer last wrote (fencing);
- ``tokens(cluster, hash, token_id, member, created_us, revoked_us, expires_us)``, primary
  key ``(cluster, hash)``: members' API tokens as SHA-256 hashes; a statement trigger
  sends ``NOTIFY klaster_tokens`` on every change, which drops the servers' token caches;
  an insert into ``events`` sends ``NOTIFY klaster_events`` with the cluster's id, which
  wakes its standbys.

One writer per cluster: the writer's connection holds a session-level advisory lock whose
key is derived from the cluster id (:func:`writer_key`); PostgreSQL drops it when that
session ends (the process died, the network went), so no stale lock is left behind. A
second writer is refused at once, naming the holder's ``application_name`` (which says its
host and PID) from ``pg_stat_activity``; a standby waits for it (:func:`wait_writer_lock`).

Connection strings are libpq's (``postgresql://user@host:port/db``, or key=value words;
``PG*`` environment variables and ``~/.pgpass`` apply). Messages name the store by
:func:`describe`, which leaves any password out.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from engine.store.journal import JournalError
from engine.store.lock import DataDirLocked

SCHEMA_VERSION = 1
URL_PREFIXES = ("postgresql://", "postgres://")
LOCK_WAIT_S = 0.5  # a standby's wait for the writer lock, in slices of this [s]
_SCHEMA_KEY = 0x6B6C6173_74657221  # "klaster!": serialises schema creation by several openers
_SCHEMA = (
    "CREATE SCHEMA IF NOT EXISTS klaster",
    "CREATE TABLE IF NOT EXISTS klaster.meta (key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS klaster.events (cluster text NOT NULL, seq bigint NOT NULL,"
    " kind text NOT NULL, ts bigint NOT NULL, payload bytea NOT NULL, hash bytea NOT NULL,"
    " PRIMARY KEY (cluster, seq))",
    # Payloads are stored out of line and uncompressed: a batch's columns barely compress,
    # and compressing them (PostgreSQL's default for large values) costs more than writing.
    "DO $$ BEGIN IF (SELECT attstorage FROM pg_attribute WHERE attrelid ="
    " 'klaster.events'::regclass AND attname = 'payload') <> 'e' THEN ALTER TABLE"
    " klaster.events ALTER COLUMN payload SET STORAGE EXTERNAL; END IF; END $$",
    "CREATE TABLE IF NOT EXISTS klaster.checkpoints (cluster text PRIMARY KEY,"
    " seq bigint NOT NULL, hash bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS klaster.tokens (cluster text NOT NULL, hash bytea NOT NULL,"
    " token_id text NOT NULL, member text NOT NULL, created_us bigint NOT NULL,"
    " revoked_us bigint, expires_us bigint, PRIMARY KEY (cluster, hash))",
    "CREATE INDEX IF NOT EXISTS tokens_member ON klaster.tokens (cluster, member)",
    # Any change of the tokens, by klaster or by hand, tells the servers' token caches.
    "CREATE OR REPLACE FUNCTION klaster.tokens_changed() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN PERFORM pg_notify('klaster_tokens', ''); RETURN NULL; END $$",
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'tokens_changed'"
    " AND tgrelid = 'klaster.tokens'::regclass) THEN CREATE TRIGGER tokens_changed AFTER"
    " INSERT OR UPDATE OR DELETE OR TRUNCATE ON klaster.tokens FOR EACH STATEMENT EXECUTE"
    " FUNCTION klaster.tokens_changed(); END IF; END $$",
    # Appended events wake the cluster's standbys (engine.market.standby): one notification
    # per cluster and statement, its payload the cluster id.
    "CREATE OR REPLACE FUNCTION klaster.events_added() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN PERFORM pg_notify('klaster_events', c) FROM (SELECT DISTINCT cluster"
    " AS c FROM added) AS d; RETURN NULL; END $$",
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'events_added'"
    " AND tgrelid = 'klaster.events'::regclass) THEN CREATE TRIGGER events_added AFTER"
    " INSERT ON klaster.events REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE"
    " FUNCTION klaster.events_added(); END IF; END $$",
    "INSERT INTO klaster.meta (key, value) VALUES ('schema_version', %s)"
    " ON CONFLICT (key) DO NOTHING",
)


class StoreUnavailable(JournalError):
    """The PostgreSQL server cannot be reached, or refuses the connection."""


class ClusterLocked(DataDirLocked):
    """Another writer holds the cluster's advisory lock (refused like a locked data
    directory)."""


def is_url(text: str) -> bool:
    """True if ``text`` names a PostgreSQL store (a ``postgresql://`` URL)."""
    return text.startswith(URL_PREFIXES)


def describe(url: str) -> str:
    """The store for messages: ``postgresql://user@host:port/db``, never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:  # a malformed string: connect() says what is wrong with it
        return "postgresql (unparsable connection string)"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


def connect(url: str, role: str) -> Any:
    """A psycopg connection in autocommit mode, its ``application_name`` saying ``role``,
    this host and PID (what a refused second writer is told)."""
    import psycopg

    name = f"klaster {role} pid {os.getpid()} on {socket.gethostname()}"[:63]
    try:
        return psycopg.connect(url, autocommit=True, application_name=name)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"cannot connect to {describe(url)}: {first}") from None


@contextlib.contextmanager
def closed_on_failure(conn: Any, where: str) -> Iterator[None]:
    """Close ``conn`` if the block raises; a database error becomes a
    :class:`~engine.store.journal.JournalError` naming ``where`` (no rights to create the
    schema, a server shutting down, ...)."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        conn.close()
        raise JournalError(f"{where}: {exc}") from None
    except BaseException:
        conn.close()
        raise


def ensure_schema(conn: Any) -> None:
    """Create the schema if it is missing (one opener at a time), and check its version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_KEY,))
        for statement in _SCHEMA:
            conn.execute(statement, (str(SCHEMA_VERSION),) if "%s" in statement else None)
    check_schema(conn, "")


def check_schema(conn: Any, where: str) -> None:
    """Raise :class:`JournalError` unless the database holds klaster's schema version."""
    row = conn.execute(
        "SELECT to_regclass('klaster.meta') IS NOT NULL AND to_regclass('klaster.events')"
        " IS NOT NULL"
    ).fetchone()
    if not row[0]:
        raise JournalError(f"{where}: no klaster schema in this database")
    (version,) = conn.execute(
        "SELECT value FROM klaster.meta WHERE key = 'schema_version'"
    ).fetchone() or (None,)
    if version != str(SCHEMA_VERSION):
        raise JournalError(
            f"{where}: klaster schema version must be {SCHEMA_VERSION}, was {version!r}"
        )


def writer_key(cluster: str) -> int:
    """The advisory lock key of ``cluster``'s writer: a signed 64-bit int from SHA-256 (two
    ids sharing a key would only make one wait for the other, never both write)."""
    digest = hashlib.sha256(b"klaster writer\0" + cluster.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def take_writer_lock(conn: Any, cluster: str, where: str) -> None:
    """Take ``cluster``'s writer lock on ``conn``'s session, or raise :class:`ClusterLocked`
    naming the session that holds it."""
    key = writer_key(cluster)
    (taken,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if taken:
        return
    who = writer_holder(conn, cluster)
    raise ClusterLocked(f"{where} is in use by {who}; one writer per cluster")


def writer_holder(conn: Any, cluster: str) -> str:
    """The session holding ``cluster``'s writer lock, for messages (its
    ``application_name``, server PID and address), or ``"an unknown session"``."""
    key = writer_key(cluster)
    holder = conn.execute(
        "SELECT a.application_name, a.client_addr::text, a.pid FROM pg_locks l"
        " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
        " AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s"
        " AND l.objsubid = 1",
        ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
    ).fetchone()
    who = "an unknown session"
    if holder is not None:
        name, address, pid = holder
        who = f"{name or 'a session'} (server pid {pid}, from {address or 'a local socket'})"
    return who


def wait_writer_lock(conn: Any, cluster: str, stopping: Callable[[], bool]) -> bool:
    """Wait on ``conn``'s session until it holds ``cluster``'s writer lock (True), or until
    ``stopping()`` says to give up (False). Blocking: PostgreSQL grants the lock the moment
    the holder's session ends; the wait is cut into :data:`LOCK_WAIT_S` slices (the
    session's ``lock_timeout``) so that ``stopping`` is asked between them."""
    import psycopg

    key = writer_key(cluster)
    conn.execute(f"SET lock_timeout = {int(LOCK_WAIT_S * 1000)}")
    try:
        while not stopping():
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                return True
            except psycopg.errors.LockNotAvailable:
                continue
        return False
    finally:
        if not conn.closed:
            conn.execute("RESET lock_timeout")
