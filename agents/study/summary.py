"""A study's tables: one row per run, and one per cell with means and intervals over seeds.

**The interval.** For each cell (scenario, mechanism, allocation, strategy) and metric, the
``n`` seeds' values x_1..x_n give the mean m, the sample standard deviation
s = sqrt(sum (x_i - m)^2 / (n - 1)) and Student's two-sided t-interval for the mean at the
study's confidence c: m +- t_{(1+c)/2, n-1} * s / sqrt(n). It assumes the seeds' values are
independent draws from a roughly normal distribution (each seed draws its own members,
weather, forecast errors and bids); with one seed there is no interval (the bounds are
empty). A metric that is NaN in some run (an average price where nothing traded) is
averaged over the runs that have it, with that smaller n.

**The files.** ``runs.csv`` / ``runs.parquet`` (:data:`~agents.study.grid.RUN_COLUMNS`) and
``summary.csv`` / ``summary.parquet`` (:func:`summary_columns`): the cell's key, ``runs``,
then per metric ``M_mean``, ``M_sd``, ``M_ci_low``, ``M_ci_high`` and ``M_n``. CSV floats are
written with Python's shortest round-trip repr, NaN as an empty field; Parquet keeps text as
string, counts as int64 and figures as float64. Parquet needs pyarrow (the ``export``
extra).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.study.grid import KEY_COLUMNS, METRICS, RUN_COLUMNS

#: A cell of the grid: a run's key without its seed.
CELL_COLUMNS = KEY_COLUMNS[:-1]
STATS = ("mean", "sd", "ci_low", "ci_high", "n")
_TEXT = frozenset({*CELL_COLUMNS, "start"})
_COUNTS = frozenset({"seed", "days", "members", "orders", "runs"})

Row = dict[str, Any]


def summary_columns() -> tuple[str, ...]:
    """The columns of ``summary.csv``, in order."""
    return (*CELL_COLUMNS, "runs", *(f"{m}_{s}" for m in METRICS for s in STATS))


def t_interval(values: Sequence[float], confidence: float) -> tuple[float, float, float, int]:
    """Return (mean, sample sd, half-width, n) of the finite ``values``: the t-interval for
    the mean is mean +- half-width (NaN for sd and half-width when n < 2, all NaN when 0)."""
    from scipy.stats import t as student  # scipy comes with pvlib (the sim extra)

    xs = [float(v) for v in values if math.isfinite(v)]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = math.fsum(xs) / n
    if n < 2:
        return mean, math.nan, math.nan, n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(student.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, half, n


def summarise(rows: Sequence[Row], confidence: float) -> list[Row]:
    """One row per cell of ``rows`` (in the order cells first appear: the grid's), with the
    mean, sd and t-interval of every metric over the cell's seeds."""
    cells: dict[tuple, list[Row]] = {}  # insertion order: the grid's, not a set's
    for row in rows:
        cells.setdefault(tuple(row[c] for c in CELL_COLUMNS), []).append(row)
    out = []
    for key, members in cells.items():
        summary: Row = dict(zip(CELL_COLUMNS, key, strict=True))
        summary["runs"] = len(members)
        for metric in METRICS:
            mean, sd, half, n = t_interval([r[metric] for r in members], confidence)
            summary[f"{metric}_mean"] = mean
            summary[f"{metric}_sd"] = sd
            summary[f"{metric}_ci_low"] = mean - half
            summary[f"{metric}_ci_high"] = mean + half
            summary[f"{metric}_n"] = n
        out.append(summary)
    return out


def write_tables(runs: Sequence[Row], summary: Sequence[Row], out_dir: Path) -> list[Path]:
    """Write ``runs`` and ``summary`` as CSV and Parquet into ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows, columns in (
        ("runs", runs, RUN_COLUMNS),
        ("summary", summary, summary_columns()),
    ):
        csv_path, parquet_path = out_dir / f"{name}.csv", out_dir / f"{name}.parquet"
        csv_path.write_text(to_csv(rows, columns), encoding="utf-8")
        write_parquet(parquet_path, rows, columns)
        written += [csv_path, parquet_path]
    return written


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """The rows as CSV text with a header, floats as their shortest repr, NaN empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row[c]) for c in columns] for row in rows)
    return out.getvalue()


def write_parquet(path: Path, rows: Sequence[Row], columns: Sequence[str]) -> None:
    """Write the rows as Parquet: text as string, counts as int64, figures as float64."""
    import pyarrow as pa  # the export extra
    import pyarrow.parquet as pq

    def kind(column: str) -> Any:
        if column in _TEXT:
            return pa.string()
        if column in _COUNTS or column.endswith("_n"):
            return pa.int64()
        return pa.float64()

    schema = pa.schema([(c, kind(c)) for c in columns])
    table = pa.Table.from_pydict({c: [r[c] for r in rows] for c in columns}, schema=schema)
    pq.write_table(table, path)
