"""``klaster study``: run a grid of simulations and compare them over seeds.

``klaster study STUDY.toml [--workers N | --ray-address ADDRESS] [--out DIR] [--no-plots]``

Reads and checks the study (:mod:`agents.study.spec`; exit 2 naming the file and field),
runs every scenario x mechanism x allocation x strategy x seed (:mod:`agents.study.grid`)
on ``N`` local processes (default: every core; 1: in this process) or as Ray tasks on the
cluster at ``ADDRESS`` (``local``: start one here; :mod:`agents.study.execute`), with a
line per finished run on stderr, then writes to DIR (default ``out/study-<file stem>``)
``runs.csv``/``.parquet``, ``summary.csv``/``.parquet`` (means and t-intervals over seeds,
:mod:`agents.study.summary`) and the comparison plots (:mod:`agents.study.plots`), and prints
one line per cell. The same study gives the same tables on one process, many, or Ray.

Needs the ``sim`` extra, pyarrow (the ``export`` extra) for Parquet and, for
``--ray-address``, the ``ray`` extra; a missing one is named (exit 2) before any run.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from agents.cli_args import integer_at_least

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_command(commands: Any) -> None:
    """Register ``study`` on the ``klaster`` subparsers."""
    cmd = commands.add_parser(
        "study",
        help="run a grid of scenario simulations and compare them over seeds",
        description="Run every scenario x mechanism x allocation x strategy x seed of "
        "STUDY.toml (agents/studies/*.toml) and write runs and summary tables (CSV, "
        "Parquet) with t-intervals over seeds, and comparison plots.",
    )
    cmd.add_argument("study", metavar="STUDY", help="study TOML file")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=integer_at_least(1),
        metavar="N",
        help="local processes (default: every core; 1: run in this process)",
    )
    where.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="run on the Ray cluster at ADDRESS (e.g. ray://head:10001, auto; local: "
        "start one on this machine); needs pip install 'klaster[ray]'",
    )
    cmd.add_argument("--out", metavar="DIR", help="output directory (default: out/study-STEM)")
    cmd.add_argument("--no-plots", action="store_true", help="write no PNG plots")


def _missing(args: argparse.Namespace) -> str | None:
    """The message naming a missing extra this run needs, or None."""
    from agents.sim.extra import missing_extra

    try:
        import scipy.stats  # noqa: F401  (comes with pvlib)

        import agents.sim.simulation  # noqa: F401  (the sim extra)
    except ModuleNotFoundError as exc:
        message = missing_extra(exc, "klaster study")
        if message is None and exc.name == "scipy":
            message = "klaster study needs scipy: pip install 'klaster[sim]'"
        if message is None:
            raise
        return message
    needs = [("pyarrow", "export", "the Parquet tables")]
    if args.ray_address:
        needs.append(("ray", "ray", "--ray-address"))
    for module, extra, why in needs:
        try:
            __import__(module)
        except ModuleNotFoundError:
            return (
                f"klaster study needs {module} for {why}: pip install 'klaster[{extra}]' "
                f"(from a checkout: pip install -e '.[{extra}]')"
            )
    return None


def _progress(err: TextIO, started: float) -> Any:
    def report(done: int, total: int, row: dict[str, Any]) -> None:
        print(
            f"run {done}/{total} ({time.perf_counter() - started:.1f} s): {row['scenario']} "
            f"{row['mechanism']} {row['allocation']} {row['strategy']} seed {row['seed']}: "
            f"savings {row['savings_pln']:,.2f} PLN, allocative efficiency "
            f"{row['allocative_efficiency']:.1%}",
            file=err,
            flush=True,
        )

    return report


def _pm(mean: float, low: float, spec: str) -> str:
    if math.isnan(mean):
        return "n/a"
    half = "" if math.isnan(low) else f" ± {mean - low:{spec}}"
    return f"{mean:{spec}}{half}"


def cell_lines(summary: list[dict[str, Any]], confidence: float) -> list[str]:
    """One line per cell: savings and allocative efficiency, mean ± half the interval."""
    lines = []
    for r in summary:
        e = r["allocative_efficiency_mean"], r["allocative_efficiency_ci_low"]
        lines.append(
            f"{r['scenario']} / {r['mechanism']} / {r['allocation']} / {r['strategy']} "
            f"({r['runs']} seeds): savings "
            f"{_pm(r['savings_pln_mean'], r['savings_pln_ci_low'], ',.2f')} PLN, "
            f"allocative efficiency {_pm(e[0] * 100, e[1] * 100, '.2f')}%, "
            f"gains from trade lost "
            f"{_pm(r['lost_surplus_pln_mean'], r['lost_surplus_pln_ci_low'], ',.2f')} PLN"
        )
    lines.append(f"(mean ± half of the {confidence:.0%} t-interval over seeds)")
    return lines


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``klaster study``; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    message = _missing(args)
    if message is not None:
        print(f"klaster: {message}", file=err)
        return EXIT_BAD_INPUT
    from agents.study.execute import run_pool, run_ray
    from agents.study.grid import runs
    from agents.study.plots import write_plots
    from agents.study.spec import StudyError, load_study
    from agents.study.summary import summarise, write_tables

    try:
        study = load_study(args.study)
    except StudyError as exc:
        print(exc, file=err)
        return EXIT_BAD_INPUT
    out_dir = Path(args.out) if args.out else Path("out") / f"study-{Path(args.study).stem}"
    grid = runs(study)
    where = (
        f"on Ray at {args.ray_address}"
        if args.ray_address
        else f"on {args.workers or os.cpu_count() or 1} local processes"
    )
    print(f"klaster: study {study.name}: {len(grid)} runs {where}", file=err)
    started = time.perf_counter()
    progress = _progress(err, started)
    if args.ray_address:
        try:
            rows = run_ray(grid, args.ray_address, progress)
        except ConnectionError as exc:  # no Ray cluster at that address
            print(f"klaster: cannot reach Ray at {args.ray_address}: {exc}", file=err)
            return EXIT_FAILED
    else:
        rows = run_pool(grid, args.workers or os.cpu_count() or 1, progress)
    seconds = time.perf_counter() - started
    summary = summarise(rows, study.confidence)
    try:
        files = write_tables(rows, summary, out_dir)
        if not args.no_plots:
            files += write_plots(summary, study.name, study.confidence, out_dir)
    except OSError as exc:
        print(f"klaster: cannot write {out_dir}: {exc.strerror or exc}", file=err)
        return EXIT_FAILED
    for line in cell_lines(summary, study.confidence):
        print(line, file=out)
    print(
        f"ran {len(rows)} runs in {seconds:.1f} s; wrote {len(files)} files to {out_dir}", file=out
    )
    return EXIT_OK
