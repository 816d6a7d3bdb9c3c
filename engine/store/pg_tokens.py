"""Members' API tokens of one cluster in PostgreSQL: :class:`~engine.store.tokens.TokenStore`'s
contract (the same tokens, hashes, expiry and revocation as timestamps) in the table
``klaster.tokens`` (:mod:`engine.store.postgres`), the cluster's rows.

The cache of live tokens is dropped when any session changed the table: a statement trigger
sends ``NOTIFY klaster_tokens``, which a connection of the store's own listens for. Asking
whether anything arrived costs one non-blocking read of that socket (libpq's
``PQconsumeInput``), no round trip, so while nothing changes a lookup is a hash, that read
and a dict lookup. A revocation counts from the first request after the notification
reached this process, which follows the revoking commit by the time PostgreSQL takes to
signal it (well under a millisecond on one machine), not strictly from the very next
request as on SQLite. If the listening connection breaks, the store stops caching and asks
the database on every lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.store.journal import JournalError
from engine.store.postgres import (
    check_schema,
    closed_on_failure,
    connect,
    describe,
    ensure_schema,
)
from engine.store.tokens import COLUMNS, TokenTable, wall_clock_us

CHANNEL = "klaster_tokens"
_ORDER = " ORDER BY created_us, token_id"


class PgTokenStore(TokenTable):
    """The tokens of ``cluster`` in a PostgreSQL database; satisfies the gateway's
    ``TokenLookup`` and offers what ``klaster members`` uses, like
    :class:`~engine.store.tokens.TokenStore`."""

    _ISSUE = (
        "INSERT INTO klaster.tokens (cluster, hash, token_id, member, created_us, expires_us)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
    )
    _LIVE = (
        "SELECT member, expires_us FROM klaster.tokens"
        " WHERE cluster = %s AND hash = %s AND revoked_us IS NULL"
    )
    _REVOKE = (
        "UPDATE klaster.tokens SET revoked_us = %s"
        " WHERE cluster = %s AND member = %s AND revoked_us IS NULL"
    )
    _AND_TOKEN_ID = " AND token_id = %s"
    _LIST_ALL = f"SELECT {COLUMNS} FROM klaster.tokens WHERE cluster = %s" + _ORDER
    _LIST_MEMBER = (
        f"SELECT {COLUMNS} FROM klaster.tokens WHERE cluster = %s AND member = %s" + _ORDER
    )
    _COUNT = "SELECT count(*) FROM klaster.tokens WHERE cluster = %s"

    def __init__(
        self, conn: Any, listener: Any, url: str, cluster: str, clock: Callable[[], int]
    ) -> None:
        super().__init__(conn, clock, (cluster,))
        self._listener: Any | None = listener
        self.cluster = cluster
        self.path = f"{describe(url)} cluster {cluster} tokens"
        """Where the tokens are, for messages (named ``path`` as the SQLite store's)."""

    @classmethod
    def open(
        cls,
        url: str,
        cluster: str,
        clock: Callable[[], int] = wall_clock_us,
        *,
        create: bool = True,
    ) -> PgTokenStore:
        """Open ``cluster``'s tokens at ``url``, creating the schema if need be; ``create=False``
        raises FileNotFoundError, creating nothing, if the database has no klaster schema."""
        conn = connect(url, f"tokens of {cluster}")
        with closed_on_failure(conn, describe(url)):
            if create:
                ensure_schema(conn)
            else:
                try:
                    check_schema(conn, describe(url))
                except JournalError as exc:
                    raise FileNotFoundError(str(exc)) from None
            listener = connect(url, f"token watch of {cluster}")
            with closed_on_failure(listener, describe(url)):
                listener.execute(f"LISTEN {CHANNEL}")
        return cls(conn, listener, url, cluster, clock)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._db.close()

    def _stale(self) -> bool:
        """True if a change notification arrived (or the listener broke) since last asked."""
        listener = self._listener
        if listener is None:
            return True
        pgconn = listener.pgconn
        try:
            pgconn.consume_input()  # reads what the socket holds; never waits
            changed = False
            while pgconn.notifies() is not None:
                changed = True
            if pgconn.status != 0:  # CONNECTION_OK
                raise OSError("the token watch connection broke")
        except Exception:
            self._listener = None
            self._caching = False  # every lookup asks the database from now on
            return True
        return changed
