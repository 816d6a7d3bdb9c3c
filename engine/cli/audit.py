"""``klaster replay``, ``klaster audit verify`` and ``klaster audit head``: check a data
directory's journal, without writing to it.

``klaster audit verify --data DIR`` recomputes the hash chain, compares its end with the
journal's checkpoint and names the first bad event.
``klaster audit head --data DIR`` prints the head: the last event's seq, hash and time,
for a coordinator to publish outside the data directory (statements, the dashboard). It
reads two rows: it refuses a last event that is not the checkpoint, but does not recompute
the chain (``verify`` does). Whoever rewrites the journal as a whole, hashes and checkpoint
included, passes ``verify`` and a restart; only a head published before shows it.
``klaster replay --data DIR [--config CLUSTER.toml | --NAME VALUE]`` makes the same checks
while it rebuilds the market from the journal, and recomputes every clearing, which must come
out byte-identical; the cluster is named as for ``klaster serve``
(:mod:`engine.cli.cluster_sources`), so a journal that ``klaster serve --scenario FILE``
wrote replays with ``--scenario FILE``.

Each takes ``--store URL`` in place of ``--data DIR`` for a journal in PostgreSQL
(:mod:`engine.cli.store_option`); ``audit`` then takes ``--cluster ID`` (default: the
demo's), ``replay`` the cluster's id from its config.

All print one JSON line; a journal that fails the chain or the checkpoint gives ``{"ok":
false, "events", "head_hash", "first_bad_seq", "problem", "detail"}`` from all three. Exit 0
when all is well, 1 when the journal fails the check, 2 for bad arguments or a data directory
without a journal.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded when a command runs, not for --help
    from engine.store.chain import VerifyReport
    from engine.store.journal import StoredJournal
    from engine.store.place import Store
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.cli.cluster_sources import Sources, add_cluster_options, chosen, registered
from engine.cli.store_option import add_data_or_store, store_of

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def add_commands(commands: Any, sources: Sources | None = None) -> None:
    """Register ``replay``, ``audit verify`` and ``audit head`` on the ``klaster``
    subparsers; ``replay`` takes an option for each of ``sources`` (default: the registered
    ones)."""
    replay = commands.add_parser(
        "replay",
        help="rebuild the market from a journal and check every clearing",
        description="Rebuild the market from DIR's journal, checking its hash chain and "
        "checkpoint, and clear every gate again: each clearing must come out byte-identical. "
        "Writes nothing; prints one JSON line. Exit 0 all well, 1 a check failed, 2 no "
        "journal or bad arguments.",
    )
    add_data_or_store(replay)
    add_cluster_options(
        replay,
        registered() if sources is None else sources,
        "the cluster config (default: the demo)",
        lambda name, source: (
            f"the cluster of a journal that klaster serve --{name} {source.metavar} wrote"
        ),
    )
    audit = commands.add_parser(
        "audit",
        help="check a journal's hash chain, or print its head",
        description="Check a data directory's journal without writing to it; each CHECK "
        "prints one JSON line. Exit 0 all well, 1 the journal fails, 2 no journal.",
    )
    checks = audit.add_subparsers(dest="audit_command", required=True, metavar="CHECK")
    verify = checks.add_parser(
        "verify",
        help="verify the journal's hash chain and checkpoint",
        description="Recompute the journal's hash chain, compare its end with the "
        "checkpoint and name the first bad event.",
    )
    head = checks.add_parser(
        "head",
        help="print the journal's head (seq, hash, time) to publish",
        description="Print the last event's seq, hash and time, for publishing outside "
        "the data directory; refuses a last event that is not the checkpoint (verify "
        "recomputes the whole chain).",
    )
    for check in (verify, head):
        add_data_or_store(check)
        check.add_argument(
            "--cluster",
            metavar="ID",
            help="with --store: the cluster whose journal to check (default: the demo's)",
        )


def run_audit(args: argparse.Namespace) -> int:
    """Run ``klaster audit CHECK``; return the exit code."""
    return {"verify": run_verify, "head": run_head}[args.audit_command](args)


def run_verify(args: argparse.Namespace) -> int:
    from engine.store.journal import JournalError

    journal = _open(args)
    if isinstance(journal, int):
        return journal
    try:
        report = journal.verify()
    except JournalError as exc:  # e.g. its checkpoint row deleted meanwhile
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        journal.close()
    print(json.dumps(report_json(report)))
    return EXIT_OK if report.ok else EXIT_FAILED


def run_head(args: argparse.Namespace) -> int:
    from engine.store.chain import EMPTY_HEAD, Head, VerifyReport, checkpoint_fault, hex_hash
    from engine.store.journal import JournalError

    journal = _open(args)
    if isinstance(journal, int):
        return journal
    try:
        last, checkpoint = journal.stored_head()
    except JournalError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        journal.close()
    head = EMPTY_HEAD if last is None else Head(last.seq, last.hash)
    fault = checkpoint_fault(head, checkpoint)
    if fault is not None:
        print(json.dumps(report_json(VerifyReport(False, head.seq, head.hash, *fault))))
        return EXIT_FAILED
    ts = None if last is None else _iso(last.ts_us)
    print(json.dumps({"seq": head.seq, "hash": hex_hash(head.hash), "ts": ts}))
    return EXIT_OK


def run_replay(args: argparse.Namespace) -> int:
    from engine.config.cluster import ClusterError
    from engine.config.demo import demo_cluster
    from engine.market.events import EventDecodeError
    from engine.market.recovery import ClusterMismatch, replay_journal
    from engine.market.state import ReplayMismatch
    from engine.store.journal import JournalCorrupt, JournalError

    try:
        served = chosen(args)
        cluster = demo_cluster() if served is None else served.cluster
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    store = _store_with_journal(args, cluster.id)
    if isinstance(store, int):
        return store
    try:
        report = replay_journal(store, cluster)
    except JournalCorrupt as exc:
        print(json.dumps(report_json(exc.report)))
        return EXIT_FAILED
    except (ReplayMismatch, ClusterMismatch, EventDecodeError, JournalError) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    print(
        json.dumps(
            {
                "ok": True,
                "events": report.events,
                "orders": report.orders,
                "gate_closures_reproduced": report.gate_closures,
            }
        )
    )
    return EXIT_OK


def report_json(report: VerifyReport) -> dict[str, Any]:
    """A check's result as the commands print it."""
    from engine.store.chain import hex_hash

    out: dict[str, Any] = {
        "ok": report.ok,
        "events": report.events,
        "head_hash": hex_hash(report.head_hash),
    }
    if not report.ok:
        out |= {"first_bad_seq": report.first_bad_seq, "problem": str(report.problem)}
        out["detail"] = report.detail
    return out


