"""Before and after in one run: the same benchmarks on an old git ref and on this tree.

Runs are interleaved; a table puts the medians of both side by side.

Usage::

    python benchmarks/before_after.py 5adca3a [--files test_bench_engine.py ...] [-k EXPR]
        [--rounds 3] [--json-dir DIR] [--old-tree DIR] [--new-args "..."] [-- PYTEST_ARGS...]

The new tree is the one holding this script, as it is on disk (uncommitted edits included),
unless ``--new-tree`` names another. The ref is checked out into a temporary ``git worktree``
(removed at the end) unless ``--old-tree`` names an existing checkout. Then, per benchmark
file, pytest runs on the old tree, the new tree, the old, the new, ... (``--rounds`` pairs),
so that a machine that drifts (other work on shared cores) drifts under both. Each run has
its tree as working directory and as the only ``PYTHONPATH`` entry: each tree runs its own
benchmark files against its own modules (an old flat layout such as ``engine/market.py``
included), and ``klaster serve`` subprocesses import that tree, too. A file missing from one
tree has no runs there.

Every run writes ``--benchmark-json`` and its pytest output (``.log``) to ``--json-dir`` (a
new temporary directory by default). Benchmarks match by file and test name; a benchmark's
median [ms] here is the median over the rounds of pytest-benchmark's per-run median, and its
spread the range of those per-run medians over their median [%]. The table also goes to
``table.md`` in the JSON directory. Arguments after ``--`` go to pytest in both trees;
``--new-args "..."`` only to the new tree's (options that only its conftest defines, such as
``--http-requests 50``: the old tree's pytest would refuse them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDES = ("old", "new")

Key = tuple[str, str]  # (benchmark file stem, test name with parameters)


@dataclass
class Runs:
    """Per-run medians [s] of each benchmark, and the runs that failed, for one tree."""

    medians: dict[Key, list[float]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def add_worktree(repo: Path, ref: str) -> Path:
    """Check ``ref`` out, detached, into a new temporary directory; return it."""
    path = Path(tempfile.mkdtemp(prefix="klaster-before-"))
    git(repo, "worktree", "add", "--detach", str(path), ref)
    return path


def benchmark_files(trees: Iterable[Path]) -> list[str]:
    """Names of the ``test_bench_*.py`` files of any of the trees, sorted."""
    return sorted({p.name for tree in trees for p in (tree / "benchmarks").glob("test_bench_*.py")})


def run_pytest(python: str, tree: Path, file: str, out: Path, extra: list[str]) -> int:
    """Run one benchmark file of ``tree`` with its own modules; write ``out`` (JSON) and its
    output next to it (``.log``); return pytest's exit code."""
    cmd = [python, "-m", "pytest", f"benchmarks/{file}", "-p", "no:cacheprovider"]
    cmd += [f"--benchmark-json={out}", *extra]
    # The tree alone on PYTHONPATH: ahead of the venv's editable install of another tree.
    env = os.environ | {"PYTHONPATH": str(tree)}
    with open(out.with_suffix(".log"), "w") as log:
        return subprocess.run(
            cmd, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT
        ).returncode


def read_medians(path: Path, file: str, into: Runs) -> None:
    """Add each benchmark's median [s] of the JSON report ``path`` to ``into``."""
    if not path.exists():
        return
    for bench in json.loads(path.read_text(encoding="utf-8"))["benchmarks"]:
        key = (Path(file).stem, bench["name"])
        into.medians.setdefault(key, []).append(bench["stats"]["median"])


def spread(values: list[float]) -> str:
    """The range of ``values`` over their median [%], or ``-`` for a single value."""
    if len(values) < 2:
        return "-"
    return f"{(max(values) - min(values)) / statistics.median(values) * 100:.0f}%"


def milliseconds(seconds: float | None) -> str:
    """``seconds`` in ms: 3 decimals from 1 ms up, 4 significant digits below."""
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    return f"{ms:,.3f}" if ms >= 1 else f"{ms:.4g}"


