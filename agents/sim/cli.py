"""``klaster simulate``: play a scenario in accelerated time and write its report.

``klaster simulate SCENARIO [--days N] [--start DATE] [--mechanism NAME] [--allocation MODE]
[--seed S] [--group-size N] [--out DIR] [--no-plots] [--url URL [--tokens FILE]]``

``--start``, ``--days``, ``--mechanism``, ``--allocation`` and ``--seed`` override the
scenario's values without editing the file, so one scenario answers "what if the cluster
cleared pay-as-bid", "what if it shared by a key" or "how does a winter week look"; they
are checked like the file's values (exit 2 naming the field). ``--allocation`` is one of
``market``, ``key``, ``key_then_market``, ``market_then_key``
(:mod:`engine.config.sharing`): the key and its parameters come from the scenario's
``[sharing]`` table, pro rata to consumption without one; under ``key`` nobody trades.
``--mechanism`` and ``--allocation`` do not go with ``--url`` (exit 2): the server clears
and settles with its own cluster's rules, so serve a scenario file that states them.

Needs the ``sim`` extra (``pip install 'klaster[sim]'``: exit 2 naming it otherwise). Loads
the scenario (exit 2 with the file, member and field named if it is invalid), runs it
through an in-process market (:mod:`agents.sim.simulation`; on a terminal a line says so while
its clearing kernels compile, :mod:`agents.terminal`) with a progress bar on stderr, or
with ``--url`` through a live ``klaster serve --scenario SCENARIO`` over HTTP (tokens from
``data/scenario-tokens.txt`` unless ``--tokens`` says otherwise; the same scenario and seed
give the same results either way),
writes per-interval results, per-member statements, the KPIs and the plots to DIR (default
``out/<cluster id>``, :mod:`agents.sim.report`) and prints a short summary to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from agents.cli_args import integer_at_least, local_date
from agents.sim.extra import missing_extra
from agents.terminal import announced_if_slow

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
BAR_WIDTH = 30
COMPILING = "compiling the clearing kernels (first run only, up to ~30 s)"


def add_command(commands: Any) -> None:
    """Register ``simulate`` on the ``klaster`` subparsers."""
    cmd = commands.add_parser(
        "simulate",
        help="simulate a cluster scenario in accelerated time",
        description="Run a scenario (agents/scenarios/*.toml) through the market and write "
        "intervals.csv, statements.csv, kpis.json and PNG plots.",
    )
    cmd.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    cmd.add_argument(
        "--days", type=integer_at_least(1), help="days to simulate (default: the scenario's)"
    )
    cmd.add_argument(
        "--start",
        type=local_date,
        metavar="DATE",
        help="first simulated local day, YYYY-MM-DD (default: the scenario's)",
    )
    cmd.add_argument(
        "--mechanism",
        metavar="NAME",
        help="clearing mechanism: uniform, pay-as-bid, pair-midpoint or trade-reduction "
        "(default: the scenario's)",
    )
    cmd.add_argument(
        "--allocation",
        metavar="MODE",
        help="how energy is allocated: market, key, key_then_market or market_then_key "
        "(the key from the scenario's [sharing] table, pro rata without one; default: the "
        "scenario's)",
    )
    cmd.add_argument(
        "--seed", type=integer_at_least(0), help="random seed (default: the scenario's)"
    )
    cmd.add_argument(
        "--group-size",
        type=integer_at_least(1),
        metavar="N",
        help="members in each [[groups]] table",
    )
    cmd.add_argument("--out", metavar="DIR", help="output directory (default: out/CLUSTER)")
    cmd.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    cmd.add_argument("--url", help="run against a live `klaster serve --scenario SCENARIO` at URL")
    cmd.add_argument(
        "--tokens",
        default="data/scenario-tokens.txt",
        metavar="FILE",
        help="member tokens for --url (default: data/scenario-tokens.txt)",
    )


def scenario_line(scenario: Any) -> str:
    """What is simulated: every member of the cluster, as the report and ``kpis.json`` count
    them, and how many of them trade (all but the DSO, which has no connection point and only
    reads meters), the connection points and the days."""
    members, trading = len(scenario.cluster.members), len(scenario.agents)
    who = f"{members} members"
    if trading != members:
        who += f" ({trading} of them trade; the DSO does not)"
    points = len(scenario.cluster.points)
    return (
        f"{scenario.name}: {who}, {points} connection points, {scenario.days} days "
        f"from {scenario.start}"
    )


class ProgressBar:
    """Days done as a bar on a terminal, one line per tenth of the run otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.perf_counter()
        self.tty = out.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        tenth = done * 10 // total
        if not self.tty and tenth == self.shown:
            return
        self.shown = tenth
        filled = done * BAR_WIDTH // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        line = f"day {done}/{total} [{bar}] {elapsed:.1f} s"
        self.out.write(f"\r{line}" if self.tty else f"{line}\n")
        if self.tty and done == total:
            self.out.write("\n")
        self.out.flush()


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``klaster simulate``; return the exit code (``out``, ``err``: default the
    standard streams of the moment)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        from agents.sim.market_port import HttpMarket, PortError, read_tokens
        from agents.sim.report import summary_lines, write_report
        from agents.sim.scenario import ScenarioError, load_scenario
        from agents.sim.simulation import simulate
        from matching import warm_up
    except ModuleNotFoundError as exc:
        message = missing_extra(exc, "klaster simulate")
        if message is None:
            raise
        print(f"klaster: {message}", file=err)
        return EXIT_BAD_INPUT

    for option, value, what in (
        ("--mechanism", args.mechanism, "clears with the mechanism"),
        ("--allocation", args.allocation, "allocates with the sharing rules"),
    ):
        if args.url and value is not None:
            print(
                f"klaster: {option} cannot be used with --url: the server {what} of the "
                "cluster it serves",
                file=err,
            )
            return EXIT_BAD_INPUT
    try:
        scenario = load_scenario(
            args.scenario,
            days=args.days,
            seed=args.seed,
            group_size=args.group_size,
            start=args.start,
            mechanism=args.mechanism,
            allocation=args.allocation,
        )
    except ScenarioError as exc:
        print(exc, file=err)
        return EXIT_BAD_INPUT
    out_dir = Path(args.out) if args.out else Path("out") / scenario.cluster.id
    print(f"klaster: simulating {scenario_line(scenario)}", file=err)
    if not args.url:  # the market runs here: compile its kernels now, not at the first gate
        with announced_if_slow(err, COMPILING):
            warm_up()
    started = time.perf_counter()
    port = None
    try:
        if args.url:
            try:
                tokens = read_tokens(args.tokens)
            except OSError as exc:
                print(f"klaster: cannot read {args.tokens}: {exc.strerror or exc}", file=err)
                return EXIT_BAD_INPUT
            except PortError as exc:  # a line that is not "member token"
                print(f"klaster: {exc}", file=err)
                return EXIT_BAD_INPUT
            port = HttpMarket(args.url, scenario.cluster, tokens)
        result = simulate(scenario, progress=ProgressBar(err), port=port)
    except PortError as exc:
        print(f"klaster: {exc}", file=err)
        return EXIT_FAILED
    finally:
        if port is not None:
            port.close()
    seconds = time.perf_counter() - started
    try:
        files = write_report(result, out_dir, plots=not args.no_plots)
    except OSError as exc:
        print(f"klaster: cannot write {out_dir}: {exc.strerror or exc}", file=err)
        return EXIT_FAILED
    for line in summary_lines(result):
        print(line, file=out)
    print(f"simulated in {seconds:.1f} s; wrote {len(files)} files to {out_dir}", file=out)
    return EXIT_OK
