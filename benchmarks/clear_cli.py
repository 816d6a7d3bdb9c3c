"""``klaster clear`` as a whole process against its floor, and ``klaster --help``, in pairs.

Usage::

    python benchmarks/clear_cli.py [--rows 1000 1000000] [--pairs 5] [--before REF]

The floor is the least a Python tool that clears a CSV book must do: start, import numpy
and read the file with the stdlib ``csv`` module into a list of rows (``FLOOR``). For each
size a seeded book (``write_book``: half bids, half asks, crossing in the middle, 1000
members) is written to a temporary directory, both commands run once to warm up (numba's
cache), then ``--pairs`` times each, alternately, the order swapped every pair, so that a
machine that drifts (shared cores) drifts under both. Each run's wall time [s] comes from
``time.perf_counter`` around the process, its CPU time [s] (user + system, all threads)
and peak RSS [MiB] from ``os.wait4``; the table gives the medians and the median of the
per-pair ratios clear / floor. On a machine that others share, CPU time is the steadier
figure; the clearing runs a large book's two sides on two threads, which wall time
credits and CPU time does not.

``klaster --help`` [s] is timed the same way against ``python -c pass`` (the interpreter's
own start). ``--before REF`` adds the rows of that git ref's ``klaster`` (its tree exported
with ``git archive``), each paired with the same floor, and says whether both wrote the same
fills bytes.
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


Run = tuple[float, float, float]  # wall [s], CPU [s], peak RSS [MiB]
WALL, CPU, RSS = range(3)


def run(command: Sequence[str], tree: Path) -> Run:
    """Run ``command`` in ``tree`` (its only PYTHONPATH entry); return its figures; a
    failure stops the benchmark."""
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
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def paired(
    first: tuple[Sequence[str], Path], second: tuple[Sequence[str], Path], pairs: int
) -> tuple[list[Run], list[Run]]:
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


def ratio(a: list[Run], b: list[Run], what: int) -> float:
    """Median over the pairs of a / b of figure ``what`` (WALL, CPU or RSS)."""
    return statistics.median(x[what] / y[what] for x, y in zip(a, b, strict=True))


def median(runs: list[Run], what: int) -> float:
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
    parser.add_argument("--before", metavar="REF", help="also time this git ref's klaster")
    args = parser.parse_args(argv)
    python = sys.executable
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="clear-cli-") as tmp:
        scratch = Path(tmp)
        trees = [("this tree", TREE)]
        if args.before:
            trees.append((args.before, export(args.before, Path(tempfile.mkdtemp(dir=scratch)))))
        print(
            "\n| rows | klaster of | clear wall [s] | floor wall [s] | ratio | clear CPU [s] "
            "| floor CPU [s] | ratio | clear peak [MiB] | floor peak [MiB] | ratio |",
            flush=True,
        )
        print("|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for rows in args.rows:
            book = scratch / f"book-{rows}.csv"
            write_book(book, rows)
            floor = ([python, "-c", FLOOR, str(book)], TREE)
            fills = []
            for name, tree in trees:
                fills.append(scratch / f"fills-{len(fills)}.csv")
                clear = [python, "-m", "engine", "clear", str(book), "--out", str(fills[-1])]
                a, b = paired((clear, tree), floor, args.pairs)
                cells = [f"{rows:,}", name]
                for what, digits in ((WALL, 3), (CPU, 3), (RSS, 0)):
                    cells += [f"{median(a, what):.{digits}f}", f"{median(b, what):.{digits}f}"]
                    cells.append(f"{ratio(a, b, what):.2f}x")
                print("| " + " | ".join(cells) + " |", flush=True)
            if len(fills) == 2:  # the same fills, byte for byte, or the change is wrong
                same = fills[0].read_bytes() == fills[1].read_bytes()
                print(f"| {rows:,} | fills identical to {args.before}'s: {same} |", flush=True)
        bare = ([python, "-c", "pass"], TREE)
        print(
            "\n| klaster --help of | wall [s] | CPU [s] | python -c pass: wall [s] | CPU [s] "
            "| ratio of CPU |"
        )
        print("|:---|---:|---:|---:|---:|---:|")
        for name, tree in trees:
            a, b = paired(([python, "-m", "engine", "--help"], tree), bare, args.pairs)
            print(
                f"| {name} | {median(a, WALL):.3f} | {median(a, CPU):.3f} | {median(b, WALL):.3f} "
                f"| {median(b, CPU):.3f} | {ratio(a, b, CPU):.2f}x |"
            )


if __name__ == "__main__":
    main()
