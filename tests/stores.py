"""What the store tests do to a store of either kind: make one, and change it behind the
journal's back as a tamperer (or a second writer) would."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from engine.store.place import JOURNAL_FILE, DataDirStore, PostgresStore
from tests.postgres import Server

KINDS = ("sqlite", "postgresql")
CLUSTER = "zywiec"
_databases = itertools.count(1)


@dataclass(frozen=True)
class Place:
    """A store under test and how to reach its rows directly."""

    kind: str
    store: DataDirStore | PostgresStore

    def execute(self, sql: str, *args: object) -> int:
        """Run one statement on the journal's tables, written for SQLite (``events``,
        ``checkpoint``, ``?``); on PostgreSQL the cluster's rows of ``klaster.events`` and
        ``klaster.checkpoints``. Return the rows it changed."""
        if isinstance(self.store, DataDirStore):
            with sqlite3.connect(self.store.path / JOURNAL_FILE) as db:
                return db.execute(sql, args).rowcount
        import psycopg

        sql = (
            sql.replace("checkpoint", "klaster.checkpoints")
            .replace("events", "klaster.events")
            .replace("?", "%s")
        )
        sql += (" AND" if " WHERE " in sql else " WHERE") + " cluster = %s"
        with psycopg.connect(self.store.url, autocommit=True) as conn:
            return conn.execute(sql, (*args, CLUSTER)).rowcount


def place_in(kind: str, directory: Path, server: Server | None) -> Place:
    """A new, empty store of ``kind``: ``directory/data``, or a new database on ``server``."""
    if kind == "sqlite":
        return Place(kind, DataDirStore(directory / "data"))
    assert server is not None
    return Place(kind, PostgresStore(server.create_database(f"klaster_{next(_databases)}")))
