"""The ``klaster`` command line.

``klaster clear BOOK.csv`` clears one call auction read from CSV (format in
``engine.cli.book_csv``) and writes one fill row per input order, in input order, as
``order_id,member,side,filled_kwh,price_pln_mwh`` to ``--out`` or stdout, plus a one-line JSON
summary on stderr. ``price_pln_mwh`` of an order is its volume-weighted average fill price,
rounded half to even to 0.01 PLN/MWh, empty when nothing filled.

The other commands live in their own modules (``serve``, ``members``, ``replay``, ``audit``,
``backup``/``restore``);
packages that use the market add theirs through entry points (:mod:`engine.cli.plugins`: the
agents' ``simulate`` and ``loadtest``), so the engine imports none of them.

Exit codes of ``clear``: 0 cleared; 2 bad arguments or a malformed or unreadable book
(``BOOK.csv:LINE: reason`` on stderr); 1 the output could not be written. Nothing is written
on failure, and ``--out`` appears only complete (temp file, then rename).

Every command: a reader that closes stdout early (``klaster members list | head -1``) ends the
command quietly with exit code 1, the output that could not be written (no traceback; what
the Python docs' "Note on SIGPIPE" in :mod:`signal` does). ``klaster --version`` prints the
installed distribution's version (:mod:`engine.cli.version`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli import audit as cli_journal
from engine.cli import backup as cli_backup
from engine.cli import cluster as cli_cluster
from engine.cli import member_tokens as cli_members
from engine.cli import serve
from engine.cli import statements as cli_statements
from engine.cli.cluster_sources import registered
from engine.cli.plugins import COMMANDS_GROUP, loaded
from matching.mechanisms import MECHANISMS, RATIONING

# csv, json, tempfile and matching.units (decimal, fractions) load where `clear` uses them:
# `klaster --help` needs none of them.

if TYPE_CHECKING:  # numpy and numba load only when a book is cleared
    from engine.cli.book_csv import OrderRow
    from matching.result import ClearingResult

FILLS_HEADER = ("order_id", "member", "side", "filled_kwh", "price_pln_mwh")
EXIT_OK, EXIT_WRITE_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _k_value(text: str) -> float:
    from matching.units import k_to_ppm

    try:
        k = float(text)
        k_to_ppm(k)  # the same validation clear() applies, but reported as a usage error
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a number in [0, 1], was {text!r}") from None
    return k


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked (``--help`` need not)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        from engine.cli.version import version_text

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``klaster`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="klaster",
        description="Peer-to-peer local energy trading for an energy cluster.",
        epilog="klaster COMMAND --help tells more about a command.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    clear_cmd = commands.add_parser(
        "clear",
        help="clear one call auction from a CSV book",
        description="Clear the orders of BOOK.csv (order_id,member,side,price,quantity; "
        "price [PLN/MWh], quantity [kWh]) and write one fill row per order.",
    )
    clear_cmd.add_argument("book", metavar="BOOK.csv", help="the orders to clear")
    clear_cmd.add_argument(
        "--mechanism", choices=MECHANISMS, default="uniform", help="see matching/SPEC.md"
    )
    clear_cmd.add_argument(
        "--k",
        type=_k_value,
        default=0.5,
        help="uniform price position in the competitive interval, 0 = lower, 1 = upper",
    )
    clear_cmd.add_argument(
        "--rationing",
        choices=RATIONING,
        default="pro-rata",
        help="how orders at the marginal price share what is left",
    )
    clear_cmd.add_argument("--out", metavar="FILLS.csv", help="write fills here, not stdout")
    sources = registered()  # read once: a broken one is reported once
    cli_journal.add_commands(commands, sources)
    cli_members.add_commands(commands)
    cli_backup.add_commands(commands)
    cli_statements.add_commands(commands, sources)
    cli_cluster.add_commands(commands)
    serve.add_command(commands, sources)
    _add_plugin_commands(commands)
    return parser


def _add_plugin_commands(commands: Any) -> None:
    """Register the commands other packages add (``klaster simulate``, ``klaster loadtest``:
    :mod:`engine.cli.plugins`); each one's subparser remembers its ``run``."""
    for name, plugin in loaded(COMMANDS_GROUP):
        if name in commands.choices:  # a plugin cannot replace a built-in command
            print(f"klaster: ignoring plugin command {name!r}: the name is taken", file=sys.stderr)
            continue
        plugin.add_command(commands)
        if name not in commands.choices:
            print(f"klaster: plugin command {name!r} registered no such command", file=sys.stderr)
            continue
        commands.choices[name].set_defaults(run=plugin.run)


def _price_text(value: int, filled: int) -> str:
    """Average price [PLN/MWh] of ``value`` [Wh*tick] over ``filled`` [Wh]; empty if none."""
    from matching.units import PLN_MWH_DECIMALS, TICKS_PER_PLN_MWH, ratio_to_decimal_text

    if filled == 0:
        return ""
    return ratio_to_decimal_text(value, filled * TICKS_PER_PLN_MWH, PLN_MWH_DECIMALS)


