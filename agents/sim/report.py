"""The report of one simulation run: CSV tables, the KPIs as JSON, plots and a text summary.

:func:`write_report` turns a :class:`~agents.sim.result.SimulationResult` into files in one
directory:

- ``intervals.csv``: one row per interval, :data:`~agents.sim.result.INTERVAL_COLUMNS` in
  order; ``interval_start`` as ISO 8601 local time with its UTC offset in the result's time
  zone (``2026-06-01T00:15:00+02:00``), energy [kWh] with 3 decimals, prices [PLN/MWh] with 2,
  NaN (no local trade) as an empty field;
- ``statements.csv``: one row per member, :data:`~agents.sim.result.MEMBER_COLUMNS` in order,
  energy [kWh] with 3 decimals, money [PLN] with 2;
- ``kpis.json``: the KPIs, indented, keys in the simulation's order. Figures come rounded by
  the one rule (:mod:`agents.sim.figures`): a ``Decimal`` is written as the JSON number with
  its digits (``0.975591``, ``13692.451``; exact up to 15 significant digits), an int as an
  int; a ``Fraction`` is refused (round it first), numpy scalars become Python numbers, a
  float is written as it is; NaN and infinities ``null``;
- with ``plots=True``, four PNG figures with local time on the x axis: ``prices.png`` (local
  clearing price against the retail cap and the feed-in floor [PLN/MWh]; the axis follows
  the clearing prices, :func:`price_limits`), ``volume.png``
  (traded energy with the import and export across the cluster's boundary and the members'
  summed import and export [kWh], per hour above :data:`HOURLY_ABOVE` intervals),
  ``self_sufficiency.png`` (daily self-sufficiency, locally covered share of the members'
  import and locally traded share [%]) and ``savings.png`` (total and mean savings per
  member kind [PLN]), and the coordinator's plots of :mod:`agents.sim.coordinator_plots`
  (daily energy balance, bid against ask, spread of savings, price heat map, batteries'
  state of charge).

:func:`summary_lines` gives the few lines the command line prints. The columns are validated
before anything is written: every column present, one-dimensional and as long as the others,
times strictly increasing, numbers finite (NaN allowed where it means "no trade").

The figures are drawn on :class:`matplotlib.figure.Figure` objects, which render with the
Agg canvas and are never registered with pyplot: no window can open, no global backend is
switched for the importing process, and no figure outlives its function.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from agents.sim.result import INTERVAL_COLUMNS, MEMBER_COLUMNS, SimulationResult
from matching.units import KWH_DECIMALS, PLN_DECIMALS, PLN_MWH_DECIMALS

#: Above this many intervals ``volume.png`` shows hourly sums instead of single intervals.
HOURLY_ABOVE = 2_000
#: Member kinds shown in ``savings.png`` only when some member of them saved or lost money.
OPTIONAL_KINDS = frozenset({"coordinator", "dso"})

_TEXT_MEMBER_COLUMNS = frozenset({"member_id", "name", "kind", "strategy"})
_NAN_ALLOWED = frozenset({"price_pln_mwh"})  # NaN: nothing traded in the interval
_DPI = 100
_SIZE = (11.0, 4.8)  # [inch]


def _decimals(column: str) -> int:
    """Return the decimals a number column is written with: kWh to the Wh, PLN to the grosz,
    PLN/MWh to the default tick (:mod:`matching.units`)."""
    if column.endswith("_kwh"):
        return KWH_DECIMALS
    if column.endswith("_pln"):
        return PLN_DECIMALS
    if column.endswith("_pln_mwh"):
        return PLN_MWH_DECIMALS
    raise ValueError(f"no unit known for column {column!r}")


# --- validation ----------------------------------------------------------------------------


def _columns(
    table: dict[str, Any], names: Sequence[str], what: str, text: frozenset[str]
) -> dict[str, np.ndarray]:
    """Return ``table``'s columns as 1-D arrays, checked to be present and of one length."""
    if not isinstance(table, dict):
        raise ValueError(f"{what} must be a dict of columns, was {type(table).__name__}")
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name not in table:
            raise ValueError(f"{what} column {name!r} is missing")
        if name in text:
            column = np.asarray([str(v) for v in table[name]], dtype=object)
        else:
            column = np.asarray(table[name])
            if column.ndim != 1:
                raise ValueError(f"{what} column {name!r} must be 1-D, has shape {column.shape}")
            if column.dtype.kind not in "iuf":
                raise ValueError(f"{what} column {name!r} must be numeric, is {column.dtype}")
        out[name] = column
    # Name the column that differs from the most common length (the first column on a tie),
    # so a short first column is blamed rather than every other one.
    lengths = [len(c) for c in out.values()]
    common = max(lengths, key=lambda n: (lengths.count(n), n == lengths[0]))
    for name, column in out.items():
        if len(column) != common:
            raise ValueError(f"{what} column {name!r} has {len(column)} rows, the others {common}")
    for name, column in out.items():
        if column.dtype.kind == "f":
            bad = np.isinf(column) if name in _NAN_ALLOWED else ~np.isfinite(column)
            if bad.any():
                row = int(np.argmax(bad))
                raise ValueError(f"{what} column {name!r} row {row} is {column[row]}")
    return out


