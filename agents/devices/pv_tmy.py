"""Photovoltaic generation from a typical meteorological year: energy [Wh] per interval of many
PV systems at one site, with the seasons and the weather of a PVGIS TMY
(:mod:`agents.devices.tmy`) instead of the synthetic clouds of :mod:`agents.devices.pv`.

For each interval, at its midpoint:

1. the TMY hour the midpoint falls in (:func:`agents.devices.tmy.hour_of_year`: same UTC
   month, day and hour; the year of the TMY does not matter) gives the global, direct
   normal and diffuse irradiance [W/m2], the air temperature [degC] and the wind [m/s]. An
   hourly value is held for the hour's four quarter-hours, while the sun's position (pvlib,
   NREL SPA) is that of each midpoint; a quarter-hour whose sun is below the horizon gets no
   beam;
2. transposition to each module plane with the Perez (1990) sky diffuse model, ground albedo
   0.2 (pvlib ``get_total_irradiance``): Perez is the usual choice for measured or
   satellite irradiance, which a TMY is (the synthetic path keeps Hay and Davies, which
   needs no air mass: its clear-sky index fixes the diffuse share anyway);
3. cell temperature by Faiman's model (pvlib ``temperature.faiman``, u0 = 25 W/m2K,
   u1 = 6.84 W s/m3K), as PVGIS computes its own PV output, fed the TMY's 10 m wind: a
   little more cooling than at roof height, a fraction of a percent of a year's energy;
4. DC power by PVWatts (pvlib ``pvsystem.pvwatts_dc``): ``kWp * POA / 1000 * (1 + gamma *
   (T_cell - 25))`` with ``gamma`` = -0.4 %/K (crystalline silicon), times ``1 - losses``
   (soiling, wiring, mismatch, availability: PVWatts' default 14 % fits; temperature and
   the inverter are modelled here, not lumped in as on the synthetic path);
5. AC power by the PVWatts inverter (pvlib ``inverter.pvwatts``: part-load efficiency
   curve, 96 % nominal), sized at :data:`DC_AC_RATIO` so it clips on the brightest, coldest
   hours as real, undersized inverters do;
6. ``E = P_ac * hours of the interval`` [Wh], rounded once to an integer.

Why this model: each step is the simplest one pvlib has that reacts to what a TMY brings
(diffuse share, temperature, wind), with published default coefficients; the aim is a
plausible, seasonal yield (about 1,000 kWh/kWp a year in Poland), not a bankable
assessment. Systems with the same tilt, azimuth and losses share their AC curve per kWp
(the PVWatts inverter scales with its size), so thousands of members cost a few curves.

Reference: Perez, R., Ineichen, P., Seals, R., Michalsky, J. and Stewart, R. (1990).
Modeling daylight availability and irradiance components from direct and global irradiance.
Solar Energy 44(5), 271-289. Faiman, D. (2008). Assessing the outdoor operating temperature
of photovoltaic modules. Progress in Photovoltaics 16(4), 307-315.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pvlib import inverter, irradiance, pvsystem, temperature
from pvlib.location import Location

from agents.devices.pv import PvSystem, Site, plane_of_array
from agents.devices.tmy import Tmy, hour_of_year
from matching.units import SECONDS_PER_HOUR

GAMMA_PDC = -0.004  # power temperature coefficient of crystalline silicon [1/K]
DC_AC_RATIO = 1.1  # array kWp over inverter kW (AC)
ETA_INVERTER = 0.96  # nominal inverter efficiency [1]
W_PER_KWP = 1000.0
_CELLS_PER_CHUNK = 1_000_000  # curves x intervals computed at once (memory bound)


def pv_energy_tmy_wh(
    site: Site,
    systems: Sequence[PvSystem],
    starts: np.ndarray,
    length_s: int,
    tmy: Tmy,
) -> np.ndarray:
    """Return each system's energy [Wh] in each interval, int64 of shape (systems, starts), >= 0.

    ``starts``: interval starts [s since the epoch, UTC], 1-D integers; ``length_s``: the
    interval length [s], > 0 and at most an hour; ``tmy``: the weather (module docstring).
    """
    starts = np.asarray(starts)
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise ValueError(f"starts must be a 1-D integer array, was {starts.dtype} {starts.shape}")
    if not 0 < length_s <= SECONDS_PER_HOUR:
        raise ValueError(f"length_s must be in (0, 3600] s for hourly weather, was {length_s}")
    if not all(isinstance(system, PvSystem) for system in systems):
        raise ValueError("systems must be PvSystem values")
    if not systems or not starts.size:
        return np.zeros((len(systems), starts.size), dtype=np.int64)

    ns = starts.astype(np.int64) * 1_000_000_000 + length_s * 500_000_000
    times = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    hour = hour_of_year(ns // 1_000_000_000)
    location = Location(site.latitude, site.longitude, site.timezone, site.altitude)
    sun = location.get_solarposition(times)
    zenith = sun["apparent_zenith"].to_numpy()
    dni = np.where(zenith < 90.0, tmy.dni[hour], 0.0)
    airmass = location.get_airmass(times, solar_position=sun)["airmass_relative"].to_numpy()
    sky = (
        zenith,
        sun["azimuth"].to_numpy(),
        dni,
        tmy.ghi[hour],
        tmy.dhi[hour],
        irradiance.get_extra_radiation(times).to_numpy(),
    )
    temp_air, wind = tmy.temp_air[hour], tmy.wind_speed[hour]

    keys = np.array([(s.tilt, s.azimuth, s.losses) for s in systems])
    curves, row = np.unique(keys, axis=0, return_inverse=True)
    per_kwp = np.empty((len(curves), starts.size))  # AC power per kWp [W/kWp]
    chunk = max(1, _CELLS_PER_CHUNK // starts.size)
    for lo in range(0, len(curves), chunk):
        part = curves[lo : lo + chunk]
        poa = plane_of_array(part[:, :2], *sky, "perez", airmass=airmass)
        cell = temperature.faiman(poa, temp_air, wind)
        dc = pvsystem.pvwatts_dc(poa, cell, W_PER_KWP, GAMMA_PDC) * (1.0 - part[:, 2:])
        inverter_dc = W_PER_KWP / DC_AC_RATIO / ETA_INVERTER  # its DC input limit [W/kWp]
        ac = inverter.pvwatts(dc, inverter_dc, eta_inv_nom=ETA_INVERTER)
        per_kwp[lo : lo + chunk] = np.maximum(np.nan_to_num(ac, nan=0.0), 0.0)

    kwp = np.array([s.kwp for s in systems])
    hours = length_s / SECONDS_PER_HOUR
    return np.rint(per_kwp[row.ravel()] * (kwp * hours)[:, None]).astype(np.int64)
