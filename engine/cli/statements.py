"""``klaster statements export``: every connection point's statement of a period, in bulk.

``klaster statements export --data DIR [--config CLUSTER.toml | --scenario FILE] --from
INSTANT --to INSTANT [--format csv|parquet] [--out FILE]`` replays DIR's journal read-only
(the same checks as ``klaster replay``: the hash chain, the checkpoint, the cluster's
fingerprint) and writes one row per connection point and member that held it, in point
code order, of its bill on its tariffs over the intervals starting in [from, to) that the
member held it in (:mod:`engine.settlement.bills`, :mod:`engine.settlement.periods`: a point
that moved inside the period has a row under each member). A member's statement is the sum
of its rows (suppliers bill each point on its own).

Columns (:func:`columns`): ``member``, ``point``, ``tariff``, ``regime``, ``from``, ``to``
(RFC 3339 UTC), ``intervals``, ``pending`` (intervals without the point's reading, left out),
per line kind of :data:`engine.settlement.bills.LINES` ``KIND_wh`` [Wh] and ``KIND_grosz``,
``net_grosz``, ``vat_grosz``, ``gross_grosz``, ``baseline_net_grosz``, ``baseline_vat_grosz``,
``baseline_gross_grosz``, ``saving_grosz``, ``carried_grosz``, ``baseline_carried_grosz``,
``carried_wh``, the credits the period opened with (``opening_grosz``,
``baseline_opening_grosz``, ``opening_wh``) and what expired in it (``expired_grosz``,
``expired_wh``), ``sections`` (the parts billed on their own: one per configuration and
local month, :mod:`engine.settlement.periods`); every amount an integer. CSV to stdout
unless ``--out``; Parquet (pyarrow, the ``export`` extra; int64 columns) needs ``--out``.
Files appear only complete. Exit 0 written, 1 a check failed or the file could not be
written, 2 bad arguments or no journal.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli.cluster_sources import Sources, add_cluster_options, chosen

if TYPE_CHECKING:  # loaded when a command runs, not for --help
    from engine.settlement.bills import PointStatement
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
TEXT = ("member", "point", "tariff", "regime", "from", "to")


def columns() -> tuple[str, ...]:
    """The export's columns, in order (the line kinds from the bills, loaded when a
    command runs, not for --help)."""
    from engine.settlement.bills import LINES

    return (
        *TEXT, "intervals", "pending",
        *(f"{kind}_{unit}" for kind in LINES for unit in ("wh", "grosz")),
        "net_grosz", "vat_grosz", "gross_grosz", "baseline_net_grosz", "baseline_vat_grosz",
        "baseline_gross_grosz", "saving_grosz", "carried_grosz", "baseline_carried_grosz",
        "carried_wh", "opening_grosz", "baseline_opening_grosz", "opening_wh", "expired_grosz",
        "expired_wh", "sections",
    )  # fmt: skip


def add_commands(commands: Any, sources: Sources) -> None:
    """Register ``statements export`` on the ``klaster`` subparsers."""
    statements = commands.add_parser(
        "statements",
        help="export every connection point's statement of a period",
        description="Statements on the points' tariffs, from a data directory's journal.",
    )
    actions = statements.add_subparsers(dest="statements_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write every point's statement of a period as CSV or Parquet",
        description="Replay DIR's journal read-only and write one row per connection point "
        "of its bill over the intervals starting in [from, to). Exit 0 written, 1 a check "
        "failed or the file could not be written, 2 bad arguments or no journal.",
    )
    export.add_argument("--data", required=True, metavar="DIR", help="the data directory")
    export.add_argument("--from", dest="from_", required=True, type=_instant, metavar="INSTANT")
    export.add_argument("--to", required=True, type=_instant, metavar="INSTANT")
    export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    export.add_argument("--out", metavar="FILE", help="the file to write (CSV: default stdout)")
    add_cluster_options(
        export,
        sources,
        "the cluster config (default: the demo)",
        lambda name, source: f"the cluster of a journal that klaster serve --{name} wrote",
    )
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Run ``klaster statements export``; return the exit code."""
    from engine.config.cluster import ClusterError
    from engine.config.demo import demo_cluster
    from engine.market.events import EventDecodeError
    from engine.market.recovery import JOURNAL_FILE, ClusterMismatch, replayed_state
    from engine.market.state import ReplayMismatch
    from engine.store.journal import JournalCorrupt, JournalError

    if args.to <= args.from_:
        print("klaster: --to must be after --from", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "parquet" and args.out is None:
        print("klaster: --format parquet needs --out FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    path = Path(args.data) / JOURNAL_FILE
    if not path.is_file():
        print(f"klaster: no journal at {path}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        served = chosen(args)
        cluster = demo_cluster() if served is None else served.cluster
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        state = replayed_state(path, cluster)
    except JournalCorrupt as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    except (ReplayMismatch, ClusterMismatch, EventDecodeError, JournalError) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_FAILED
    length = state.cluster.interval_seconds  # never changes over a cluster's life
    first = args.from_ + (-args.from_) % length
    starts = list(range(first, args.to, length))
    rows = table(state.bill_points(starts), len(starts), args.from_, args.to)
    try:
        if args.format == "parquet":
            write_parquet(Path(args.out), rows)
        elif args.out is None:
            sys.stdout.write(csv_text(rows))
        else:
            _write_atomically(Path(args.out), csv_text(rows).encode())
    except OSError as exc:
        print(f"klaster: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def table(
    points: list[PointStatement], intervals: int, start: int, end: int
) -> list[dict[str, Any]]:
    """One row per point (see the module docstring), in point code order."""
    rows = []
    for s in points:
        row: dict[str, Any] = {
            "member": s.member_id,
            "point": s.point_id,
            "tariff": s.tariff,
            "regime": s.regime,
            "from": _iso(start),
            "to": _iso(end),
            "intervals": intervals,
            "pending": len(s.pending),
        }
        for line in s.bill.lines:
            row[f"{line.kind}_wh"], row[f"{line.kind}_grosz"] = line.wh, line.grosz
        row |= {
            "net_grosz": s.bill.net_grosz,
            "vat_grosz": s.bill.vat_grosz,
            "gross_grosz": s.bill.gross_grosz,
            "baseline_net_grosz": s.baseline.net_grosz,
            "baseline_vat_grosz": s.baseline.vat_grosz,
            "baseline_gross_grosz": s.baseline.gross_grosz,
            "saving_grosz": s.saving_grosz,
            "carried_grosz": s.carried_grosz,
            "baseline_carried_grosz": s.baseline_carried_grosz,
            "carried_wh": s.carried_wh,
            "opening_grosz": s.opening.market.deposit_grosz,
            "baseline_opening_grosz": s.opening.baseline.deposit_grosz,
            "opening_wh": s.opening.market.bank_wh,
            "expired_grosz": s.expired_grosz,
            "expired_wh": s.expired_wh,
            "sections": max(len(s.sections), 1),
        }
        rows.append(row)
    assert all(tuple(r) == columns() for r in rows), "columns() and the rows must agree"
    return rows


def csv_text(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV with the header :func:`columns`."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns(), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write the rows as Parquet: strings for :data:`TEXT`, int64 for the rest."""
    import pyarrow as pa  # the export extra: not needed to serve
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.string() if c in TEXT else pa.int64()) for c in columns()])
    by_column = {c: [r[c] for r in rows] for c in columns()}
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pydict(by_column, schema=schema), sink)
    _write_atomically(path, sink.getvalue())


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _instant(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an RFC 3339 instant such as 2026-06-01T00:00:00Z, was {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"must have a UTC offset (Z or +02:00), was {text!r}")
    seconds = int(moment.timestamp())
    if not FIRST_INSTANT_S <= seconds < END_INSTANT_S:
        raise argparse.ArgumentTypeError(f"must lie in 2000..2099, was {text!r}")
    return seconds


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
