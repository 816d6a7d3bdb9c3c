"""``--store URL``: the journal and tokens in PostgreSQL instead of the data directory.

``serve``, ``members``, ``replay`` and ``audit`` take it alike. Without it the store is the
data directory's SQLite files (``--data DIR``, the default); with it, a libpq connection
string (``postgresql://USER@HOST:PORT/DB``; a password is best left to ``~/.pgpass`` or
``PGPASSWORD``, since a command line is visible to other users of the machine) names the
database that holds the journal and tokens of every cluster, each under its cluster id.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store loads when a command runs, not for --help
    from engine.store.place import DataDirStore, PostgresStore

STORE_HELP = (
    "keep the journal and tokens in PostgreSQL: postgresql://USER@HOST:PORT/DB (default: "
    "SQLite files in the data directory)"
)


def add_store_option(command: argparse.ArgumentParser) -> None:
    """Add ``--store URL`` to ``command`` (beside its ``--data``)."""
    command.add_argument("--store", metavar="URL", help=STORE_HELP)


def add_data_or_store(command: argparse.ArgumentParser) -> None:
    """Add ``--data DIR`` and ``--store URL``, exactly one of them required (commands that
    read a journal: they have no default place)."""
    where = command.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", metavar="DIR", help="the data directory")
    where.add_argument("--store", metavar="URL", help=STORE_HELP)


def store_of(args: argparse.Namespace) -> DataDirStore | PostgresStore | None:
    """The store the options name; None after saying on stderr why ``--store`` is wrong."""
    from engine.store.place import store_at

    try:
        return store_at(args.data or "", getattr(args, "store", None))
    except ValueError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return None
