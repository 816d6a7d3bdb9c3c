"""The BDEW standard load profiles of one local calendar year, 15-minute shares of the year.

Two generations, each profile a column that sums to 1 over the year:

- **1999** (:data:`PROFILES_1999`: H0 households, G0-G6 businesses, L0 farms): three seasons
  (winter 1 Jan-20 Mar and 1 Nov-31 Dec, transition 21 Mar-14 May and 15 Sep-31 Oct,
  summer 15 May-14 Sep) x workday / Saturday / Sunday, 96 quarter-hours each, from the table
  demandlib ships (``bdew_data/selp_series.csv``). H0 is dynamised (the static H0 times
  the BDEW fourth-degree polynomial of the fractional day of the year, about 1.24 early in
  January and 0.8 in summer, with demandlib's normalising coefficient), as the static H0 is
  meant to be used only that way. Built here with numpy rather than with demandlib's
  ``ElecSlp``, which fails under pandas 3.1: it turns every warning of the process into an
  error (``warnings.simplefilter("error")``) and then calls ``sort_index(inplace=True)``,
  which pandas 3.1 deprecates with a warning. The values are the same to the last bit as
  ``ElecSlp``'s under pandas 2 (``tests/agents/devices/test_bdew.py`` compares them): the same
  lookups and the same sums, each over one contiguous column (numpy's pairwise summation).
- **2025** (:data:`PROFILES_2025`): demandlib's ``H25`` (households, dynamised), ``G25``
  (businesses), ``L25`` (farms) and ``P25`` (households with a PV system: what they draw
  from the grid, their own PV's self-consumption already netted, dynamised): twelve months
  x workday / Saturday / Sunday-or-holiday, from BDEW's 2025 revision. These run under
  pandas 2 and 3.

Polish public holidays (``holidays.Poland``, which has 24 December from 2025 on) count as
Sundays in both. The tables are cached per year: a 1999 year takes under 0.01 s once
demandlib's table is read (``ElecSlp`` took 0.6 s), the four 2025 profiles about 0.65 s.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import warnings

import holidays
import numpy as np
import pandas as pd
from demandlib import bdew as _demandlib

PROFILES_1999 = ("h0", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0")
PROFILES_2025 = ("h25", "g25", "l25", "p25")
SLOTS_PER_DAY = 96
_SEASONS = ("winter", "transition", "summer")
_SERIES_1999 = os.path.join(os.path.dirname(_demandlib.__file__), "bdew_data", "selp_series.csv")
_CLASSES_2025 = {"h25": _demandlib.H25, "g25": _demandlib.G25, "l25": _demandlib.L25}
_CLASSES_2025["p25"] = _demandlib.P25


def _season(day: dt.date) -> int:
    """The index into :data:`_SEASONS` of a day (module docstring)."""
    md = (day.month, day.day)
    if md <= (3, 20) or md >= (11, 1):
        return 0
    return 2 if (5, 15) <= md <= (9, 14) else 1


@functools.lru_cache(maxsize=1)
def _table_1999() -> np.ndarray:
    """The 1999 profiles as (season, ISO weekday - 1, quarter-hour, profile)."""
    raw = pd.read_csv(_SERIES_1999)
    stamp = pd.to_datetime(raw.iloc[:, 0])
    slot = (stamp.dt.hour * 4 + stamp.dt.minute // 15).to_numpy()
    season = raw["period"].map({s: i for i, s in enumerate(_SEASONS)}).to_numpy()
    table = np.full((len(_SEASONS), 7, SLOTS_PER_DAY, len(PROFILES_1999)), np.nan)
    table[season, raw["weekday"].to_numpy() - 1, slot] = raw[list(PROFILES_1999)].to_numpy(
        np.float64
    )
    if np.isnan(table).any():
        raise RuntimeError(f"{_SERIES_1999} lacks some season, day type or quarter-hour")
    return table


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(d) for d in range((dt.date(year + 1, 1, 1) - first).days)]


@functools.lru_cache(maxsize=16)
def year_1999(year: int) -> np.ndarray:
    """The 1999 profiles of one local year, (slots, len(PROFILES_1999)), columns summing to 1."""
    days = _days(year)
    off = holidays.Poland(years=year)
    weekday = np.array([7 if d in off else d.isoweekday() for d in days])
    season = np.array([_season(d) for d in days])
    # (profiles, slots), each row contiguous: its sums are pairwise, as pandas' are.
    columns = np.ascontiguousarray(_table_1999()[season, weekday - 1].reshape(-1, 9).T)
    columns /= columns.sum(axis=1)[:, None]
    # demandlib's dynamisation of H0, on the fractional day of the year (q + 1) / 96.
    d = (np.arange(columns.shape[1]) + 1) / SLOTS_PER_DAY
    columns[0] *= (
        -3.916649251 * 10**-10 * d**4
        + 3.2 * 10**-7 * d**3
        - 7.02 * 10**-5 * d**2
        + 0.0021 * d
        + 1.24
    )
    columns /= columns.sum(axis=1)[:, None]  # the dynamised H0 sums to 1 only to about 1e-4
    table = columns.T
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=16)
def year_2025(year: int) -> np.ndarray:
    """The 2025 profiles of one local year, (slots, len(PROFILES_2025)), columns summing to 1."""
    index = pd.date_range(dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1), freq="15min")
    index = index[:-1]
    off = holidays.Poland(years=year)
    columns = np.empty((len(PROFILES_2025), index.size))
    # demandlib's 2025 classes use pandas' inplace keywords, which pandas 3.1 deprecates.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        for i, name in enumerate(PROFILES_2025):
            columns[i] = _CLASSES_2025[name](index, holidays=off).to_numpy(np.float64)
    if not np.isfinite(columns).all() or (columns < 0).any():
        raise RuntimeError(f"demandlib's 2025 profiles of {year} have gaps or negative values")
    columns /= columns.sum(axis=1)[:, None]
    table = columns.T
    table.setflags(write=False)
    return table
