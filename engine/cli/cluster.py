"""``klaster cluster``: the configuration a data directory's journal holds, and changing it.

- ``klaster cluster apply NEW.toml --data DIR [--effective INSTANT] [--dry-run]`` reads and
  validates NEW.toml as ``klaster serve`` would (every rule of the config loader), prints
  what changes against the configuration in force at the effective instant, in plain words,
  and journals the change (:class:`~engine.market.events.ClusterChanged`): in force from
  INSTANT (RFC 3339; default the first interval that may still change), cancelling the
  orders it no longer allows. ``--dry-run`` prints only. A data directory a running server
  holds is refused naming its PID: that server takes changes through
  ``POST /v1/cluster/changes``.
- ``klaster cluster show --data DIR [--at INSTANT] [--write OUT]`` prints the configuration
  in force at INSTANT (default now) as TOML; ``--write OUT`` also writes it as
  ``OUT/cluster.toml`` with the files it names (a price band CSV), ready to edit and apply.

Exit codes: 0 done, 1 refused (the market's reason, a held directory), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded when a command runs, not for --help
    from engine.market.events import ClusterChanged
    from engine.store.journal import StoredJournal


EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(commands: Any) -> None:
    """Register ``cluster apply`` and ``cluster show`` on the ``klaster`` subparsers."""
    cluster = commands.add_parser(
        "cluster",
        help="show or change the cluster's configuration held in a data directory",
        description="The journal of a data directory is the truth about the cluster's "
        "configuration; a config file is a proposal that apply journals.",
    )
    actions = cluster.add_subparsers(dest="cluster_command", required=True, metavar="ACTION")
    apply = actions.add_parser(
        "apply",
        help="journal NEW.toml as the configuration from an interval on",
        description="Print what NEW.toml changes, validate it and journal it.",
    )
    apply.add_argument("config", metavar="NEW.toml", help="the new configuration")
    apply.add_argument("--data", required=True, metavar="DIR", help="the data directory")
    apply.add_argument(
        "--effective",
        metavar="INSTANT",
        help="an interval start, RFC 3339 (default: the first interval that may change)",
    )
    apply.add_argument("--dry-run", action="store_true", help="print the changes only")
    show = actions.add_parser(
        "show",
        help="print the configuration in force as TOML",
        description="Print the configuration in force at INSTANT (default: now) as TOML.",
    )
    show.add_argument("--data", required=True, metavar="DIR", help="the data directory")
    show.add_argument("--at", metavar="INSTANT", help="RFC 3339 (default: now)")
    show.add_argument("--write", metavar="OUT", help="also write OUT/cluster.toml and its files")


def run(args: argparse.Namespace) -> int:
    """Run ``klaster cluster ...``; return the exit code."""
    try:
        if args.cluster_command == "apply":
            effective = None if args.effective is None else parse_instant(args.effective)
            return _apply(Path(args.config), Path(args.data), effective, args.dry_run)
        at = None if args.at is None else parse_instant(args.at)
        return _show(Path(args.data), at, None if args.write is None else Path(args.write))
    except ValueError as exc:
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def parse_instant(text: str) -> int:
    """An RFC 3339 instant with an offset [s since the epoch]; ``ValueError`` otherwise."""
    from engine.model.calendar import INSTANT_RANGE, in_range

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ValueError(f"an instant must be RFC 3339 such as 2026-12-01T18:45:00Z, was {text!r}")
    seconds = int(moment.timestamp())
    if not in_range(seconds):
        raise ValueError(f"an instant must be {INSTANT_RANGE}, was {text!r}")
    return seconds


def _apply(config: Path, data: Path, effective: int | None, dry_run: bool) -> int:
    from engine.config.cluster import ClusterError, load_cluster
    from engine.market.changes import decide_change
    from engine.market.commands import ChangeCluster, Changed
    from engine.market.recovery import JOURNAL_FILE, ClusterMismatch, open_market
    from engine.market.state import ReplayMismatch
    from engine.model.rejects import Rejected
    from engine.store.journal import JournalError
    from engine.store.lock import DataDirLocked

    try:
        new = load_cluster(config)
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    if not (data / JOURNAL_FILE).exists():
        print(
            f"klaster: no journal in {data} (klaster serve --config {config} --data {data} "
            "starts one with this configuration)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        node = open_market(data, new)
    except DataDirLocked as exc:
        print(
            f"klaster: {exc}; the running server takes changes through its API: "
            "POST /v1/cluster/changes (the coordinator's token)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    except (ClusterMismatch, ReplayMismatch, JournalError) as exc:
        print(f"klaster: cannot open {data}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        market = node.market
        coordinator = market.cluster.coordinator.id
        command = ChangeCluster(coordinator, new, effective)
        if dry_run:
            decided = decide_change(market, command, market.clock.now_us() // 1_000_000)
            if isinstance(decided, Rejected):
                print(f"klaster: refused: {decided.message}", file=sys.stderr)
                return EXIT_REFUSED
            _print_changes(decided[0], decided[1])
            print("(dry run: nothing journaled)")
            return EXIT_OK
        answer = market.change_cluster(coordinator, new, effective)
        if isinstance(answer, Rejected):
            print(f"klaster: refused: {answer.message}", file=sys.stderr)
            return EXIT_REFUSED
        assert isinstance(answer, Changed)
        node.commit()
        _print_changes(answer.effective_from_s, list(answer.changes))
        print(f"journaled as event {answer.seq}")
        return EXIT_OK
    finally:
        node.close()


def _print_changes(effective: int, changes: list[str]) -> None:
    from engine.model import wording

    print(f"changes in force from {wording.instant(effective)}:")
    for line in changes:
        print(f"  {line}")


def _show(data: Path, at: int | None, write: Path | None) -> int:
    import tomli_w

    from engine.market.recovery import JOURNAL_FILE
    from engine.model import wording
    from engine.store.journal import JournalError

    path = data / JOURNAL_FILE
    if not path.exists():
        print(f"klaster: no journal in {data}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        versions = journaled_versions(path)
    except JournalError as exc:
        print(f"klaster: cannot read {data}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if not versions:
        print(
            f"klaster: the journal in {data} holds no configuration (written before they were "
            "journaled): klaster serve with the config it was written for journals it",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    now = int(datetime.now().timestamp()) if at is None else at
    in_force = [v for v in versions if v.effective_from_s <= now] or versions[:1]
    event = in_force[-1]
    since = wording.instant(event.effective_from_s)
    text = tomli_w.dumps(event.config)
    print(f"# in force from {since} (journal event {event.seq})")
    for name in event.files:
        print(f"# {name}: {len(event.files[name])} bytes in the journal (--write OUT writes it)")
    print(text, end="")
    if write is not None:
        write.mkdir(parents=True, exist_ok=True)
        (write / "cluster.toml").write_text(text, encoding="utf-8")
        for name, content in event.files.items():
            target = write / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return EXIT_OK


def journaled_versions(path: Path) -> list[ClusterChanged]:
    """The configurations in force by effective instant, as the fold keeps them (a change
    replaces those from its effective instant on); read-only, each event hash-checked."""
    from engine.store.journal import Journal

    journal = Journal.open(path, read_only=True)
    try:
        return versions_in(journal)
    finally:
        journal.close()


def versions_in(journal: StoredJournal) -> list[ClusterChanged]:
    """:func:`journaled_versions` of an open journal (a data directory's or PostgreSQL's)."""
    from engine.market.events import ClusterChanged
    from engine.market.recovery import decoded_events

    versions: list[ClusterChanged] = []
    for event in decoded_events(journal, ClusterChanged.__name__):
        versions = [v for v in versions if v.effective_from_s < event.effective_from_s]
        versions.append(event)
    return versions
