"""``klaster clear`` as a whole process against its floor, and ``klaster --help``, in pairs.

Usage::

    python benchmarks/clear_cli.py [--rows 1000 1000000] [--pairs 5] [--before REF]

The floor is the least a Python tool that clears a CSV book must do: start, import numpy
and read the file with the stdlib ``csv`` module into a list of rows (``FLOOR``). For each
size a seeded book (``write_book``: half bids, half asks, crossing in the middle, 1000
members) is written to a temporary directory, both commands run once to warm up (numba's
cache), then ``--pairs`` times each, alternately, the order swapped every pair, so that a
machine that drifts (shared cores) drifts under both. Each run's wall time [s] comes from
``time.perf_counter`` around the process and its peak RSS [MiB] from ``os.wait4``; the
table gives the medians and the median of the per-pair ratios clear / floor.

``klaster --help`` [s] is timed the same way against ``python -c pass`` (the interpreter's
own start), and, with ``--before REF``, against ``klaster --help`` of that git ref (its
tree exported with ``git archive``) in the same pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

TREE = Path(__file__).resolve().parent.parent
SEED = 20250515
MEMBERS = 1000
FLOOR = """
import csv, sys
import numpy
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
"""


def write_book(path: Path, rows: int, seed: int = SEED) -> None:
    """Write a book of ``rows`` orders: sides at random, bid prices in 100.00..1000.00
    PLN/MWh, asks in 0.00..900.00, quantities 0.001..2.000 kWh, members at random."""
    rng = np.random.default_rng([seed, rows])
    sell = rng.integers(0, 2, rows).astype(bool)
    ticks = np.where(sell, rng.integers(0, 90_001, rows), rng.integers(10_000, 100_001, rows))
    wh = rng.integers(1, 2_001, rows)
    member = rng.integers(0, MEMBERS, rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("order_id,member,side,price,quantity\n")
        f.writelines(
            f"o{i},member-{m},{'sell' if s else 'buy'},{t // 100}.{t % 100:02d},"
            f"{q // 1000}.{q % 1000:03d}\n"
            for i, (s, t, q, m) in enumerate(
                zip(sell.tolist(), ticks.tolist(), wh.tolist(), member.tolist(), strict=True)
            )
        )


def run(command: Sequence[str], tree: Path) -> tuple[float, float]:
    """Run ``command`` in ``tree`` (its only PYTHONPATH entry); return (wall [s], peak RSS
    [MiB]); a failure stops the benchmark."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def paired(
    first: tuple[Sequence[str], Path], second: tuple[Sequence[str], Path], pairs: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Run both commands once to warm up, then ``pairs`` times each, alternately."""
    run(*first), run(*second)
    a, b = [], []
    for pair in range(pairs):
        if pair % 2 == 0:
            a.append(run(*first))
            b.append(run(*second))
        else:
            b.append(run(*second))
            a.append(run(*first))
    return a, b


def ratio(a: list[tuple[float, float]], b: list[tuple[float, float]], what: int) -> float:
    """Median over the pairs of a / b of figure ``what`` (0 wall, 1 peak RSS)."""
    return statistics.median(x[what] / y[what] for x, y in zip(a, b, strict=True))


def median(runs: list[tuple[float, float]], what: int) -> float:
    return statistics.median(r[what] for r in runs)


def export(ref: str, into: Path) -> Path:
    """The tree of git ``ref``, exported into ``into``."""
    archive = subprocess.run(["git", "archive", ref], cwd=TREE, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--before", metavar="REF", help="also time --help of this git ref")
    args = parser.parse_args(argv)
    python = sys.executable
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="clear-cli-") as tmp:
        scratch = Path(tmp)
        print(
            "\n| rows | klaster clear [s] | floor [s] | ratio | clear [MiB] | floor [MiB] | ratio |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for rows in args.rows:
            book = scratch / f"book-{rows}.csv"
            write_book(book, rows)
            clear = (
                [python, "-m", "engine", "clear", str(book), "--out", str(scratch / "o")],
                TREE,
            )
            floor = ([python, "-c", FLOOR, str(book)], TREE)
            a, b = paired(clear, floor, args.pairs)
            print(
                f"| {rows:,} | {median(a, 0):.3f} | {median(b, 0):.3f} | {ratio(a, b, 0):.2f}x "
                f"| {median(a, 1):.0f} | {median(b, 1):.0f} | {ratio(a, b, 1):.2f}x |"
            )
        bare = ([python, "-c", "pass"], TREE)
        trees = [("this tree", TREE)]
        if args.before:
            trees.append((args.before, export(args.before, Path(tempfile.mkdtemp(dir=scratch)))))
        print("\n| klaster --help | [s] | python -c pass [s] | difference [s] |")
        print("|:---|---:|---:|---:|")
        for name, tree in trees:
            a, b = paired(([python, "-m", "engine", "--help"], tree), bare, args.pairs)
            diffs = statistics.median(x[0] - y[0] for x, y in zip(a, b, strict=True))
            print(f"| {name} | {median(a, 0):.3f} | {median(b, 0):.3f} | {diffs:.3f} |")


if __name__ == "__main__":
    main()
