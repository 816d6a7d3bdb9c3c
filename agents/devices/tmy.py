"""A typical meteorological year (TMY) from PVGIS: hourly irradiance, air temperature and wind
for one site, read with pvlib's ``iotools.read_pvgis_tmy`` (CSV or JSON, as the PVGIS TMY
tool serves them: https://re.jrc.ec.europa.eu/pvg_tools/en/, "TMY").

A TMY strings together twelve typical months, each taken from a real year, as one year of
8,760 hours with time stamps in UTC. :func:`read_tmy` keeps each hour under its calendar
position (month, day, hour of a common year) and drops the years, so that any simulated
date reads the hour at the same position: :func:`hour_of_year` maps an instant to it (29
February reads 28 February). The value stamped ``HH:00`` stands for the hour that begins
there.

Every problem is a :class:`TmyError` naming the file: missing or unreadable, not a PVGIS
TMY in CSV or JSON, hours missing or repeated, or values that are not finite or out of
physical bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pvlib.iotools import read_pvgis_tmy

HOURS = 8760  # a common year
FORMATS = ("csv", "json")
#: pvlib's names of the columns used, with the bounds a value must lie within.
COLUMNS = {
    "ghi": (0.0, 1500.0),  # global horizontal irradiance [W/m2]
    "dni": (0.0, 1500.0),  # direct normal irradiance [W/m2]
    "dhi": (0.0, 1000.0),  # diffuse horizontal irradiance [W/m2]
    "temp_air": (-60.0, 60.0),  # air temperature at 2 m [degC]
    "wind_speed": (0.0, 75.0),  # wind speed at 10 m [m/s]
}
# The first hour of each month in a common year.
_MONTH_START = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30]) * 24


class TmyError(ValueError):
    """A TMY file that cannot be used: ``FILE: message``."""


@dataclass(frozen=True, eq=False)
class Tmy:
    """One typical year at a site: hourly columns (:data:`COLUMNS`), each float64 of
    :data:`HOURS` values in hour-of-year order (0 = 1 January 00:00 UTC)."""

    source: str
    latitude: float  # [deg N]
    longitude: float  # [deg E]
    elevation: float  # [m]
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    temp_air: np.ndarray
    wind_speed: np.ndarray


def read_tmy(path: str | Path) -> Tmy:
    """Read and check the PVGIS TMY file ``path`` (``.csv`` or ``.json``)."""
    source = str(path)
    fmt = Path(path).suffix[1:].lower()
    if fmt not in FORMATS:
        raise TmyError(f"{source}: a PVGIS TMY file must end in .csv or .json, was {fmt!r}")
    if not Path(path).is_file():
        raise TmyError(f"{source}: no such file")
    try:
        data, meta = read_pvgis_tmy(path, pvgis_format=fmt, map_variables=True)
    except OSError as exc:
        raise TmyError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    # pvlib's parsers read the layout as given and fail on anything else with whatever
    # the first unexpected line causes (bad JSON and bad UTF-8 are ValueErrors too).
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise TmyError(f"{source}: not a PVGIS TMY {fmt.upper()} file ({exc})") from None
    return _checked(source, data, meta)


def _checked(source: str, data: pd.DataFrame, meta: dict) -> Tmy:
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise TmyError(f"{source}: columns missing: {', '.join(missing)} (pvlib names)")
    if not isinstance(data.index, pd.DatetimeIndex):
        raise TmyError(f"{source}: the time stamps are not dates")
    stamps = data.index
    if len(stamps) != HOURS:
        raise TmyError(f"{source}: a TMY has {HOURS} hours, this file {len(stamps)}")
    if stamps.hasnans:  # pvlib's CSV parser reads 8,760 lines whatever the file holds
        missing = int(stamps.isna().sum())
        raise TmyError(f"{source}: {missing} of the {HOURS} hours have no time stamp (cut short?)")
    month, day, hour = (stamps.month.to_numpy(), stamps.day.to_numpy(), stamps.hour.to_numpy())
    position = _MONTH_START[month - 1] + (day - 1) * 24 + hour
    if ((month == 2) & (day == 29)).any() or (stamps.minute != 0).any():
        raise TmyError(f"{source}: the hours must be whole hours of a common year")
    counts = np.bincount(position, minlength=HOURS)
    if (counts != 1).any():
        hour = int(np.argmax(counts != 1))
        raise TmyError(f"{source}: hour {hour} of the year appears {counts[hour]} times")
    order = np.argsort(position)
    columns = {}
    for name, (low, high) in COLUMNS.items():
        values = pd.to_numeric(data[name], errors="coerce").to_numpy(np.float64)[order]
        bad = ~(np.isfinite(values) & (values >= low) & (values <= high))
        if bad.any():
            row = int(order[np.argmax(bad)])
            raise TmyError(
                f"{source}: {name} at {stamps[row]:%m-%d %H:%M} UTC must be in "
                f"[{low:g}, {high:g}], was {data[name].iloc[row]}"
            )
        columns[name] = values
    inputs = meta.get("inputs", meta) if isinstance(meta, dict) else {}
    location = inputs.get("location", inputs) if isinstance(inputs, dict) else {}
    try:
        latitude, longitude = float(location["latitude"]), float(location["longitude"])
        elevation = float(location.get("elevation", 0.0))
    except (KeyError, TypeError, ValueError):
        raise TmyError(f"{source}: the site (latitude, longitude) is missing") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise TmyError(f"{source}: the site must have finite coordinates")
    return Tmy(source, latitude, longitude, elevation, **columns)


def hour_of_year(instants: np.ndarray) -> np.ndarray:
    """Return the TMY hour [0, 8760) of each instant [s since the epoch, UTC]: its UTC month,
    day and hour in a common year (29 February as 28 February)."""
    ns = np.asarray(instants, dtype=np.int64) * 1_000_000_000
    times = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    day = np.where((times.month == 2) & (times.day == 29), 28, times.day)
    return _MONTH_START[times.month - 1] + (day - 1) * 24 + times.hour.to_numpy()
