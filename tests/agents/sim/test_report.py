"""Simulation report: the CSV tables (local ISO times across a DST change, fixed decimals,
NaN as empty), the KPIs as JSON, valid PNG plots, the text summary and column validation."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from agents.sim.report import (
    HOURLY_ABOVE,
    daily_shares,
    savings_by_kind,
    summary_lines,
    write_report,
)
from agents.sim.result import INTERVAL_COLUMNS, MEMBER_COLUMNS, SimulationResult

TZ = "Europe/Warsaw"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TABLES = ["intervals.csv", "kpis.json", "statements.csv"]
PLOTS = ["prices.png", "savings.png", "self_sufficiency.png", "volume.png"]
# agents/sim/coordinator_plots.py (battery_soc.png only with batteries)
PLOTS += ["bid_ask.png", "energy_balance.png", "price_heatmap.png", "savings_spread.png"]


def local_midnight(day: date) -> int:
    """Return the epoch [s] of local midnight of ``day`` in TZ."""
    return int(datetime.combine(day, time(), ZoneInfo(TZ)).timestamp())


def make_result(first: date = date(2026, 6, 1), days: int = 2, **kpis: Any) -> SimulationResult:
    """Return a result over ``days`` local days: every 4th interval without a trade (NaN).

    Per interval: load 5 kWh, members' import 4 kWh, export 1 kWh, so 3 kWh across the
    boundary (every day 40% self-sufficiency), local use 1 kWh (25% of the members' import
    covered locally), traded 0.5 kWh (a 12.5% traded share). Members: 2 households, 1
    business, 1 coordinator (no savings) and 1 dso (a small loss).
    """
    start, end = local_midnight(first), local_midnight(first + timedelta(days=days))
    starts = np.arange(start, end, 900, dtype=np.int64)
    n = len(starts)
    price = np.where(np.arange(n) % 4 == 0, np.nan, 412.345)
    intervals = {
        "interval_start": starts,
        "price_pln_mwh": price,
        "floor_pln_mwh": np.full(n, 250.0),
        "cap_pln_mwh": np.full(n, 900.0),
        "bid_kwh": np.full(n, 3.0),
        "ask_kwh": np.full(n, 2.0),
        "traded_kwh": np.full(n, 0.5),
        "load_kwh": np.full(n, 5.0),
        "pv_kwh": np.full(n, 2.0),
        "generation_kwh": np.zeros(n),
        "import_kwh": np.full(n, 4.0),
        "export_kwh": np.full(n, 1.0),
        "local_use_kwh": np.full(n, 1.0),
        "boundary_import_kwh": np.full(n, 3.0),
        "boundary_export_kwh": np.zeros(n),
    }
    members = {
        "member_id": ["dom-01", "dom-02", "firma-01", "koordynator", "osd"],
        "name": ["Dom 1", "Dom 2", "Firma, Żywiec", "Koordynator", "OSD"],
        "kind": ["household", "household", "business", "coordinator", "dso"],
        "strategy": ["zip", "truthful", "zi-c", "none", "none"],
        "bought_kwh": np.array([10.0, 12.5, 30.0, 0.0, 0.0]),
        "sold_kwh": np.array([20.0, 0.0, 5.25, 0.0, 0.0]),
        "shortfall_kwh": np.array([1.0, 2.0, 3.0, 0.0, -0.0001]),
        "surplus_kwh": np.array([0.5, 0.0, 0.0, 0.0, 0.0]),
        "cost_pln": np.array([-3.0, 5.0, 40.0, 0.0, 0.004]),
        "baseline_pln": np.array([2.0, 6.0, 50.0, 0.0, 0.0]),
        "savings_pln": np.array([5.0, 1.0, 10.0, 0.0, -0.004]),
        "bill_pln": np.array([1.0, 9.0, 70.0, 5.0, 0.0]),
        "bill_baseline_pln": np.array([4.0, 10.0, 80.0, 5.0, 0.0]),
        "bill_saving_pln": np.array([3.0, 1.0, 10.0, 0.0, 0.0]),
        "shared_in_kwh": np.array([0.0, 1.5, 0.0, 0.0, 0.0]),
        "shared_out_kwh": np.array([1.5, 0.0, 0.0, 0.0, 0.0]),
    }
    base = {
        "intervals": np.int64(n),
        "days": float(days),
        "import_kwh": 4.0 * n,
        "export_kwh": 1.0 * n,
        "local_use_kwh": 1.0 * n,
        "boundary_import_kwh": Decimal(3 * n),
        "boundary_export_kwh": Decimal(0),
        "traded_kwh": 0.5 * n,
        "self_sufficiency": Decimal("0.400000"),
        "import_covered_locally": Decimal("0.250000"),
        "self_consumption": Decimal("1.000000"),
        "traded_share": np.float64(0.125),
        "average_price_pln_mwh": 412.345,
        "average_cap_pln_mwh": 900.0,
        "average_floor_pln_mwh": 250.0,
        "savings_pln": 1234.567,
        "members": 5,
    }
    return SimulationResult("test", TZ, intervals, members, base | kpis)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("report") / "nested" / "dir"  # created by write_report
    return out, write_report(make_result(), out)


def test_writes_the_tables_and_plots_and_returns_them_sorted(
    report_dir: tuple[Path, list[Path]],
) -> None:
    out, written = report_dir
    assert written == [out / name for name in sorted(TABLES + PLOTS)]
    assert sorted(p.name for p in out.iterdir()) == sorted(TABLES + PLOTS)


def test_intervals_csv(report_dir: tuple[Path, list[Path]]) -> None:
    rows = read_csv(report_dir[0] / "intervals.csv")
    assert rows[0] == list(INTERVAL_COLUMNS)
    assert len(rows) == 1 + 2 * 96
    first, second = rows[1], rows[2]
    assert first[0] == "2026-06-01T00:00:00+02:00"
    assert second[0] == "2026-06-01T00:15:00+02:00"
    assert rows[-1][0] == "2026-06-02T23:45:00+02:00"
    assert first[1] == ""  # NaN price: nothing traded
    assert second[1:5] == ["412.35", "250.00", "900.00", "3.000"]  # PLN/MWh 2, kWh 3 decimals
    assert second[INTERVAL_COLUMNS.index("traded_kwh")] == "0.500"
    assert sum(row[1] == "" for row in rows[1:]) == 2 * 96 // 4


def test_intervals_csv_across_the_end_of_summer_time(tmp_path: Path) -> None:
    # 2026-10-25 in Warsaw: 02:00-02:59 twice (CEST, then CET), 100 intervals of 15 minutes.
    write_report(make_result(date(2026, 10, 25), days=1), tmp_path, plots=False)
    times = [row[0] for row in read_csv(tmp_path / "intervals.csv")[1:]]
    assert len(times) == 100
    assert times[0] == "2026-10-25T00:00:00+02:00"
    assert times[11:13] == ["2026-10-25T02:45:00+02:00", "2026-10-25T02:00:00+01:00"]
    assert times[-1] == "2026-10-25T23:45:00+01:00"
    assert [t[-6:] for t in times] == ["+02:00"] * 12 + ["+01:00"] * 88
    # The whole 25-hour day is one local day.
    days, sufficiency, covered, share = daily_shares(make_result(date(2026, 10, 24), days=3))
    assert days == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    np.testing.assert_allclose(sufficiency, 40.0)  # 1 - 3 / 5 kWh across the boundary
    np.testing.assert_allclose(covered, 25.0)
    np.testing.assert_allclose(share, 12.5)


def test_statements_csv(report_dir: tuple[Path, list[Path]]) -> None:
    rows = read_csv(report_dir[0] / "statements.csv")
    assert rows[0] == list(MEMBER_COLUMNS)
    assert len(rows) == 1 + 5
    assert (
        ",".join(rows[1])
        == "dom-01,Dom 1,household,zip,10.000,20.000,1.000,0.500,-3.00,2.00,5.00,1.00,4.00,3.00,"
        "0.000,1.500"
    )
    assert rows[3][1] == "Firma, Żywiec"  # quoted comma, UTF-8
    assert rows[5][6] == "0.000"  # -0.0001 kWh: no "-0.000"
    assert rows[5][8:] == ["0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.000", "0.000"]


def test_kpis_json_round_trips(tmp_path: Path) -> None:
    result = make_result(
        extra={"price": Decimal("412.35"), "missing": float("nan"), 7: np.int32(3)},
        flag=np.bool_(True),
        cluster="Żywiec",
    )
    write_report(result, tmp_path, plots=False)
    text = (tmp_path / "kpis.json").read_text(encoding="utf-8")
    kpis = json.loads(text)
    assert list(kpis) == list(result.kpis)  # the simulation's order, not sorted
    assert kpis["intervals"] == 192 and type(kpis["intervals"]) is int  # numpy int
    assert '"self_sufficiency": 0.4,' in text  # a rounded Decimal, as the number it is
    assert '"boundary_import_kwh": 576.0,' in text
    assert kpis["traded_share"] == 0.125
    assert kpis["extra"] == {"price": 412.35, "missing": None, "7": 3}
    assert kpis["flag"] is True
    assert kpis["cluster"] == "Żywiec" and "Żywiec" in text  # ensure_ascii off
    assert text.startswith('{\n  "intervals": 192,')  # indent 2
    assert "NaN" not in text


def test_a_figure_not_rounded_by_the_rule_is_refused_before_any_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"kpis\['ratio'\]: a Fraction must be rounded first"):
        write_report(make_result(ratio=Fraction(1, 3)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_kpi_that_is_not_json_fails_before_any_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"\['bad'\]"):
        write_report(make_result(bad=object()), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_plots_are_png_files(report_dir: tuple[Path, list[Path]]) -> None:
    for name in PLOTS:
        data = (report_dir[0] / name).read_bytes()
        assert data[:8] == PNG_MAGIC, name
        assert len(data) > 20_000, name  # a drawn figure, not an empty canvas


def test_no_plots(tmp_path: Path) -> None:
    written = write_report(make_result(), tmp_path, plots=False)
    assert [p.name for p in written] == TABLES
    assert not list(tmp_path.glob("*.png"))


def test_hourly_volume_plot_for_long_runs(tmp_path: Path) -> None:
    # 22 days cross HOURLY_ABOVE and the volume plot sums per local hour.
    result = make_result(days=22)
    assert len(result.intervals["interval_start"]) > HOURLY_ABOVE
    written = write_report(result, tmp_path)
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in written if p.suffix == ".png")


def test_savings_by_kind_drops_a_coordinator_without_savings() -> None:
    rows = savings_by_kind(make_result())
    by_kind = {kind: (n, total, mean) for kind, n, total, mean in rows}
    assert list(by_kind) == ["business", "household", "dso"]  # largest total first
    assert by_kind["household"] == (2, 6.0, 3.0)
    assert by_kind["dso"] == (1, -0.004, -0.004)  # non-zero: shown
    assert "coordinator" not in by_kind  # all zero: left out


def test_summary_lines() -> None:
    lines = summary_lines(make_result())
    assert 5 <= len(lines) <= 8
    text = "\n".join(lines)
    assert "2026-06-01 00:00 to 2026-06-03 00:00 Europe/Warsaw" in text
    assert "Intervals: 192 over 2.00 days; members: 5" in text
    assert "Traded locally: 96.0 kWh (12.5% of import)" in text
    assert "Energy: members' import 768.0 kWh, export 192.0 kWh; across the cluster " in text
    assert "boundary: import 576.0 kWh, export 0.0 kWh" in text
    assert "Self-sufficiency: 40.0% of load; self-consumption: 100.0% of generation; " in text
    assert "locally covered: 25.0% of members' import" in text
    assert "Average local price: 412.35 PLN/MWh vs retail 900.00 PLN/MWh" in text
    assert "Savings: 1,234.57 PLN in total, 246.91 PLN per member" in text


def test_summary_lines_reads_the_kpis_defensively() -> None:
    result = make_result()
    bare = SimulationResult("bare", TZ, result.intervals, result.members, {"traded_share": None})
    lines = summary_lines(bare)
    assert 5 <= len(lines) <= 8
    text = "\n".join(lines)
    assert "Self-sufficiency: n/a" in text and "Savings: n/a" in text
    odd = SimulationResult("odd", "Nowhere/Else", {}, {}, {"savings_pln": "lots"})
    assert "Savings: n/a" in "\n".join(summary_lines(odd))


@pytest.mark.parametrize(
    ("table", "column", "change"),
    [
        ("intervals", "traded_kwh", lambda c: c[:-1]),
        ("intervals", "interval_start", lambda c: c[:-1]),
        ("intervals", "local_use_kwh", None),
        ("members", "savings_pln", lambda c: c[:3]),
        ("members", "kind", lambda c: c[:-1]),
        ("members", "strategy", None),
    ],
)
def test_a_missing_or_short_column_is_named(
    tmp_path: Path, table: str, column: str, change: Any
) -> None:
    result = make_result()
    columns = dict(getattr(result, table))
    if change is None:
        del columns[column]
    else:
        columns[column] = change(columns[column])
    bad = SimulationResult(
        result.scenario,
        result.timezone,
        columns if table == "intervals" else result.intervals,
        columns if table == "members" else result.members,
        result.kpis,
    )
    with pytest.raises(ValueError, match=f"{table} column '{column}'"):
        write_report(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_finite_numbers_and_bad_times_are_refused(tmp_path: Path) -> None:
    result = make_result()
    cases = {
        "import_kwh": np.full(192, np.nan),  # NaN only means "no trade" in the price
        "price_pln_mwh": np.full(192, np.inf),
        "interval_start": result.intervals["interval_start"][::-1].copy(),
    }
    for column, values in cases.items():
        bad = SimulationResult(
            "bad", TZ, result.intervals | {column: values}, result.members, result.kpis
        )
        with pytest.raises(ValueError, match=f"'{column}'"):
            write_report(bad, tmp_path)
    with pytest.raises(ValueError, match="Nowhere/Else"):
        write_report(
            SimulationResult("bad", "Nowhere/Else", result.intervals, result.members, {}),
            tmp_path,
        )