def format_fills(rows: Sequence[OrderRow], result: ClearingResult) -> str:
    """Render the fills CSV: one row per input order, in input order."""
    import csv
    import io

    from matching.units import KWH_DECIMALS, int_to_decimal_text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FILLS_HEADER)
    for row in rows:
        if row.side == "buy":
            filled, value = result.bid_filled[row.index], result.bid_value[row.index]
        else:
            filled, value = result.ask_filled[row.index], result.ask_value[row.index]
        filled, value = int(filled), int(value)
        writer.writerow(
            (
                row.order_id,
                row.member,
                row.side,
                int_to_decimal_text(filled, KWH_DECIMALS),
                _price_text(value, filled),
            )
        )
    return out.getvalue()


def _json_price(ticks: int | None) -> str:
    from matching.units import PLN_MWH_DECIMALS, int_to_decimal_text

    return "null" if ticks is None else int_to_decimal_text(ticks, PLN_MWH_DECIMALS)


def format_summary(result: ClearingResult) -> str:
    """Render the one-line JSON summary.

    Built by hand rather than with ``json.dumps`` of floats so that numbers keep their fixed
    decimals exactly (``412.50``, ``1.250``) and no float ever rounds a price.
    """
    import json

    from matching.units import KWH_DECIMALS, int_to_decimal_text

    fields = {
        "mechanism": json.dumps(result.mechanism),
        "price_pln_mwh": _json_price(result.price),
        "volume_kwh": int_to_decimal_text(result.volume, KWH_DECIMALS),
        "trades": str(len(result.trades) if result.trades is not None else 0),
    }
    if result.mechanism == "trade-reduction":
        fields["buyer_price_pln_mwh"] = _json_price(result.buyer_price)
        fields["seller_price_pln_mwh"] = _json_price(result.seller_price)
    return "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + "}"


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (bytes: already UTF-8) to ``path`` so that readers see either nothing
    or all of it."""
    import tempfile

    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        umask = os.umask(0)  # mkstemp makes 0600; give the file the usual 0666 & ~umask
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def run_clear(args: argparse.Namespace) -> int:
    """Run ``klaster clear``; return the exit code.

    A plain book (:mod:`engine.cli.book_columns`) is read and its fills written by numba
    kernels; any other file by :mod:`engine.cli.book_csv` and :func:`format_fills`, which
    also name the first bad line of an invalid one. Both give the same bytes."""
    from engine.cli.book_columns import plain_fills, read_plain_book
    from engine.cli.book_csv import BookCsvError, read_book_csv
    from matching.clearing import clear

    try:
        plain = read_plain_book(Path(args.book).read_bytes())
        if plain is None:
            book, rows = read_book_csv(args.book)
        else:
            book, rows = plain.book, []  # its fills come from plain_fills
    except BookCsvError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"klaster: cannot read {args.book}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    result = clear(book, args.mechanism, k=args.k, rationing=args.rationing, trades=True)
    fills = format_fills(rows, result) if plain is None else plain_fills(plain, result)
    summary = format_summary(result)

    if args.out is None:
        _write_stdout(fills)
    else:
        try:
            write_atomically(Path(args.out), fills)
        except OSError as exc:
            print(f"klaster: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_WRITE_FAILED
    print(summary, file=sys.stderr)
    return EXIT_OK


def _write_stdout(fills: str | bytes) -> None:
    """Write ``fills`` (bytes: UTF-8) to stdout as ``sys.stdout.write`` of its text would."""
    if isinstance(fills, bytes):
        binary = getattr(sys.stdout, "buffer", None)
        utf8 = (sys.stdout.encoding or "").lower().replace("_", "-") in ("utf-8", "utf8")
        if binary is not None and (utf8 or fills.isascii()):
            sys.stdout.flush()  # whatever the text layer holds goes first
            binary.write(fills)
            return
        fills = fills.decode("utf-8")
    sys.stdout.write(fills)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``klaster`` console script; return the exit code."""
    try:
        try:
            return _run(argv)
        finally:  # also after argparse's exit (--help): a closed pipe shows here, not at exit
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): what was left to print has nowhere to go. Point
        # stdout at /dev/null so that the interpreter's own flush at exit finds no pipe
        # either (the recipe of the signal module's "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_WRITE_FAILED


def _run(argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the command it names; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "clear":
        return run_clear(args)
    if args.command == "replay":
        return cli_journal.run_replay(args)
    if args.command == "audit":
        return cli_journal.run_audit(args)
    if args.command == "members":
        return cli_members.run(args)
    if args.command == "backup":
        return cli_backup.run_backup(args)
    if args.command == "restore":
        return cli_backup.run_restore(args)
    if args.command == "serve":
        return serve.run(args)
    if args.command == "cluster":
        return cli_cluster.run(args)
    run = getattr(args, "run", None)
    if run is not None:
        return run(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse limits the choices