def _validated(
    result: SimulationResult,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], ZoneInfo]:
    """Return the interval and member columns and the time zone, or raise ValueError."""
    try:
        tz = ZoneInfo(result.timezone)
    except (KeyError, ValueError, OSError, TypeError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {result.timezone!r}") from None
    intervals = _columns(result.intervals, INTERVAL_COLUMNS, "intervals", frozenset())
    members = _columns(result.members, MEMBER_COLUMNS, "members", _TEXT_MEMBER_COLUMNS)
    starts = intervals["interval_start"]
    if len(starts) == 0:
        raise ValueError("intervals has no rows")
    if starts.dtype.kind == "f" and not np.array_equal(starts, np.round(starts)):
        raise ValueError("intervals column 'interval_start' must be whole seconds")
    intervals["interval_start"] = starts.astype(np.int64)
    if (np.diff(intervals["interval_start"]) <= 0).any():
        raise ValueError("intervals column 'interval_start' must be strictly increasing")
    return intervals, members, tz


# --- tables --------------------------------------------------------------------------------


def _number(value: float, decimals: int) -> str:
    """Return ``value`` with a fixed number of decimals; NaN as the empty string."""
    if math.isnan(value):
        return ""
    text = f"{value:.{decimals}f}"
    # -0.0004 rounds to "-0.000": drop the sign of a written zero.
    return text[1:] if text[0] == "-" and float(text) == 0.0 else text


def _local_times(starts: np.ndarray, tz: ZoneInfo) -> list[datetime]:
    """Return the instants [s] (UTC epoch) as aware local datetimes in ``tz``."""
    return [datetime.fromtimestamp(t, tz) for t in starts.tolist()]


def _write_csv(path: Path, header: Sequence[str], columns: Sequence[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*columns, strict=True))


def _text_columns(table: dict[str, np.ndarray], names: Sequence[str]) -> list[list[str]]:
    """Return every column of ``table`` except the first as written CSV fields."""
    out = []
    for name in names[1:]:
        column = table[name]
        if column.dtype == object:
            out.append(column.tolist())
        else:
            decimals = _decimals(name)
            out.append([_number(v, decimals) for v in column.astype(np.float64).tolist()])
    return out


# --- KPIs ----------------------------------------------------------------------------------


def _jsonable(value: Any, path: str) -> Any:
    """Return ``value`` as plain JSON types (see the module docstring); ``path`` names it."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, Fraction):
        raise TypeError(
            f"kpis{path}: a Fraction must be rounded first (matching.units.round_decimal)"
        )
    if isinstance(value, float | np.floating | Decimal):
        # A rounded Decimal's digits are the float's shortest repr (<= 15 significant digits).
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, int | np.integer) and not isinstance(key, bool):
                key = str(int(key))
            if not isinstance(key, str):
                raise TypeError(f"kpis{path}: key {key!r} is not a string")
            out[str(key)] = _jsonable(item, f"{path}[{key!r}]")
        return out
    if isinstance(value, list | tuple | np.ndarray):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return [_jsonable(item, f"{path}[{i}]") for i, item in enumerate(items)]
    raise TypeError(f"kpis{path}: cannot write a {type(value).__name__} as JSON")


def kpis_json(kpis: dict[str, Any]) -> str:
    """Return ``kpis`` as indented JSON text ending in a newline (see the module docstring)."""
    return json.dumps(_jsonable(kpis, ""), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- aggregation ---------------------------------------------------------------------------


def _offsets(local: list[datetime]) -> np.ndarray:
    """Return each local time's UTC offset [s]."""
    return np.array([d.utcoffset().total_seconds() for d in local], dtype=np.int64)


def _interval_s(starts: np.ndarray) -> int:
    """Return the interval length [s]: the smallest step between starts, 900 s for one row."""
    return int(np.diff(starts).min()) if len(starts) > 1 else 900


def _sums(keys: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the sorted distinct ``keys`` and each column summed per key (NaN as 0)."""
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = [np.bincount(inverse, weights=np.nan_to_num(c), minlength=len(unique)) for c in columns]
    return unique, sums


def _ratio_percent(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Return 100 * numerator / denominator [%], NaN where the denominator is 0."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out * 100.0


def daily_shares(
    result: SimulationResult,
) -> tuple[list[date], np.ndarray, np.ndarray, np.ndarray]:
    """Return the local days and, per day, self-sufficiency, the locally covered share of
    the members' import and the traded share [%].

    Over the intervals starting on that local day (a DST day has 92 or 100):
    self-sufficiency is 1 - sum(boundary import) / sum(load) (NaN on a day without load),
    the locally covered share sum(local_use) / sum(import) and the traded share
    sum(traded) / sum(import) (NaN on a day without import).
    """
    intervals, _, tz = _validated(result)
    local = _local_times(intervals["interval_start"], tz)
    return _daily(intervals, local)


def _daily(
    intervals: dict[str, np.ndarray], local: list[datetime]
) -> tuple[list[date], np.ndarray, np.ndarray, np.ndarray]:
    ordinals = np.array([d.toordinal() for d in local], dtype=np.int64)
    columns = ("import_kwh", "local_use_kwh", "traded_kwh", "boundary_import_kwh", "load_kwh")
    days, (imported, local_use, traded, boundary, load) = _sums(
        ordinals, *(intervals[c] for c in columns)
    )
    dates = [date.fromordinal(int(d)) for d in days]
    sufficiency = 100.0 - _ratio_percent(np.minimum(boundary, load), load)
    covered = _ratio_percent(local_use, imported)
    return dates, sufficiency, covered, _ratio_percent(traded, imported)


# --- plots ---------------------------------------------------------------------------------


def _figure(
    nrows: int = 1, ncols: int = 1, size: tuple[float, float] = _SIZE
) -> tuple[Figure, Any]:
    fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png")
    fig.clear()  # free the artists now; the figure is not known to pyplot


def _time_axis(ax: Axes, tz: ZoneInfo, start: float, end: float) -> None:
    """Label the x axis [matplotlib date] in local time of ``tz`` from ``start`` to ``end``."""
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))
    ax.set_xlim(start, end)
    ax.set_xlabel(f"local time ({tz.key})")


def _legend(ax: Axes) -> None:
    # Outside the axes: loc="best" searches every data point (slow for long runs) and a
    # legend inside would hide data somewhere anyway.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _steps(values: np.ndarray) -> np.ndarray:
    """Repeat the last value so a ``where="post"`` step also draws the last interval."""
    return np.append(values, values[-1:])


def price_limits(price: np.ndarray, floor: np.ndarray, cap: np.ndarray) -> tuple[float, float]:
    """Return the y limits [PLN/MWh] of ``prices.png``: the clearing prices' range with a
    tenth of it (at least 5 PLN/MWh) either side; the band's when nothing traded."""
    traded = price[~np.isnan(price)]
    low, high = (
        (float(traded.min()), float(traded.max()))
        if traded.size
        else (float(np.min(floor)), float(np.max(cap)))
    )
    margin = max(0.1 * (high - low), 5.0)
    return low - margin, high + margin


def _plot_prices(
    result: SimulationResult, iv: dict[str, np.ndarray], tz: ZoneInfo, path: Path
) -> None:
    starts = iv["interval_start"]
    edges = np.append(starts, starts[-1] + _interval_s(starts)).astype("datetime64[s]")
    x = mdates.date2num(edges)
    fig, axes = _figure()
    ax = axes[0, 0]
    floor, cap, price = iv["floor_pln_mwh"], iv["cap_pln_mwh"], iv["price_pln_mwh"]
    ax.fill_between(
        x,
        _steps(floor),
        _steps(cap),
        step="post",
        color="0.85",
        alpha=0.5,
        lw=0,
        label="price band",
    )
    ax.step(x, _steps(cap), where="post", color="C3", ls="--", lw=1.2, label="retail (cap)")
    ax.step(x, _steps(floor), where="post", color="C2", ls="--", lw=1.2, label="feed-in (floor)")
    # NaN (no trade) breaks the line: the gaps show the intervals without a local price.
    ax.step(x, _steps(price), where="post", color="C0", lw=1.6, label="local clearing price")
    if np.isnan(price).all():
        ax.text(0.5, 0.5, "no local trades", transform=ax.transAxes, ha="center", va="center")
    ax.set_ylim(*price_limits(price, floor, cap))  # the band may lie off the axis
    ax.set_title(f"{result.scenario}: local clearing price against retail and feed-in prices")
    ax.set_ylabel("price [PLN/MWh]")
    ax.grid(alpha=0.3)
    _time_axis(ax, tz, x[0], x[-1])
    _legend(ax)
    _save(fig, path)


def _plot_volume(
    result: SimulationResult,
    iv: dict[str, np.ndarray],
    offsets: np.ndarray,
    tz: ZoneInfo,
    path: Path,
) -> None:
    starts = iv["interval_start"]
    names = ("traded_kwh", "import_kwh", "export_kwh", "boundary_import_kwh")
    columns = (*(iv[n] for n in names), iv["boundary_export_kwh"])
    if len(starts) > HOURLY_ABOVE:
        # Key each interval by the UTC instant its local hour starts: the repeated local hour
        # of a DST end stays two hours, and half-hour offsets get local hours. (An hour's
        # boundary flows are the sums of its intervals', netted interval by interval.)
        hour_starts = starts - (starts + offsets) % 3600
        bins, sums = _sums(hour_starts, *columns)
        end = bins[-1] + 3600
        unit, per = "kWh per hour", "per hour"
    else:
        bins, sums = starts, [np.nan_to_num(c) for c in columns]
        step = _interval_s(starts)
        end = bins[-1] + step
        unit, per = f"kWh per {step // 60} min", "per interval"
    traded, imported, exported, boundary_in, boundary_out = sums
    x = mdates.date2num(np.append(bins, end).astype("datetime64[s]"))
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.fill_between(
        x, _steps(traded), step="post", color="C0", alpha=0.6, lw=0, label="traded locally"
    )
    lines = (
        (imported, "C3", ":", 0.9, "members' import (sum)"),
        (exported, "C2", ":", 0.9, "members' export (sum)"),
        (boundary_in, "C3", "-", 1.2, "import across the cluster boundary"),
        (boundary_out, "C2", "-", 1.2, "export across the cluster boundary"),
    )
    for values, color, style, width, label in lines:
        ax.step(x, _steps(values), where="post", color=color, ls=style, lw=width, label=label)
    ax.set_title(f"{result.scenario}: energy traded locally {per}, with the metered flows")
    ax.set_ylabel(f"energy [{unit}]")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _time_axis(ax, tz, x[0], x[-1])
    _legend(ax)
    _save(fig, path)


def _plot_self_sufficiency(
    result: SimulationResult,
    iv: dict[str, np.ndarray],
    local: list[datetime],
    tz: ZoneInfo,
    path: Path,
) -> None:
    days, sufficiency, covered, share = _daily(iv, local)
    # Whole-period ratios from the same columns, as reference lines.
    imported, load = float(np.nansum(iv["import_kwh"])), float(np.nansum(iv["load_kwh"]))
    boundary = min(float(np.nansum(iv["boundary_import_kwh"])), load)
    overall = [100.0 - boundary / load * 100.0 if load > 0 else math.nan] + [
        float(np.nansum(iv[c])) / imported * 100.0 if imported > 0 else math.nan
        for c in ("local_use_kwh", "traded_kwh")
    ]
    x = np.arange(len(days))
    fig, axes = _figure()
    ax = axes[0, 0]
    series = (
        (sufficiency, -0.27, "C2", "self-sufficiency (1 - boundary import / load)"),
        (covered, 0.0, "C1", "locally covered share of members' import"),
        (share, 0.27, "C0", "traded share (traded / members' import)"),
    )
    for values, shift, color, label in series:
        if len(days) <= 62:
            ax.bar(x + shift, values, width=0.27, color=color, label=label)
        else:  # hundreds of bars side by side alias into stripes: draw daily steps instead
            ax.step(x, values, where="mid", color=color, lw=1.0, label=label)
    names = ("self-sufficiency", "locally covered share", "traded share")
    for value, color, what in zip(overall, ("C2", "C1", "C0"), names, strict=True):
        if math.isfinite(value):
            ax.axhline(
                value, color=color, ls="--", lw=1.0, label=f"{what}, whole period: {value:.1f}%"
            )
    # At most ~15 date labels, so a year stays readable.
    every = max(1, math.ceil(len(days) / 15))
    ax.set_xticks(
        x[::every],
        [d.isoformat() for d in days[::every]],
        rotation=30 if len(days) > 7 else 0,
        ha="right" if len(days) > 7 else "center",
    )
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.set_xlabel(f"local day ({tz.key})")
    ax.set_ylabel("share [%]")
    # From 0, so bar heights compare; the top follows the data, so small shares stay legible.
    top = float(np.nanmax(np.concatenate([sufficiency, covered, share, overall]), initial=0.0))
    ax.set_ylim(0.0, max(top * 1.15, 1.0))
    ax.set_title(f"{result.scenario}: daily self-sufficiency and local shares")
    ax.grid(axis="y", alpha=0.3)
    _legend(ax)
    _save(fig, path)


def savings_by_kind(result: SimulationResult) -> list[tuple[str, int, float, float]]:
    """Return ``(kind, members, total [PLN], mean per member [PLN])`` per member kind.

    Sorted by total savings, largest first; :data:`OPTIONAL_KINDS` only when some member of
    the kind has non-zero savings.
    """
    return _savings_by_kind(_validated(result)[1])


def _savings_by_kind(members: dict[str, np.ndarray]) -> list[tuple[str, int, float, float]]:
    kinds = np.asarray(members["kind"], dtype=object).astype(str)
    savings = np.asarray(members["savings_pln"], dtype=np.float64)
    if len(kinds) == 0:
        return []
    names, inverse, counts = np.unique(kinds, return_inverse=True, return_counts=True)
    totals = np.bincount(inverse, weights=savings, minlength=len(names))
    nonzero = np.bincount(inverse, weights=savings != 0, minlength=len(names)) > 0
    rows = [
        (str(name), int(n), float(total), float(total) / int(n))
        for name, n, total, used in zip(names, counts, totals, nonzero, strict=True)
        if used or name not in OPTIONAL_KINDS
    ]
    return sorted(rows, key=lambda row: (-row[2], row[0]))


def _plot_savings(result: SimulationResult, members: dict[str, np.ndarray], path: Path) -> None:
    rows = _savings_by_kind(members)
    # Horizontal bars: kind names stay readable however many kinds the scenario has.
    height = max(_SIZE[1], 1.6 + 0.4 * len(rows))  # [inch]
    fig, axes = _figure(1, 2, size=(_SIZE[0], height))
    labels = [f"{kind} ({n})" for kind, n, _, _ in rows]
    y = np.arange(len(rows))
    panels = (
        (axes[0, 0], [r[2] for r in rows], "C0", "total of the kind", "total savings [PLN]"),
        (axes[0, 1], [r[3] for r in rows], "C1", "mean per member", "savings per member [PLN]"),
    )
    for ax, values, color, label, xlabel in panels:
        bars = ax.barh(y, values, color=color, height=0.6, label=label)
        ax.bar_label(bars, labels=[f"{v:,.2f}" for v in values], padding=3, fontsize=8)
        ax.axvline(0.0, color="0.3", lw=0.8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()  # largest total on top
        ax.set_xlabel(xlabel)
        ax.margins(x=0.2)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="lower right")
        if not rows:
            ax.text(0.5, 0.5, "no members", transform=ax.transAxes, ha="center", va="center")
    axes[0, 0].set_ylabel("member kind (members)")
    axes[0, 0].set_title("total savings per member kind")
    axes[0, 1].set_title("mean savings per member of each kind")
    fig.suptitle(f"{result.scenario}: savings from the cluster market per member kind")
    _save(fig, path)


# --- the report ----------------------------------------------------------------------------


def write_report(result: SimulationResult, out_dir: Path, *, plots: bool = True) -> list[Path]:
    """Write the report of ``result`` into ``out_dir`` (created if needed).

    Return the paths written, sorted. Raise ValueError naming the column if a column is
    missing, of the wrong length or holds non-finite numbers, before any file is written;
    TypeError naming the key if a KPI cannot be written as JSON.
    """
    intervals, members, tz = _validated(result)
    kpis = kpis_json(result.kpis)  # before any file, so a bad KPI leaves no partial report
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local = _local_times(intervals["interval_start"], tz)

    written = [out_dir / "intervals.csv", out_dir / "statements.csv", out_dir / "kpis.json"]
    times = [d.isoformat(timespec="seconds") for d in local]
    _write_csv(written[0], INTERVAL_COLUMNS, [times, *_text_columns(intervals, INTERVAL_COLUMNS)])
    _write_csv(
        written[1],
        MEMBER_COLUMNS,
        [members[MEMBER_COLUMNS[0]].tolist(), *_text_columns(members, MEMBER_COLUMNS)],
    )
    written[2].write_text(kpis, encoding="utf-8")

    if plots:
        figures = {
            name: out_dir / f"{name}.png"
            for name in ("prices", "volume", "self_sufficiency", "savings")
        }
        _plot_prices(result, intervals, tz, figures["prices"])
        _plot_volume(result, intervals, _offsets(local), tz, figures["volume"])
        _plot_self_sufficiency(result, intervals, local, tz, figures["self_sufficiency"])
        _plot_savings(result, members, figures["savings"])
        written += figures.values()
        from agents.sim.coordinator_plots import write_plots  # it imports this module

        written += write_plots(result, out_dir)
    return sorted(written)


# --- summary -------------------------------------------------------------------------------

_NA = "n/a"


def _float(kpis: dict[str, Any], key: str) -> float | None:
    """Return ``kpis[key]`` as a finite float, or None if absent, None or not a number."""
    value = kpis.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return _NA if value is None else f"{value:{spec}}{suffix}"


def _percent(ratio: float | None) -> str:
    return _NA if ratio is None else f"{ratio * 100.0:.1f}%"


def _period(result: SimulationResult) -> str | None:
    """Return the run's first start and last end as local time, or None if unreadable."""
    try:
        tz = ZoneInfo(result.timezone)
        starts = np.asarray(result.intervals["interval_start"], dtype=np.int64)
        first = datetime.fromtimestamp(int(starts[0]), tz)
        last = datetime.fromtimestamp(int(starts[-1] + _interval_s(starts)), tz)
    # The summary must print whatever the result holds: no times, odd types, unknown zone.
    except (KeyError, IndexError, TypeError, ValueError, OverflowError, OSError, AttributeError):
        return None
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} {tz.key}"


def _shared(kpis: dict[str, Any]) -> str:
    """``; shared by the key (ALLOCATION, KEY): N kWh`` when a key shares, else nothing."""
    allocation = kpis.get("allocation")
    if not isinstance(allocation, str) or allocation == "market":
        return ""
    shared = _float(kpis, "shared_kwh")
    return (
        f"; shared by the key ({allocation}, {kpis.get('sharing_key')}): {_fmt(shared, ',.1f')} kWh"
    )


def summary_lines(result: SimulationResult) -> list[str]:
    """Return a short human-readable summary of the run's KPIs (8 lines).

    Reads ``result.kpis`` defensively: a missing, None or non-numeric KPI prints as "n/a".
    Energy [kWh] with 1 decimal, prices [PLN/MWh] and money [PLN] with 2, ratios as percent.
    """
    kpis = result.kpis if isinstance(result.kpis, dict) else {}

    def f(key: str) -> float | None:
        return _float(kpis, key)

    intervals, members, days = f("intervals"), f("members"), f("days")
    savings = f("savings_pln")
    per_member = savings / members if savings is not None and members else None
    efficiency = f("allocative_efficiency")
    realised, best = f("surplus_pln"), f("max_surplus_pln")
    lost = best - realised if realised is not None and best is not None else None
    return [
        f"Scenario {result.scenario}: {_period(result) or _NA}",
        f"Intervals: {_fmt(intervals, '.0f')} over {_fmt(days, '.2f')} days; "
        f"members: {_fmt(members, '.0f')}",
        f"Energy: members' import {_fmt(f('import_kwh'), ',.1f')} kWh, "
        f"export {_fmt(f('export_kwh'), ',.1f')} kWh; across the cluster boundary: "
        f"import {_fmt(f('boundary_import_kwh'), ',.1f')} kWh, "
        f"export {_fmt(f('boundary_export_kwh'), ',.1f')} kWh",
        f"Traded locally: {_fmt(f('traded_kwh'), ',.1f')} kWh "
        f"({_percent(f('traded_share'))} of import)" + _shared(kpis),
        f"Self-sufficiency: {_percent(f('self_sufficiency'))} of load; self-consumption: "
        f"{_percent(f('self_consumption'))} of generation; locally covered: "
        f"{_percent(f('import_covered_locally'))} of members' import",
        f"Average local price: {_fmt(f('average_price_pln_mwh'), '.2f', ' PLN/MWh')} vs retail "
        f"{_fmt(f('average_cap_pln_mwh'), '.2f', ' PLN/MWh')} and feed-in "
        f"{_fmt(f('average_floor_pln_mwh'), '.2f', ' PLN/MWh')}",
        f"Savings: {_fmt(savings, ',.2f', ' PLN')} in total, "
        f"{_fmt(per_member, ',.2f', ' PLN')} per member; allocative efficiency "
        f"{_percent(efficiency)} of the orders' gains from trade "
        f"({_fmt(lost, ',.2f', ' PLN')} of {_fmt(best, ',.2f', ' PLN')} not realised)",
        f"Bills on the points' tariffs: {_fmt(f('bill_pln'), ',.2f', ' PLN')} gross, "
        f"{_fmt(f('bill_baseline_pln'), ',.2f', ' PLN')} without the market: "
        f"{_fmt(f('bill_saving_pln'), ',.2f', ' PLN')} saved",
    ]
