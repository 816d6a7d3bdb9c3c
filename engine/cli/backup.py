"""``klaster backup --data DIR OUT`` and ``klaster restore BACKUP --data DIR``: a consistent
copy of a data directory, taken while a server runs on it, and its way back.

Both are the same copy, checked the same way: every SQLite file (the journal, the token
store) is copied with SQLite's online backup API (one read transaction: a snapshot of
committed data, while the server goes on writing beside it in WAL mode); the other regular
files (a member token file) are copied with their mode; the lock file and SQLite's side
files (``-wal``, ``-shm``) are not. The copy is then checked before it appears under its
name: the journal's hash chain is recomputed up to its checkpoint, its head must be the
source's event of the same seq (the source may have grown meanwhile, never changed), and
every other SQLite file passes ``PRAGMA integrity_check``. The copy is built in a hidden
directory next to the target and renamed into place only once it passed, so a failed or
interrupted run leaves nothing half-done under the target's name. The target must not exist
or be an empty directory: a restore never writes over a data directory.

With ``--store postgresql://...`` (:mod:`engine.cli.backup_pg`): ``klaster backup --store
URL [--cluster ID] OUT`` writes the cluster's stream (events with their hashes, the
checkpoint, the tokens) as the same kind of directory, and ``klaster restore BACKUP --store
URL`` loads a backup of either store into a database that holds nothing of its cluster.

Both print one JSON line: ``{"ok", "events", "head_hash", "files"}``, or ``{"ok": false,
"error"}``. Exit 0 done, 1 the copy failed or did not pass its check, 2 bad arguments (no
journal in the source, a target that is not empty).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.cli.store_option import add_data_or_store

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SQLITE_SUFFIX = ".sqlite"
SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's own: the backup API reads through them


class CopyFailed(Exception):
    """The copy could not be made, or did not pass its check."""


@dataclass(frozen=True)
class CopyReport:
    """A checked copy: its journal's ``events`` and ``head_hash``, the ``files`` copied."""

    events: int
    head_hash: bytes
    files: list[str]


def add_commands(commands: Any) -> None:
    """Register ``backup`` and ``restore`` on the ``klaster`` subparsers."""
    backup = commands.add_parser(
        "backup",
        help="copy a data directory consistently, also while it is being served",
        description="Copy DIR (journal, token store, token files) into OUT with SQLite's "
        "online backup API and check the copy's hash chain; OUT must not exist or be empty. "
        "Prints one JSON line. Exit 0 done, 1 failed, 2 bad arguments.",
    )
    add_data_or_store(backup)
    backup.add_argument(
        "--cluster", metavar="ID", help="with --store: the cluster (default: the only one)"
    )
    backup.add_argument("out", metavar="OUT", help="the backup directory to create")
    restore = commands.add_parser(
        "restore",
        help="make a data directory from a backup",
        description="Copy BACKUP into DIR and check the copy's hash chain; refuses a DIR "
        "that is not empty. Prints one JSON line. Exit 0 done, 1 failed, 2 bad arguments.",
    )
    restore.add_argument("backup", metavar="BACKUP", help="a directory klaster backup made")
    add_data_or_store(restore)


def run_backup(args: argparse.Namespace) -> int:
    """Run ``klaster backup``; return the exit code."""
    if args.store is not None:
        from engine.cli.backup_pg import backup_from_store

        return backup_from_store(args.store, args.cluster, Path(args.out))
    return _run(Path(args.data), Path(args.out))


def run_restore(args: argparse.Namespace) -> int:
    """Run ``klaster restore``; return the exit code."""
    if args.store is not None:
        from engine.cli.backup_pg import restore_into_store

        return restore_into_store(Path(args.backup), args.store)
    return _run(Path(args.backup), Path(args.data))


def _run(source: Path, target: Path) -> int:
    import sqlite3

    from engine.market.recovery import JOURNAL_FILE
    from engine.store.chain import hex_hash
    from engine.store.journal import JournalError

    if not (source / JOURNAL_FILE).is_file():
        print(f"klaster: no journal at {source / JOURNAL_FILE}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"klaster: {target} exists and is not an empty directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        report = copy_data_dir(source, target)
    except (CopyFailed, OSError, sqlite3.Error, JournalError) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    print(
        json.dumps(
            {
                "ok": True,
                "events": report.events,
                "head_hash": hex_hash(report.head_hash),
                "files": report.files,
            }
        )
    )
    return EXIT_OK


def copy_data_dir(source: Path, target: Path) -> CopyReport:
    """Copy the data directory ``source`` to ``target`` (absent or an empty directory) and
    check the copy (see the module docstring); raise :class:`CopyFailed` and leave
    ``target`` as it was if the copy does not pass."""
    import shutil  # with tempfile, loaded when a copy runs: not for --help
    import tempfile

    from engine.market.recovery import JOURNAL_FILE
    from engine.store.lock import LOCK_FILE

    parent = target.resolve().parent
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:  # mkdtemp made it 0700: a data directory holds token hashes and token files
        files = []
        for path in sorted(source.iterdir()):
            if not path.is_file() or path.name == LOCK_FILE or path.name.endswith(SIDE_FILES):
                continue
            if path.name.endswith(SQLITE_SUFFIX):
                _sqlite_copy(path, staging / path.name)
            else:
                shutil.copy2(path, staging / path.name)
            files.append(path.name)
        report = _check(source / JOURNAL_FILE, staging / JOURNAL_FILE, files)
        for name in files:
            if name.endswith(SQLITE_SUFFIX) and name != JOURNAL_FILE:
                _integrity(staging / name)
        if target.exists():
            target.rmdir()  # empty (checked by the caller); rename needs it gone
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite file with the online backup API: one consistent snapshot."""
    import sqlite3

    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))  # 0600 before SQLite opens it
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)  # pages=-1: every page in one step, in one read transaction
        # A rollback journal: a copy is a single closed file, with no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")


def _check(source: Path, copy: Path, files: list[str]) -> CopyReport:
    """The copy's journal passes its hash chain and checkpoint, and its head is the
    source's event of the same seq."""
    from engine.store.journal import Journal

    with Journal.open(copy, read_only=True) as journal:
        report = journal.verify()
    if not report.ok:
        raise CopyFailed(
            f"the copy of {source} fails verification at seq {report.first_bad_seq} "
            f"({report.problem}): {report.detail}"
        )
    if report.events:
        with Journal.open(source, read_only=True) as journal:
            original = next(journal.read(report.events), None)
        if original is None or original.seq != report.events or original.hash != report.head_hash:
            raise CopyFailed(f"the copy's head (seq {report.events}) is not {source}'s event")
    return CopyReport(report.events, report.head_hash, files)


def _integrity(path: Path) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise CopyFailed(f"the copy {path.name} fails SQLite's integrity check: {result}")