def table(old: Runs, new: Runs) -> Iterable[str]:
    """Yield a Markdown table of old and new medians [ms] and their ratio, then the
    geometric mean of the ratios of the benchmarks both trees ran."""
    yield "| benchmark | old median [ms] | new median [ms] | new/old | old spread | new spread |"
    yield "|:---|---:|---:|---:|---:|---:|"
    keys = list(old.medians) + [k for k in new.medians if k not in old.medians]
    ratios = []
    for key in keys:
        o, n = old.medians.get(key, []), new.medians.get(key, [])
        om = statistics.median(o) if o else None
        nm = statistics.median(n) if n else None
        ratio = "-"
        if om and nm:
            ratios.append(nm / om)
            ratio = f"{nm / om:.2f}"
        name = f"{key[0].removeprefix('test_bench_')}: {key[1].removeprefix('test_')}"
        old_ms, new_ms = milliseconds(om), milliseconds(nm)
        yield f"| {name} | {old_ms} | {new_ms} | {ratio} | {spread(o)} | {spread(n)} |"
    if ratios:
        mean = math.exp(statistics.fmean(math.log(r) for r in ratios))
        yield ""
        yield f"Geometric mean of new/old over {len(ratios)} benchmarks: {mean:.3f}"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="Arguments after -- go to pytest in both trees."
    )
    parser.add_argument("ref", help="the old git ref (e.g. the commit before a refactoring)")
    parser.add_argument("--files", nargs="+", metavar="FILE", help="benchmark files (all)")
    parser.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k, in both trees")
    parser.add_argument("--rounds", type=int, default=1, help="old/new pairs per file (1)")
    parser.add_argument("--json-dir", type=Path, help="where the JSON goes (a temporary dir)")
    parser.add_argument("--old-tree", type=Path, help="an existing checkout of the ref")
    parser.add_argument("--new-tree", type=Path, default=HERE.parent, help="(this tree)")
    parser.add_argument("--python", default=sys.executable, help="(this interpreter)")
    parser.add_argument("--new-args", default="", help="pytest arguments for the new tree only")
    # Split at "--" by hand: argparse gives a trailing positional nothing once options
    # stand between it and the ref.
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.pytest_args = argv[cut + 1 :]
    return args


def run_interleaved(
    python: str,
    trees: dict[str, Path],
    files: list[str],
    rounds: int,
    pytest_args: dict[str, list[str]],
    out: Path,
) -> dict[str, Runs]:
    """Per file, ``rounds`` times: old, then new (each where the file exists); see the module
    docstring. Return each tree's medians and failed runs."""
    runs = {side: Runs() for side in SIDES}
    for file in files:
        for r in range(1, rounds + 1):
            for side in SIDES:
                if not (trees[side] / "benchmarks" / file).exists():
                    continue
                path = out / f"{Path(file).stem}-{side}-{r}.json"
                path.unlink(missing_ok=True)  # a failed run must not leave an old report
                t0 = time.monotonic()
                code = run_pytest(python, trees[side], file, path, pytest_args[side])
                seconds = time.monotonic() - t0
                print(f"{side} {file} round {r}: exit {code}, {seconds:.0f} s", flush=True)
                if code not in (0, 5):  # 5: -k selected nothing in this file
                    runs[side].failed.append(f"{path.with_suffix('.log')} (exit {code})")
                read_medians(path, file, runs[side])
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run the comparison (see the module docstring); return 1 if any run failed."""
    args = parse(argv)
    new_tree = args.new_tree.resolve()
    old_tree = args.old_tree.resolve() if args.old_tree else add_worktree(new_tree, args.ref)
    trees = {"old": old_tree, "new": new_tree}
    out = args.json_dir or Path(tempfile.mkdtemp(prefix="klaster-before-after-"))
    out.mkdir(parents=True, exist_ok=True)
    both = [*(["-k", args.keyword] if args.keyword else []), *args.pytest_args]
    pytest_args = {"old": both, "new": both + shlex.split(args.new_args)}
    try:
        for side, tree in trees.items():
            print(f"{side}: {tree} at {git(tree, 'rev-parse', '--short', 'HEAD')}", flush=True)
        if git(old_tree, "rev-parse", "HEAD") != git(new_tree, "rev-parse", args.ref + "^{commit}"):
            print(f"warning: {old_tree} is not at {args.ref}", flush=True)
        files = [Path(f).name for f in args.files or []] or benchmark_files(trees.values())
        runs = run_interleaved(args.python, trees, files, args.rounds, pytest_args, out)
    finally:
        if args.old_tree is None:
            git(new_tree, "worktree", "remove", "--force", str(old_tree))
    lines = list(table(runs["old"], runs["new"]))
    (out / "table.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nold = {args.ref}, new = {new_tree}; JSON and logs in {out}\n")
    print("\n".join(lines))
    failed = runs["old"].failed + runs["new"].failed
    for line in failed:
        print(f"failed: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
