"""The clear-sky index process: range, reproducibility, texture (agents/devices/weather.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.devices.weather import K_MAX, K_MIN, clear_sky_index

DAY = 86_400
JAN_2026 = 1_767_225_600  # 2026-01-01T00:00Z [s]


def grid(days: int, length_s: int = 900, start: int = JAN_2026) -> np.ndarray:
    return start + length_s * np.arange(days * DAY // length_s, dtype=np.int64)


@pytest.fixture(scope="module")
def year() -> np.ndarray:
    return clear_sky_index(grid(365), 900, 7)


def test_one_value_per_interval_within_bounds(year: np.ndarray) -> None:
    assert year.shape == (365 * 96,)
    assert year.dtype == np.float64
    assert np.all((year >= K_MIN) & (year <= K_MAX))
    # Both bounds are reached: clear noons and heavy overcast both happen in a year.
    assert year.max() == K_MAX
    assert year.min() < 0.1


def test_same_seed_same_index_different_seed_different(year: np.ndarray) -> None:
    starts = grid(365)
    assert np.array_equal(clear_sky_index(starts, 900, 7), year)
    other = clear_sky_index(starts, 900, 8)
    assert not np.array_equal(other, year)
    assert np.mean(np.abs(other - year)) > 0.1  # not a small perturbation: another weather


def test_an_instant_gets_the_same_index_whatever_the_window(year: np.ndarray) -> None:
    starts = grid(365)
    by_day = [clear_sky_index(starts[d * 96 : (d + 1) * 96], 900, 7) for d in range(40, 70)]
    assert np.array_equal(np.concatenate(by_day), year[40 * 96 : 70 * 96])
    # A lone interval, and the intervals in any order.
    assert clear_sky_index(starts[5000:5001], 900, 7)[0] == year[5000]
    order = np.random.default_rng(0).permutation(starts.size)[:500]
    assert np.array_equal(clear_sky_index(starts[order], 900, 7), year[order])


def test_an_hour_is_the_mean_of_its_quarter_hours(year: np.ndarray) -> None:
    hourly = clear_sky_index(grid(365, 3600), 3600, 7)
    np.testing.assert_allclose(hourly, year.reshape(-1, 4).mean(axis=1), rtol=0, atol=1e-12)


def test_long_run_mean_is_plausible_for_southern_poland(year: np.ndarray) -> None:
    # About 0.66 in the long run (module docstring): ~1,000 kWh/m2 a year at Żywiec. One
    # year of one seed varies by a few hundredths.
    means = [year.mean()] + [clear_sky_index(grid(365), 900, s).mean() for s in (1, 2)]
    assert all(0.58 < m < 0.74 for m in means), means


def test_days_fall_into_regimes_that_persist(year: np.ndarray) -> None:
    daily = year.reshape(365, 96)
    daytime = daily[:, 28:60].mean(axis=1)  # 07:00-15:00 UTC, daylight all year in Poland
    clear, overcast = daytime > 0.88, daytime < 0.45
    assert 0.15 < clear.mean() < 0.5
    assert 0.15 < overcast.mean() < 0.5
    # The Markov chain keeps the weather for a few days: tomorrow resembles today.
    assert np.corrcoef(daytime[:-1], daytime[1:])[0, 1] > 0.2
    # Mixed days vary more within the day than clear or overcast ones.
    spread = daily[:, 28:60].std(axis=1)
    mixed = ~clear & ~overcast
    assert spread[mixed].mean() > 2 * spread[clear].mean()
    assert spread[mixed].mean() > 1.5 * spread[overcast].mean()


def test_within_a_day_clouds_come_and_go_smoothly(year: np.ndarray) -> None:
    daily = year.reshape(365, 96)[:, 28:60]
    step = np.abs(np.diff(daily, axis=1)).mean()
    shuffled = np.abs(np.diff(np.random.default_rng(1).permuted(daily, axis=1), axis=1)).mean()
    assert step < 0.7 * shuffled  # neighbours in time are alike: an AR process, not noise


def test_empty_and_invalid_inputs() -> None:
    assert clear_sky_index(np.array([], dtype=np.int64), 900, 1).shape == (0,)
    with pytest.raises(ValueError, match="length_s"):
        clear_sky_index(grid(1), 0, 1)
    with pytest.raises(ValueError, match="seed"):
        clear_sky_index(grid(1), 900, -1)
    with pytest.raises(ValueError, match="starts"):
        clear_sky_index(grid(1).astype(float), 900, 1)
    with pytest.raises(ValueError, match="starts"):
        clear_sky_index(grid(1).reshape(4, 24), 900, 1)
