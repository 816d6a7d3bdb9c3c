"""PV generation per interval (agents/devices/pv.py): night, noon, orientation, magnitude,
scaling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pvlib.location import Location

from agents.devices.pv import PvSystem, Site, pv_energy_wh
from agents.devices.weather import clear_sky_index

ZYWIEC = Site(49.69, 19.19, 350.0, "Europe/Warsaw")
JUNE_21 = 1_782_000_000 - 1_782_000_000 % 86_400  # 2026-06-21T00:00Z [s]
SOUTH = PvSystem(1.0)
NORTH = PvSystem(1.0, azimuth=0.0)


def day(start: int = JUNE_21, length_s: int = 900) -> np.ndarray:
    return start + length_s * np.arange(86_400 // length_s, dtype=np.int64)


def clear(starts: np.ndarray) -> np.ndarray:
    return np.ones(starts.size)


def test_the_fixture_date_is_the_summer_solstice() -> None:
    assert pd.Timestamp(JUNE_21, unit="s", tz="UTC") == pd.Timestamp("2026-06-21", tz="UTC")


def test_shape_dtype_and_sign() -> None:
    starts = day()
    energy = pv_energy_wh(ZYWIEC, [SOUTH, NORTH, SOUTH], starts, 900, clear(starts))
    assert energy.shape == (3, 96)
    assert energy.dtype == np.int64
    assert np.all(energy >= 0)
    assert np.array_equal(energy[0], energy[2])
    empty = pv_energy_wh(ZYWIEC, [], starts, 900, clear(starts))
    assert empty.shape == (0, 96)
    none = pv_energy_wh(ZYWIEC, [SOUTH], starts[:0], 900, clear(starts[:0]))
    assert none.shape == (1, 0)


def test_zero_while_the_sun_is_below_the_horizon() -> None:
    starts = np.concatenate([day(), day(JUNE_21 + 180 * 86_400)])  # solstice and mid-December
    energy = pv_energy_wh(ZYWIEC, [SOUTH, PvSystem(9.0, 90.0, 270.0)], starts, 900, clear(starts))
    midpoints = pd.to_datetime(starts + 450, unit="s", utc=True)
    location = Location(ZYWIEC.latitude, ZYWIEC.longitude, ZYWIEC.timezone, ZYWIEC.altitude)
    elevation = location.get_solarposition(midpoints)["apparent_elevation"].to_numpy()
    night = elevation < 0
    assert 40 < night.sum() < 140  # both a short and a long night are in the sample
    assert np.all(energy[:, night] == 0)
    assert np.all(energy[:, elevation > 5] > 0)


def test_a_south_roof_peaks_near_solar_noon() -> None:
    # Solar noon at 19.19 E: 12:00 UTC - 19.19 deg * 4 min/deg - equation of time (-1.7 min on
    # 21 June) = 10:45 UTC. A 35 deg south roof peaks there on a clear day.
    starts = day()
    energy = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, clear(starts))[0]
    peak_midpoint_min = (starts[np.argmax(energy)] - JUNE_21 + 450) / 60
    assert abs(peak_midpoint_min - (10 * 60 + 45)) <= 15
    # And a west roof peaks in the afternoon, an east roof in the morning.
    east_west = pv_energy_wh(
        ZYWIEC, [PvSystem(1.0, 35.0, 90.0), PvSystem(1.0, 35.0, 270.0)], starts, 900, clear(starts)
    )
    assert starts[np.argmax(east_west[0])] - JUNE_21 < 10 * 3600
    assert starts[np.argmax(east_west[1])] - JUNE_21 > 12 * 3600


def test_a_clear_june_day_at_zywiec_gives_5_to_9_kwh_per_kwp() -> None:
    # The sun at noon stands 63.8 deg high (90 - 49.69 + 23.44); the day lasts 16 h. pvlib's
    # Ineichen clear sky with Żywiec's June Linke turbidity gives about 7.1 kWh/m2 of global
    # horizontal irradiation, a 35 deg south plane about the same in June; at 14% losses
    # that is 6.1 kWh per kWp. Extraterrestrial horizontal irradiation that day is about
    # 11.6 kWh/m2 and a clear atmosphere passes 60-75% of it: 5-9 kWh/kWp is the plausible
    # range after losses.
    starts = day()
    energy = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, clear(starts))[0].sum()
    assert 5_000 <= energy <= 9_000
    assert 5_800 <= energy <= 6_400  # the figure above
    # Hourly intervals and 5-minute intervals give the same day within 1%.
    for length in (300, 3600):
        other = pv_energy_wh(
            ZYWIEC, [SOUTH], day(length_s=length), length, np.ones(86_400 // length)
        )
        assert other.sum() == pytest.approx(energy, rel=0.01)


def test_south_beats_north_over_a_summer_day_and_clouds_narrow_the_gap() -> None:
    starts = day()
    sunny = pv_energy_wh(ZYWIEC, [SOUTH, NORTH], starts, 900, clear(starts)).sum(axis=1)
    assert sunny[0] > 1.2 * sunny[1]
    grey = pv_energy_wh(ZYWIEC, [SOUTH, NORTH], starts, 900, np.full(96, 0.15)).sum(axis=1)
    # Below k = 0.2 there is no beam and Hay-Davies' diffuse is all isotropic: the north roof
    # gets as much as the south one.
    assert grey[0] / grey[1] == pytest.approx(1.0, abs=0.01)
    partly = pv_energy_wh(ZYWIEC, [SOUTH, NORTH], starts, 900, np.full(96, 0.5)).sum(axis=1)
    assert 1.0 < partly[0] / partly[1] < sunny[0] / sunny[1]
    # And in winter the difference is far larger (the sun stays low in the south).
    winter = day(JUNE_21 + 183 * 86_400)
    december = pv_energy_wh(ZYWIEC, [SOUTH, NORTH], winter, 900, clear(winter)).sum(axis=1)
    assert december[0] > 3 * december[1]


def test_energy_scales_linearly_in_kwp_and_with_losses() -> None:
    starts = day()
    sky = clear_sky_index(starts, 900, 3)
    systems = [PvSystem(1.0), PvSystem(2.0), PvSystem(7.5), PvSystem(1.0, losses=0.57)]
    energy = pv_energy_wh(ZYWIEC, systems, starts, 900, sky)
    exact = energy[0]  # rounded once: each row is within 0.5 Wh x factor of the scaled first
    assert np.all(np.abs(energy[1] - 2 * exact) <= 1)
    assert np.all(np.abs(energy[2] - 7.5 * exact) <= 4)
    assert np.all(np.abs(energy[3] - 0.5 * exact) <= 1)
    assert energy[2].sum() == pytest.approx(7.5 * exact.sum(), rel=1e-3)


def test_clouds_scale_the_energy_down() -> None:
    starts = day()
    bright = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, clear(starts))
    half = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, np.full(96, 0.5))
    dark = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, np.zeros(96))
    assert np.all(half <= bright)
    assert 0.3 * bright.sum() < half.sum() < 0.6 * bright.sum()
    assert not dark.any()
    cloudy = pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, clear_sky_index(starts, 900, 5))
    assert np.all(cloudy <= bright)


def test_systems_grouped_by_orientation_match_systems_alone() -> None:
    starts = day()
    sky = clear_sky_index(starts, 900, 11)
    rng = np.random.default_rng(4)
    systems = [
        PvSystem(float(rng.uniform(1, 10)), float(rng.choice([0, 30, 35])), float(az))
        for az in rng.choice([90.0, 180.0, 270.0, 200.5], 12)
    ]
    together = pv_energy_wh(ZYWIEC, systems, starts, 900, sky)
    for row, system in zip(together, systems, strict=True):
        alone = pv_energy_wh(ZYWIEC, [system], starts, 900, sky)[0]
        assert np.all(np.abs(row - alone) <= 1)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kwp", {"kwp": 0.0}),
        ("kwp", {"kwp": -1.0}),
        ("kwp", {"kwp": math.nan}),
        ("kwp", {"kwp": math.inf}),
        ("tilt", {"kwp": 1.0, "tilt": 91.0}),
        ("tilt", {"kwp": 1.0, "tilt": -1.0}),
        ("tilt", {"kwp": 1.0, "tilt": math.nan}),
        ("azimuth", {"kwp": 1.0, "azimuth": 360.0}),
        ("azimuth", {"kwp": 1.0, "azimuth": -0.5}),
        ("losses", {"kwp": 1.0, "losses": 1.0}),
        ("losses", {"kwp": 1.0, "losses": -0.1}),
        ("losses", {"kwp": 1.0, "losses": math.nan}),
    ],
)
def test_invalid_systems_are_refused_naming_the_field(field: str, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=field):
        PvSystem(**kwargs)


def test_invalid_sites_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="latitude"):
        Site(math.nan, 19.0, 300.0, "Europe/Warsaw")
    with pytest.raises(ValueError, match="longitude"):
        Site(50.0, 190.0, 300.0, "Europe/Warsaw")
    with pytest.raises(ValueError, match="altitude"):
        Site(50.0, 19.0, math.inf, "Europe/Warsaw")
    with pytest.raises(ValueError, match="timezone"):
        Site(50.0, 19.0, 300.0, "Europe/Zywiec")
    starts = day()
    with pytest.raises(ValueError, match="sky"):
        pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, np.ones(95))
    with pytest.raises(ValueError, match="sky"):
        pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, np.full(96, math.nan))
    with pytest.raises(ValueError, match="sky"):
        pv_energy_wh(ZYWIEC, [SOUTH], starts, 900, np.full(96, -0.1))
    with pytest.raises(ValueError, match="starts"):
        pv_energy_wh(ZYWIEC, [SOUTH], starts.astype(float), 900, clear(starts))
    with pytest.raises(ValueError, match="length_s"):
        pv_energy_wh(ZYWIEC, [SOUTH], starts, 0, clear(starts))
