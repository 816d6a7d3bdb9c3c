"""The summary over seeds, checked by hand: Student's t-interval, its columns, its files."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from agents.study.grid import METRICS, RUN_COLUMNS
from agents.study.summary import summarise, summary_columns, t_interval, to_csv, write_tables

# Student's t quantiles t_{0.975, df} from the printed tables (df = 1 and 2), to 4 decimals.
T_975_1 = 12.7062
T_975_2 = 4.3027
ROUNDING = 5e-5  # of the tables' last decimal


def row(mechanism: str, seed: int, savings: float, price: float = 500.0) -> dict:
    values = dict.fromkeys(METRICS, 1.0)
    values.update(savings_pln=savings, average_price_pln_mwh=price)
    return {
        "scenario": "small", "mechanism": mechanism, "allocation": "market",
        "strategy": "scenario", "seed": seed, "start": "2026-06-01", "days": 1,
        "members": 5, "orders": 100, **values,
    }  # fmt: skip


def test_the_t_interval_of_one_two_three_is_two_plus_minus_t_over_root_three() -> None:
    mean, sd, half, n = t_interval([1.0, 2.0, 3.0], 0.95)
    assert (mean, sd, n) == (2.0, 1.0, 3)
    assert half == pytest.approx(T_975_2 / math.sqrt(3), abs=ROUNDING)  # 2.484137...
    assert half == pytest.approx(2.48414, abs=1e-5)


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    assert t_interval([1.0, 2.0, 3.0], 0.99)[2] > t_interval([1.0, 2.0, 3.0], 0.95)[2]


def test_the_summary_has_one_row_per_cell_with_mean_sd_and_interval_per_metric() -> None:
    rows = [
        row("uniform", 1, 10.0),
        row("uniform", 2, 14.0),
        row("pay-as-bid", 1, 7.0, price=math.nan),  # nothing traded: no average price
        row("pay-as-bid", 2, 9.0),
    ]
    uniform, pay_as_bid = summarise(rows, 0.95)
    assert list(uniform) == list(summary_columns())
    assert (uniform["mechanism"], uniform["runs"]) == ("uniform", 2)
    # mean 12, sd sqrt(((10-12)^2 + (14-12)^2) / 1) = sqrt(8), sd / sqrt(2) = 2
    assert uniform["savings_pln_mean"] == 12.0
    assert uniform["savings_pln_sd"] == pytest.approx(math.sqrt(8), rel=1e-15)
    assert uniform["savings_pln_ci_low"] == pytest.approx(12.0 - 2 * T_975_1, abs=2 * ROUNDING)
    assert uniform["savings_pln_ci_high"] == pytest.approx(12.0 + 2 * T_975_1, abs=2 * ROUNDING)
    assert uniform["savings_pln_n"] == 2
    # all seeds equal: an interval of width zero
    assert uniform["allocative_efficiency_ci_low"] == uniform["allocative_efficiency_ci_high"]
    # a NaN is left out: one seed left, a mean but no interval
    assert pay_as_bid["average_price_pln_mwh_mean"] == 500.0
    assert pay_as_bid["average_price_pln_mwh_n"] == 1
    assert math.isnan(pay_as_bid["average_price_pln_mwh_ci_low"])
    assert math.isnan(pay_as_bid["average_price_pln_mwh_sd"])


def test_the_summary_columns_are_the_cell_then_five_statistics_per_metric() -> None:
    columns = summary_columns()
    assert columns[:5] == ("scenario", "mechanism", "allocation", "strategy", "runs")
    assert columns[5:10] == (
        "savings_pln_mean", "savings_pln_sd", "savings_pln_ci_low", "savings_pln_ci_high",
        "savings_pln_n",
    )  # fmt: skip
    assert len(columns) == 5 + 5 * len(METRICS)


def test_csv_writes_floats_round_trip_and_nan_empty() -> None:
    text = to_csv([row("uniform", 1, 0.1 + 0.2, price=math.nan)], RUN_COLUMNS)
    [read] = list(csv.DictReader(io.StringIO(text)))
    assert float(read["savings_pln"]) == 0.1 + 0.2
    assert read["average_price_pln_mwh"] == ""


def test_the_tables_are_written_as_csv_and_parquet_with_the_same_rows(tmp_path: Path) -> None:
    rows = [row("uniform", 1, 10.0), row("uniform", 2, 14.0)]
    summary = summarise(rows, 0.95)
    files = write_tables(rows, summary, tmp_path)
    assert sorted(p.name for p in files) == [
        "runs.csv", "runs.parquet", "summary.csv", "summary.parquet",
    ]  # fmt: skip
    runs = pq.read_table(tmp_path / "runs.parquet")
    assert runs.column_names == list(RUN_COLUMNS)
    assert str(runs.schema.field("seed").type) == "int64"
    assert str(runs.schema.field("scenario").type) == "string"
    assert runs.to_pylist() == rows
    table = pq.read_table(tmp_path / "summary.parquet").to_pylist()
    assert table[0]["savings_pln_ci_high"] == summary[0]["savings_pln_ci_high"]
    assert str(pq.read_schema(tmp_path / "summary.parquet").field("runs").type) == "int64"
