"""``klaster replay`` and ``klaster audit verify``: check a data directory's journal.

``klaster audit verify --data DIR`` recomputes the hash chain and names the first bad event.
``klaster replay --data DIR [--config CLUSTER.toml]`` rebuilds the market from the journal
and recomputes every clearing, which must come out byte-identical. Both print one JSON line;
exit 0 when all is well, 1 when the journal fails the check, 2 for bad arguments or a data
directory without a journal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.config.cluster import ClusterError, load_cluster
from engine.config.demo import demo_cluster
from engine.market.recovery import JOURNAL_FILE, ClusterMismatch, replay_journal
from engine.market.state import ReplayMismatch
from engine.store.journal import Journal

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(commands: Any) -> None:
    """Register ``replay`` and ``audit verify`` on the ``klaster`` subparsers."""
    replay = commands.add_parser(
        "replay", help="rebuild the market from a journal and check every clearing"
    )
    replay.add_argument("--data", required=True, metavar="DIR", help="the data directory")
    replay.add_argument(
        "--config", metavar="CLUSTER.toml", help="the cluster config (default: the demo)"
    )
    audit = commands.add_parser("audit", help="check a journal")
    checks = audit.add_subparsers(dest="audit_command", required=True, metavar="CHECK")
    verify = checks.add_parser("verify", help="verify the journal's hash chain")
    verify.add_argument("--data", required=True, metavar="DIR", help="the data directory")


def _journal_path(data: str) -> Path | None:
    path = Path(data) / JOURNAL_FILE
    if not path.is_file():
        print(f"klaster: no journal at {path}", file=sys.stderr)
        return None
    return path


def run_verify(args: argparse.Namespace) -> int:
    path = _journal_path(args.data)
    if path is None:
        return EXIT_BAD_INPUT
    journal = Journal.open(path)
    try:
        report = journal.verify()
    finally:
        journal.close()
    out = {"ok": report.ok, "events": report.events, "head_hash": report.head_hash.hex()}
    if not report.ok:
        out |= {"first_bad_seq": report.first_bad_seq, "problem": str(report.problem)}
        out["detail"] = report.detail
    print(json.dumps(out))
    return EXIT_OK if report.ok else EXIT_FAILED


def run_replay(args: argparse.Namespace) -> int:
    path = _journal_path(args.data)
    if path is None:
        return EXIT_BAD_INPUT
    try:
        cluster = demo_cluster() if args.config is None else load_cluster(args.config)
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        report = replay_journal(path, cluster)
    except (ReplayMismatch, ClusterMismatch) as exc:
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
