"""Where a cluster's journal and tokens live: a data directory (SQLite) or PostgreSQL.

One interface, two places. :class:`DataDirStore` is the embedded default:
``DIR/journal.sqlite`` (:class:`~engine.store.journal.Journal`), ``DIR/tokens.sqlite``
(:class:`~engine.store.tokens.TokenStore`) and the writer's ``flock`` on ``DIR/klaster.lock``.
:class:`PostgresStore` keeps every cluster's journal and tokens in one database, told apart
by the cluster id (:mod:`engine.store.pg_journal`, :mod:`engine.store.pg_tokens`); its
writer lock is an advisory lock on the writing session, taken when the journal is opened
for writing. :func:`store_at` picks one from the command line's ``--data``/``--store``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.store.journal import Journal, StoredJournal
from engine.store.lock import DataDirLock
from engine.store.postgres import describe, is_url
from engine.store.tokens import TokenStore, wall_clock_us

JOURNAL_FILE = "journal.sqlite"
CLUSTERS_DIR = "clusters"  # DIR/clusters/{id}/: each cluster's of a server that hosts several


class Tokens(Protocol):
    """A token store: :class:`~engine.store.tokens.TokenStore` or
    :class:`~engine.store.pg_tokens.PgTokenStore`."""

    path: object

    def issue(self, member_id: str, expires_us: int | None = None) -> str: ...
    def member_for(self, token: str) -> str | None: ...
    def expired_at(self, token: str) -> int | None: ...
    def revoke(self, member_id: str, token_id: str | None = None) -> list: ...
    def list(self, member_id: str | None = None) -> list: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...


class Store(Protocol):
    """Where a cluster's journal and tokens are kept."""

    def open_journal(self, cluster_id: str, *, read_only: bool = False) -> StoredJournal:
        """The cluster's journal; for writing, the caller holds :meth:`writer_lock`."""
        ...

    def writer_lock(self) -> DataDirLock | None:
        """Take the store's writer lock, if it has one apart from the journal."""
        ...

    def missing_journal(self, cluster_id: str) -> str | None:
        """Why there is no journal of the cluster to read (None: there is one)."""
        ...

    def open_tokens(
        self, cluster_id: str, clock: Callable[[], int] = wall_clock_us, *, create: bool = True
    ) -> Tokens:
        """The cluster's tokens; ``create=False``: FileNotFoundError if there are none."""
        ...

    def of_cluster(self, cluster_id: str) -> Store:
        """Where a server hosting several clusters keeps this one's journal and tokens."""
        ...


@dataclass(frozen=True)
class DataDirStore:
    """A data directory: SQLite files, one cluster."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)

    def open_journal(self, cluster_id: str, *, read_only: bool = False) -> StoredJournal:
        if not read_only:
            self.path.mkdir(parents=True, exist_ok=True)
        return Journal.open(self.path / JOURNAL_FILE, read_only=read_only)

    def writer_lock(self) -> DataDirLock:
        self.path.mkdir(parents=True, exist_ok=True)
        return DataDirLock(self.path)

    def missing_journal(self, cluster_id: str) -> str | None:
        path = self.path / JOURNAL_FILE
        return None if path.is_file() else f"no journal at {path}"

    def open_tokens(
        self, cluster_id: str, clock: Callable[[], int] = wall_clock_us, *, create: bool = True
    ) -> TokenStore:
        return TokenStore.open(self.path, clock, create=create)

    def of_cluster(self, cluster_id: str) -> DataDirStore:
        """``DIR/clusters/{id}``: a data directory of its own (journal, tokens, lock)."""
        return DataDirStore(self.path / CLUSTERS_DIR / cluster_id)


@dataclass(frozen=True)
class PostgresStore:
    """A PostgreSQL database (a libpq connection string); many clusters."""

    url: str

    def __str__(self) -> str:
        return describe(self.url)

    def open_journal(self, cluster_id: str, *, read_only: bool = False) -> StoredJournal:
        from engine.store.pg_journal import PgJournal

        return PgJournal.open(self.url, cluster_id, read_only=read_only)

    def writer_lock(self) -> None:
        return None  # the journal's writing session holds it (engine.store.postgres)

    def missing_journal(self, cluster_id: str) -> str | None:
        from engine.store.pg_journal import missing_journal

        return missing_journal(self.url, cluster_id)

    def open_tokens(
        self, cluster_id: str, clock: Callable[[], int] = wall_clock_us, *, create: bool = True
    ) -> Tokens:
        from engine.store.pg_tokens import PgTokenStore

        return PgTokenStore.open(self.url, cluster_id, clock, create=create)

    def of_cluster(self, cluster_id: str) -> PostgresStore:
        """The same database: every table is keyed by the cluster id already."""
        return self


def store_at(data: str | Path, url: str | None = None) -> DataDirStore | PostgresStore:
    """The store of ``--store URL`` if given, else of the data directory ``data``;
    ValueError for a ``--store`` that is not a PostgreSQL URL."""
    if url is None:
        return DataDirStore(Path(data))
    if not is_url(url):
        raise ValueError(
            f"--store must be a PostgreSQL URL (postgresql://USER@HOST/DB), was {url!r:.60};"
            " a data directory is --data DIR"
        )
    return PostgresStore(url)
