"""Electricity demand: energy [Wh] per interval of many members from BDEW standard load profiles.

Each member has a profile (:data:`PROFILES`: the 1999 ones H0 households, G0-G6 businesses,
L0 farms, and the 2025 ones H25, G25, L25, P25, :mod:`agents.devices.bdew`) and an annual
consumption [kWh]. Its energy in an interval is its annual consumption times the profile's
share of the year in that interval, times a noise factor, rounded once to an integer Wh (the
rounding errors of a repeating weekly pattern do not quite average out: a year of 3,500 kWh
comes out within about 0.02%).

- Profiles: :mod:`agents.devices.bdew` for each local calendar year the intervals touch,
  with Polish public holidays (``holidays.Poland``) treated as Sundays, as the BDEW method
  does; each normalised to sum to 1 over its local year, so a member's year sums to its
  annual energy. Only the generation (1999 or 2025) some member uses is built.
- Time: the profiles are in local wall-clock time; each UTC instant is converted to the
  ``timezone``'s wall clock and read there. On the spring-forward day the wall clock jumps
  from 02:00 to 03:00, so the profile's 02:00-02:59 slots are never read and that day has
  23 hours of consumption; on the fall-back day 02:00-02:59 is read twice and the day has 25
  hours. That is how a household on the wall clock behaves, and over a year the two hours
  nearly cancel (night hours of about 0.005% of the year each; for H0 2026 they differ by
  0.0004% of the year, for G0-G6 and L0 not at all).
- Interval lengths: an interval is cut into pieces of ``gcd(900, length_s, start offsets)``
  seconds, each taking its share of the 15-minute slot it falls in (the profile is constant
  within a slot); so 60 minutes sums four slots and 5 minutes takes a third of one.
- Noise: a multiplicative lognormal factor per member and interval, ``exp(s z - s^2 / 2)``
  with ``z`` a stationary Gaussian AR(1) of correlation time 1 hour and
  ``s = sqrt(log(1 + noise^2))``: mean 1 and relative standard deviation ``noise``. Member
  ``i`` draws from the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so its noise
  depends only on the seed, ``i`` and its position in ``starts``, not on the other members.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Sequence

import numpy as np
import pandas as pd

from agents.devices.bdew import PROFILES_1999, PROFILES_2025, year_1999, year_2025
from matching.units import WH_PER_KWH

PROFILES = PROFILES_1999 + PROFILES_2025
SLOT_S = 900  # the profiles' resolution [s]
NOISE_TAU_S = 3600.0  # correlation time of the noise [s]
_TAG = 0x10AD5  # keeps these streams apart from other modules' streams of the same seed
#: Per generation: its first column in PROFILES, its column count and its year's table.
_GENERATIONS = (
    (0, len(PROFILES_1999), year_1999),
    (len(PROFILES_1999), len(PROFILES_2025), year_2025),
)


def load_energy_wh(
    profiles: Sequence[str],
    annual_kwh: Sequence[float],
    starts: np.ndarray,
    length_s: int,
    timezone: str,
    seed: int,
    noise: float = 0.15,
) -> np.ndarray:
    """Return each member's consumption [Wh] per interval, int64 of shape (members, starts), >= 0.

    ``profiles``: one name of :data:`PROFILES` per member (case-insensitive); ``annual_kwh``:
    each member's consumption over a year [kWh], finite and >= 0; ``starts``: interval starts
    [s since the epoch, UTC], 1-D integers; ``length_s``: interval length [s], > 0;
    ``timezone``: the IANA zone whose wall clock the profiles follow (``Europe/Warsaw``);
    ``seed``: integer >= 0; ``noise``: relative standard deviation of the noise [1], >= 0
    (0: the bare profile).
    """
    if len(profiles) != len(annual_kwh):
        raise ValueError(
            f"profiles and annual_kwh differ in length: {len(profiles)} != {len(annual_kwh)}"
        )
    column = np.empty(len(profiles), dtype=np.int64)
    for i, name in enumerate(profiles):
        key = name.lower() if isinstance(name, str) else name
        if key not in PROFILES:
            raise ValueError(f"unknown load profile {name!r} (member {i}); known: {PROFILES}")
        column[i] = PROFILES.index(key)
    annual = np.asarray(annual_kwh, dtype=np.float64).reshape(len(profiles))
    bad = ~(np.isfinite(annual) & (annual >= 0.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"annual_kwh must be finite and >= 0, member {i} has {annual[i]}")
    starts = np.asarray(starts)
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise ValueError(f"starts must be a 1-D integer array, was {starts.dtype} {starts.shape}")
    starts = starts.astype(np.int64, copy=False)
    if length_s <= 0:
        raise ValueError(f"length_s must be > 0, was {length_s}")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"timezone must be an IANA zone, was {timezone!r}") from error
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, was {seed!r}")
    if not (math.isfinite(noise) and noise >= 0.0):
        raise ValueError(f"noise must be finite and >= 0, was {noise}")
    if not profiles or not starts.size:
        return np.zeros((len(profiles), starts.size), dtype=np.int64)

    shares = _shares(starts, int(length_s), timezone, column)  # (len(PROFILES), T)
    energy = shares[column] * (annual * WH_PER_KWH)[:, None]  # [Wh]
    if noise > 0.0:
        energy *= _noise(len(profiles), starts.size, length_s, int(seed), noise)
    return np.rint(energy).astype(np.int64)


def _shares(starts: np.ndarray, length_s: int, timezone: str, used: np.ndarray) -> np.ndarray:
    """Return each profile's share of its year in each interval, (len(PROFILES), T); rows of
    a generation no index of ``used`` is in stay 0."""
    piece = math.gcd(SLOT_S, length_s, int(np.gcd.reduce(starts % SLOT_S)))
    pieces = length_s // piece
    utc = (starts[:, None] + piece * np.arange(pieces)).ravel()
    wall = pd.DatetimeIndex((utc * 1_000_000_000).view("datetime64[ns]")).tz_localize("UTC")
    wall = wall.tz_convert(timezone).tz_localize(None)  # naive local wall clock
    seconds = wall.asi8 // 1_000_000_000
    years = wall.year.to_numpy()
    values = np.zeros((utc.size, len(PROFILES)))
    for first, count, table in _GENERATIONS:
        if not ((used >= first) & (used < first + count)).any():
            continue
        for year in np.unique(years):
            rows = years == year
            new_year = pd.Timestamp(int(year), 1, 1).value // 1_000_000_000
            slot = (seconds[rows] - new_year) // SLOT_S
            values[rows, first : first + count] = table(int(year))[slot]
    # Each piece takes piece / SLOT_S of its slot's share.
    shares = values.reshape(starts.size, pieces, len(PROFILES)).sum(axis=1)
    return (shares * (piece / SLOT_S)).T


def _noise(members: int, intervals: int, length_s: int, seed: int, noise: float) -> np.ndarray:
    """Return mean-1 lognormal AR(1) factors, (members, intervals)."""
    children = np.random.SeedSequence([_TAG, seed]).spawn(members)
    # (T, members): the recursion below then runs over contiguous rows.
    z = np.empty((intervals, members))
    for i, child in enumerate(children):
        z[:, i] = np.random.default_rng(child).standard_normal(intervals)
    phi = math.exp(-length_s / NOISE_TAU_S)
    z[1:] *= math.sqrt(1.0 - phi * phi)  # keeps z stationary N(0, 1)
    for t in range(1, intervals):
        z[t] += phi * z[t - 1]
    s = math.sqrt(math.log1p(noise * noise))
    return np.exp(s * z - 0.5 * s * s).T
