"""The coordinator's plots (agents/sim/coordinator_plots.py): written as PNG files, drawing
the numbers they claim (daily balance, the price heat map's shape, the price axis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from agents.sim.coordinator_plots import daily_balance, price_matrix
from agents.sim.report import price_limits, write_report
from tests.agents.sim.test_report import PNG_MAGIC, make_result

NEW_PLOTS = ["bid_ask.png", "energy_balance.png", "price_heatmap.png", "savings_spread.png"]


def with_batteries(result):
    n = len(result.intervals["interval_start"])
    soc = 10.0 + 5.0 * np.sin(np.arange(n) / 10.0)
    return replace(
        result, series={"battery_soc_kwh": soc, "battery_capacity_kwh": np.full(n, 20.0)}
    )


def test_the_plots_are_written_as_png(tmp_path: Path) -> None:
    written = write_report(with_batteries(make_result()), tmp_path)
    names = {p.name for p in written}
    assert set(NEW_PLOTS) | {"battery_soc.png"} <= names
    for name in [*NEW_PLOTS, "battery_soc.png"]:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 15_000, name


def test_no_battery_plot_without_batteries(tmp_path: Path) -> None:
    write_report(make_result(), tmp_path)
    assert not (tmp_path / "battery_soc.png").exists()
    assert all((tmp_path / name).exists() for name in NEW_PLOTS)


def test_the_daily_balance_sums_each_local_day() -> None:
    days, sums = daily_balance(make_result(days=3))
    assert days == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    # 96 intervals a day: load 5, PV 2, boundary import 3, no generation or export.
    assert sums["load_kwh"].tolist() == [480.0] * 3
    assert sums["pv_kwh"].tolist() == [192.0] * 3
    assert sums["boundary_import_kwh"].tolist() == [288.0] * 3
    assert sums["generation_kwh"].tolist() == [0.0] * 3
    assert sums["boundary_export_kwh"].tolist() == [0.0] * 3


def test_the_price_heat_map_is_days_by_quarter_hours() -> None:
    days, matrix = price_matrix(make_result(days=2))
    assert len(days) == 2 and matrix.shape == (2, 96)
    # Every 4th interval had no trade: the first quarter of each hour is blank.
    assert np.isnan(matrix[:, ::4]).all()
    assert np.allclose(matrix[:, 1::4], 412.345)


def test_the_heat_map_across_the_autumn_dst_day() -> None:
    # 25 October 2026: 100 intervals; the repeated hour shares its columns.
    days, matrix = price_matrix(make_result(date(2026, 10, 24), days=3))
    assert days[1] == date(2026, 10, 25) and matrix.shape == (3, 96)


def test_the_price_axis_follows_the_prices_not_the_band() -> None:
    price = np.array([np.nan, 400.0, 450.0, 500.0])
    floor, cap = np.full(4, 250.0), np.full(4, 900.0)
    assert price_limits(price, floor, cap) == pytest.approx((390.0, 510.0))
    assert price_limits(np.full(4, 420.0), floor, cap) == pytest.approx((415.0, 425.0))
    assert price_limits(np.full(4, np.nan), floor, cap) == pytest.approx((250.0 - 65, 900.0 + 65))
