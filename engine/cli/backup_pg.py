"""``klaster backup --store URL [--cluster ID] OUT`` and ``klaster restore BACKUP --store
URL``: a cluster's stream out of PostgreSQL into a backup directory, and a backup (of
either store) into PostgreSQL (:mod:`engine.store.pg_copy` moves the rows).

The backup is built in a hidden directory beside ``OUT`` and renamed into place only once
it passed its check (the chain recomputed to its checkpoint, the head the source's event of
that seq), as a data directory's backup is. Both print the JSON line of
:mod:`engine.cli.backup`; a restore adds ``"cluster"``. Exit 0 done, 1 failed or refused
by the database (it already holds the cluster), 2 bad arguments.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from engine.cli.backup import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, CopyFailed


def backup_from_store(url: str, cluster: str | None, out: Path) -> int:
    """Write ``cluster``'s stream at ``url`` into the new directory ``out``."""
    from engine.store.journal import JournalError
    from engine.store.pg_copy import clusters_in, export_cluster
    from engine.store.place import store_at

    try:
        store_at("", url)
    except ValueError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"klaster: {out} exists and is not an empty directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if cluster is None:
            held = clusters_in(url)
            if len(held) != 1:
                print(
                    f"klaster: the store holds {len(held)} clusters: name one with --cluster",
                    file=sys.stderr,
                )
                return EXIT_BAD_INPUT
            cluster = held[0]
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.resolve().parent)
        )
        try:
            head = export_cluster(url, cluster, staging)
            _check_copy(staging, url, cluster, head)
            if out.exists():
                out.rmdir()
            staging.rename(out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except (CopyFailed, JournalError, OSError) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    return _report(head, sorted(p.name for p in out.iterdir()))


def restore_into_store(backup: Path, url: str) -> int:
    """Load the backup directory ``backup`` into the database at ``url``."""
    import sqlite3

    from engine.market import events
    from engine.store.journal import JOURNAL_FILE, Journal, JournalError
    from engine.store.pg_copy import import_cluster
    from engine.store.place import store_at

    try:
        store_at("", url)
    except ValueError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not (backup / JOURNAL_FILE).is_file():
        print(f"klaster: no journal at {backup / JOURNAL_FILE}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with Journal.open(backup / JOURNAL_FILE, read_only=True) as journal:
            first = next(journal.read(1), None)
        if first is None:
            print(f"klaster: {backup / JOURNAL_FILE} holds no event", file=sys.stderr)
            return EXIT_BAD_INPUT
        configured = events.decode(first.seq, first.kind, first.ts_us, first.payload)
        cluster = getattr(configured, "cluster_id", None)
        if cluster is None:
            raise CopyFailed(f"{backup / JOURNAL_FILE} does not begin with ClusterConfigured")
        head = import_cluster(url, cluster, backup)
    except (CopyFailed, JournalError, OSError, sqlite3.Error, ValueError) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    return _report(head, sorted(p.name for p in backup.iterdir() if p.suffix == ".sqlite"), cluster)


def _check_copy(copy: Path, url: str, cluster: str, head: object) -> None:
    """The copy passes its chain and checkpoint and ends at the source's event."""
    from engine.store.journal import JOURNAL_FILE, Journal
    from engine.store.pg_journal import PgJournal

    with Journal.open(copy / JOURNAL_FILE, read_only=True) as journal:
        report = journal.verify()
    if not report.ok:
        raise CopyFailed(
            f"the copy fails verification at seq {report.first_bad_seq}: {report.detail}"
        )
    if report.events:
        with PgJournal.open(url, cluster, read_only=True) as source:
            original = next(source.read(report.events), None)
        if original is None or original.hash != report.head_hash:
            raise CopyFailed(f"the copy's head (seq {report.events}) is not the store's event")


def _report(head: object, files: list[str], cluster: str | None = None) -> int:
    from engine.store.chain import hex_hash

    line = {"ok": True, "events": head.seq, "head_hash": hex_hash(head.hash), "files": files}  # type: ignore[attr-defined]
    if cluster is not None:
        line["cluster"] = cluster
    print(json.dumps(line))
    return EXIT_OK
