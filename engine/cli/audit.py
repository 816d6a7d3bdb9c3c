"""``klaster replay`` and ``klaster audit verify``: check a data directory's journal.

``klaster audit verify --data DIR`` recomputes the hash chain and names the first bad event.
``klaster replay --data DIR [--config CLUSTER.toml | --NAME VALUE]`` rebuilds the market from
the journal and recomputes every clearing, which must come out byte-identical; the cluster is
named as for ``klaster serve`` (:mod:`engine.cli.cluster_sources`), so a journal that
``klaster serve --scenario FILE`` wrote replays with ``--scenario FILE``. Both print one JSON
line; exit 0 when all is well, 1 when the journal fails the check, 2 for bad arguments or a
data directory without a journal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.cluster_sources import Sources, add_cluster_options, chosen, registered
from engine.config.cluster import ClusterError
from engine.config.demo import demo_cluster
from engine.market.recovery import JOURNAL_FILE, ClusterMismatch, replay_journal
from engine.market.state import ReplayMismatch
from engine.store.journal import Journal

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(commands: Any, sources: Sources | None = None) -> None:
    """Register ``replay`` and ``audit verify`` on the ``klaster`` subparsers; ``replay``
    takes an option for each of ``sources`` (default: the registered ones)."""
    replay = commands.add_parser(
        "replay", help="rebuild the market from a journal and check every clearing"
    )
    replay.add_argument("--data", required=True, metavar="DIR", help="the data directory")
    add_cluster_options(
        replay,
        registered() if sources is None else sources,
        "the cluster config (default: the demo)",
        lambda name, source: (
            f"the cluster of a journal that klaster serve --{name} {source.metavar} wrote"
        ),
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
        served = chosen(args)
        cluster = demo_cluster() if served is None else served.cluster
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