def _store_with_journal(args: argparse.Namespace, cluster_id: str) -> Store | int:
    """The store the options name if it holds the cluster's journal, or the exit code after
    saying why not (2: no such journal or a bad ``--store``; 1: the store cannot be read)."""
    from engine.store.journal import JournalError

    store = store_of(args)
    if store is None:
        return EXIT_BAD_INPUT
    try:
        missing = store.missing_journal(cluster_id)
    except JournalError as exc:  # PostgreSQL cannot be reached
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if missing is not None:
        print(f"klaster: {missing}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return store


def _open(args: argparse.Namespace) -> StoredJournal | int:
    """The journal the options name, read-only, or the exit code after saying why not."""
    import sqlite3

    from engine.config.demo import demo_cluster
    from engine.store.journal import JournalError

    cluster_id = args.cluster or demo_cluster().id
    store = _store_with_journal(args, cluster_id)
    if isinstance(store, int):
        return store
    try:
        return store.open_journal(cluster_id, read_only=True)
    except (JournalError, sqlite3.DatabaseError) as exc:  # not a journal, not SQLite
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _iso(ts_us: int) -> str:
    """``ts_us`` [us since the epoch, UTC] as ISO 8601 with microseconds and ``Z``."""
    return (EPOCH + timedelta(microseconds=ts_us)).isoformat().replace("+00:00", "Z")
