"""Print Markdown tables of benchmark medians from a pytest-benchmark JSON file.

Usage: ``python benchmarks/table.py bench.json`` after
``pytest benchmarks/ --benchmark-json=bench.json``. One row per size and case: the median
[ms] and its ratio to the fastest ``np.sort`` kind of the same size and run (1.00x = as
fast as sorting the 2n prices; the target is <= 1.00x for every mechanism's fills and the
uniform trade list). The line above the table names that kind per size and the SIMD
extensions numpy dispatched to.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

BASELINE = "np.sort"  # "np.sort:KIND" per kind; plain "np.sort" in reports before issue 15


def is_baseline(case: str) -> bool:
    return case.partition(":")[0] == BASELINE


def is_clearing(bench: dict) -> bool:
    return "test_bench_clearing" in bench["fullname"]


def medians(report: dict) -> dict[int, dict[str, float]]:
    """Map size -> case -> median [s] of the clearing rows of a pytest-benchmark report."""
    table: dict[int, dict[str, float]] = {}
    for bench in filter(is_clearing, report["benchmarks"]):
        info = bench.get("extra_info") or bench["params"]
        table.setdefault(int(info["size"]), {})[info["case"]] = bench["stats"]["median"]
    return table


def simd(report: dict) -> str | None:
    """The SIMD line a baseline row recorded, if any."""
    for bench in filter(is_clearing, report["benchmarks"]):
        line = (bench.get("extra_info") or {}).get("simd")
        if line:
            return line
    return None


def others(report: dict) -> Iterable[str]:
    """Yield a Markdown table of every other row: its name, median and extra figures."""
    rows = [b for b in report["benchmarks"] if not is_clearing(b)]
    if not rows:
        return
    yield "| benchmark | median [ms] | figures |"
    yield "|:---|---:|:---|"
    for bench in rows:
        module = bench["fullname"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        figures = ", ".join(
            f"{k}={v:,.2f}"
            if isinstance(v, float)
            else f"{k}={v:,}"
            if isinstance(v, int)
            else f"{k}={v}"
            for k, v in (bench.get("extra_info") or {}).items()
        )
        name = f"{module.removeprefix('test_bench_')}: {bench['name'].removeprefix('test_')}"
        yield f"| {name} | {bench['stats']['median'] * 1e3:.3f} | {figures} |"


def markdown(table: dict[int, dict[str, float]]) -> Iterable[str]:
    """Yield the lines of the Markdown table, sizes ascending, the baselines first; ratios
    are to the fastest baseline of the size, which the first column names."""
    yield "| orders per side | case | median [ms] | vs fastest np.sort |"
    yield "|---:|:---|---:|---:|"
    for size in sorted(table):
        cases = table[size]
        baselines = [case for case in cases if is_baseline(case)]
        fastest = min(baselines, key=cases.__getitem__) if baselines else None
        base = cases[fastest] if fastest else None
        # The baselines first, then the cases in the order they ran (the parametrization's).
        for case in sorted(cases, key=lambda case: not is_baseline(case)):
            ratio = f"{cases[case] / base:.2f}x" if base else "-"
            label = f"{case} (fastest)" if case == fastest and len(baselines) > 1 else case
            yield f"| {size:,} | {label} | {cases[case] * 1e3:.3f} | {ratio} |"


def main(argv: list[str] | None = None) -> int:
    """Read the JSON file named on the command line and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="output of pytest --benchmark-json")
    args = parser.parse_args(argv)
    report = json.loads(args.json.read_text(encoding="utf-8"))
    clearing = medians(report)
    if clearing:
        line = simd(report)
        if line:
            print(f"Baseline: np.sort of the 2n prices, the fastest kind per size; {line}\n")
        print("\n".join(markdown(clearing)))
        print()
    print("\n".join(others(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
