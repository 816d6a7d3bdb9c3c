"""The coordinator's plots of a simulation run, beside :mod:`agents.sim.report`'s four:

- ``energy_balance.png``: per local day, where the members' energy came from (PV,
  dispatchable generation, import across the cluster boundary) stacked above zero and where
  it went (load, export across the boundary) stacked below [kWh]; batteries and forecast
  errors make the two sides differ a little;
- ``bid_ask.png``: energy bid against energy asked per interval, with what was traded [kWh]
  (hourly sums above :data:`agents.sim.report.HOURLY_ABOVE` intervals);
- ``savings_spread.png``: the spread of savings across the members of each kind [PLN]
  (box plots: quartiles, whiskers at 1.5 IQR, every member as a dot);
- ``price_heatmap.png``: the local clearing price by local day (rows) and time of day
  (columns, one per interval of the day) [PLN/MWh]; blank where nothing traded;
- ``battery_soc.png``: the batteries' summed state of charge against their capacity [kWh],
  written only when the cluster has batteries.

Each plot's data comes from a public function (:func:`daily_balance`, :func:`price_matrix`),
so tests check the numbers a plot draws, not its pixels. Drawn on Agg figures as the
report's are (no pyplot, no window).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np

from agents.sim.report import (
    _SIZE,
    HOURLY_ABOVE,
    OPTIONAL_KINDS,
    _figure,
    _interval_s,
    _legend,
    _local_times,
    _offsets,
    _save,
    _steps,
    _sums,
    _time_axis,
    _validated,
)
from agents.sim.result import SimulationResult

#: Daily sums of :func:`daily_balance`: supply (drawn above zero), then use (below).
SUPPLY = ("pv_kwh", "generation_kwh", "boundary_import_kwh")
USE = ("load_kwh", "boundary_export_kwh")
_LABELS = {
    "pv_kwh": "PV",
    "generation_kwh": "dispatchable generation",
    "boundary_import_kwh": "import across the cluster boundary",
    "load_kwh": "load",
    "boundary_export_kwh": "export across the cluster boundary",
}


def daily_balance(result: SimulationResult) -> tuple[list[date], dict[str, np.ndarray]]:
    """Return the local days and, per day, the sums [kWh] of :data:`SUPPLY` and :data:`USE`."""
    intervals, _, tz = _validated(result)
    local = _local_times(intervals["interval_start"], tz)
    return _daily_balance(intervals, local)


def _daily_balance(
    iv: dict[str, np.ndarray], local: list[datetime]
) -> tuple[list[date], dict[str, np.ndarray]]:
    ordinals = np.array([d.toordinal() for d in local], dtype=np.int64)
    names = SUPPLY + USE
    days, sums = _sums(ordinals, *(iv[n] for n in names))
    return [date.fromordinal(int(d)) for d in days], dict(zip(names, sums, strict=True))


def price_matrix(result: SimulationResult) -> tuple[list[date], np.ndarray]:
    """Return the local days and the clearing price [PLN/MWh] by day and time of day,
    (days, 86400 / interval) float64, NaN where nothing traded. An interval sits in the
    column of its local start time; the repeated hour of the autumn DST day shares its
    columns with the first (the mean of the two prices), the spring day's missing hour
    stays blank."""
    intervals, _, tz = _validated(result)
    return _price_matrix(intervals, _local_times(intervals["interval_start"], tz))


def _price_matrix(
    iv: dict[str, np.ndarray], local: list[datetime]
) -> tuple[list[date], np.ndarray]:
    step = _interval_s(iv["interval_start"])
    ordinals = np.array([d.toordinal() for d in local], dtype=np.int64)
    days, row = np.unique(ordinals, return_inverse=True)
    column = np.array([(d.hour * 3600 + d.minute * 60 + d.second) // step for d in local])
    shape = (len(days), 86_400 // step)
    price = iv["price_pln_mwh"].astype(np.float64)
    traded = ~np.isnan(price)
    total = np.zeros(shape)
    count = np.zeros(shape)
    np.add.at(total, (row[traded], column[traded]), price[traded])
    np.add.at(count, (row[traded], column[traded]), 1)
    matrix = np.full(shape, np.nan)
    np.divide(total, count, out=matrix, where=count > 0)
    return [date.fromordinal(int(d)) for d in days], matrix


def _plot_balance(result: SimulationResult, iv, local, tz: ZoneInfo, path: Path) -> None:
    days, sums = _daily_balance(iv, local)
    x = np.arange(len(days))
    fig, axes = _figure()
    ax = axes[0, 0]
    colours = {"pv_kwh": "C1", "generation_kwh": "C5", "boundary_import_kwh": "C3"}
    colours |= {"load_kwh": "C0", "boundary_export_kwh": "C2"}
    for names, sign in ((SUPPLY, 1.0), (USE, -1.0)):
        bottom = np.zeros(len(days))
        for name in names:
            values = sign * sums[name]
            ax.bar(x, values, bottom=bottom, color=colours[name], label=_LABELS[name])
            bottom += values
    ax.axhline(0.0, color="0.3", lw=0.8)
    every = max(1, int(np.ceil(len(days) / 15)))
    ax.set_xticks(x[::every], [d.isoformat() for d in days[::every]], rotation=30, ha="right")
    ax.set_xlabel(f"local day ({tz.key})")
    ax.set_ylabel("energy per day [kWh] (supply up, use down)")
    ax.set_title(f"{result.scenario}: daily energy balance of the members")
    ax.grid(axis="y", alpha=0.3)
    _legend(ax)
    _save(fig, path)


def _plot_bid_ask(result: SimulationResult, iv, offsets, tz: ZoneInfo, path: Path) -> None:
    starts = iv["interval_start"]
    columns = (iv["bid_kwh"], iv["ask_kwh"], iv["traded_kwh"])
    if len(starts) > HOURLY_ABOVE:  # as volume.png: by the UTC instant each local hour starts
        bins, sums = _sums(starts - (starts + offsets) % 3600, *columns)
        end, unit = bins[-1] + 3600, "kWh per hour"
    else:
        bins, sums = starts, [np.nan_to_num(c) for c in columns]
        end, unit = bins[-1] + _interval_s(starts), f"kWh per {_interval_s(starts) // 60} min"
    bid, ask, traded = sums
    x = mdates.date2num(np.append(bins, end).astype("datetime64[s]"))
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.fill_between(x, _steps(traded), step="post", color="0.7", lw=0, label="traded")
    ax.step(x, _steps(bid), where="post", color="C3", lw=1.2, label="bid (buy orders)")
    ax.step(x, _steps(ask), where="post", color="C2", lw=1.2, label="asked (sell orders)")
    ax.set_title(f"{result.scenario}: energy bid against energy asked")
    ax.set_ylabel(f"energy [{unit}]")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _time_axis(ax, tz, x[0], x[-1])
    _legend(ax)
    _save(fig, path)


def _plot_savings_spread(result: SimulationResult, members, path: Path) -> None:
    kinds = np.asarray(members["kind"], dtype=object).astype(str)
    savings = np.asarray(members["savings_pln"], dtype=np.float64)
    groups = [
        (kind, savings[kinds == kind])
        for kind in sorted(set(kinds.tolist()))
        if kind not in OPTIONAL_KINDS or (savings[kinds == kind] != 0).any()
    ]
    height = max(_SIZE[1], 1.6 + 0.5 * len(groups))
    fig, axes = _figure(size=(_SIZE[0], height))
    ax = axes[0, 0]
    if groups:
        values = [v for _, v in groups]
        ax.boxplot(values, orientation="horizontal", widths=0.6, showfliers=False)
        rng = np.random.default_rng(0)  # a fixed jitter: the same run draws the same plot
        for i, v in enumerate(values, start=1):
            ax.plot(v, i + rng.uniform(-0.15, 0.15, v.size), ".", color="C0", alpha=0.4, ms=3)
        ax.set_yticks(range(1, len(groups) + 1), [f"{k} ({v.size})" for k, v in groups])
    else:
        ax.text(0.5, 0.5, "no members", transform=ax.transAxes, ha="center", va="center")
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel("savings per member [PLN]")
    ax.set_ylabel("member kind (members)")
    ax.set_title(f"{result.scenario}: spread of savings across members")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)


def _plot_heatmap(result: SimulationResult, iv, local, tz: ZoneInfo, path: Path) -> None:
    days, matrix = _price_matrix(iv, local)
    height = min(12.0, max(_SIZE[1], 1.5 + 0.12 * len(days)))
    fig, axes = _figure(size=(_SIZE[0], height))
    ax = axes[0, 0]
    hours = 24.0 * np.arange(matrix.shape[1] + 1) / matrix.shape[1]
    mesh = ax.pcolormesh(hours, np.arange(len(days) + 1), matrix, cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=ax, label="local clearing price [PLN/MWh]")
    ax.invert_yaxis()  # the first day on top
    every = max(1, int(np.ceil(len(days) / 20)))
    ax.set_yticks(np.arange(len(days))[::every] + 0.5, [d.isoformat() for d in days[::every]])
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel(f"local time of day ({tz.key}) [h]")
    ax.set_title(
        f"{result.scenario}: local clearing price by day and time of day (blank: no trade)"
    )
    _save(fig, path)


def _plot_soc(result: SimulationResult, iv, tz: ZoneInfo, path: Path) -> None:
    starts = iv["interval_start"]
    ends = np.append(starts, starts[-1] + _interval_s(starts))
    x = mdates.date2num(ends.astype("datetime64[s]"))
    fig, axes = _figure()
    ax = axes[0, 0]
    soc, capacity = result.series["battery_soc_kwh"], result.series["battery_capacity_kwh"]
    # The charge at the end of each interval: a point at the interval's end.
    ax.plot(x[1:], soc, color="C0", lw=1.4, label="state of charge (sum)")
    ax.step(x, _steps(capacity), where="post", color="0.4", ls="--", lw=1.0, label="capacity")
    ax.set_title(f"{result.scenario}: batteries' state of charge")
    ax.set_ylabel("energy stored [kWh]")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _time_axis(ax, tz, x[0], x[-1])
    _legend(ax)
    _save(fig, path)


def write_plots(result: SimulationResult, out_dir: Path) -> list[Path]:
    """Write the module's plots into ``out_dir``; return the paths written."""
    intervals, members, tz = _validated(result)
    local = _local_times(intervals["interval_start"], tz)
    paths = {n: out_dir / f"{n}.png" for n in ("energy_balance", "bid_ask", "savings_spread")}
    paths["price_heatmap"] = out_dir / "price_heatmap.png"
    _plot_balance(result, intervals, local, tz, paths["energy_balance"])
    _plot_bid_ask(result, intervals, _offsets(local), tz, paths["bid_ask"])
    _plot_savings_spread(result, members, paths["savings_spread"])
    _plot_heatmap(result, intervals, local, tz, paths["price_heatmap"])
    soc = result.series.get("battery_soc_kwh")
    if soc is not None and len(soc) == len(intervals["interval_start"]):
        paths["battery_soc"] = out_dir / "battery_soc.png"
        _plot_soc(result, intervals, tz, paths["battery_soc"])
    return list(paths.values())
