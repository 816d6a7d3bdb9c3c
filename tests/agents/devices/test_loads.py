"""Standard load profiles per interval (agents/devices/loads.py): totals, week, holidays, DST,
noise."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from agents.devices.loads import PROFILES, load_energy_wh

TZ = "Europe/Warsaw"


def local(text: str) -> int:
    """Epoch seconds of a local wall-clock instant in Poland."""
    return int(pd.Timestamp(text, tz=TZ).timestamp())


def span(first: str, end: str, length_s: int = 900) -> np.ndarray:
    """Interval starts from local ``first`` up to local ``end`` (exclusive) [s, UTC]."""
    return np.arange(local(first), local(end), length_s, dtype=np.int64)


def one(profile: str, starts: np.ndarray, annual_kwh: float = 1e6, **kw: object) -> np.ndarray:
    kw = {"seed": 0, "noise": 0.0} | kw
    return load_energy_wh([profile], [annual_kwh], starts, 900, TZ, **kw)[0]


@pytest.fixture(scope="module")
def year_starts() -> np.ndarray:
    return span("2026-01-01", "2027-01-01")


@pytest.fixture(scope="module")
def year_plain(year_starts: np.ndarray) -> np.ndarray:
    # The one demandlib frame of 2026 built here serves every test of the module.
    return load_energy_wh(list(PROFILES), [3500.0] * len(PROFILES), year_starts, 900, TZ, 1, 0.0)


def test_a_year_sums_to_the_annual_energy_without_noise(
    year_starts: np.ndarray, year_plain: np.ndarray
) -> None:
    assert year_starts.size == 35_040
    assert year_plain.shape == (len(PROFILES), 35_040)
    assert year_plain.dtype == np.int64
    assert np.all(year_plain >= 0)
    # Every profile, h0 (dynamised) included, within 1% of 3,500 kWh; in fact within 0.03%:
    # the unrounded year is exact (h0 loses 12 Wh to the DST hours), and rounding each of the
    # 35,040 intervals leaves up to 0.7 kWh (the weekly pattern repeats the same fractions,
    # so the rounding errors do not average out).
    np.testing.assert_allclose(year_plain.sum(axis=1), 3_500_000, rtol=3e-4)


def test_a_year_with_noise_stays_within_a_few_percent(year_starts: np.ndarray) -> None:
    noisy = load_energy_wh(["h0", "h0", "g0"], [3500.0] * 3, year_starts, 900, TZ, 42)
    np.testing.assert_allclose(noisy.sum(axis=1), 3_500_000, rtol=0.02)
    assert np.all(noisy >= 0)


def test_noise_has_mean_one_and_the_given_spread(year_starts: np.ndarray) -> None:
    plain = one("g0", year_starts)
    for sigma in (0.1, 0.3):
        ratio = one("g0", year_starts, seed=5, noise=sigma) / plain
        assert ratio.mean() == pytest.approx(1.0, abs=0.02)
        assert ratio.std() == pytest.approx(sigma, rel=0.15)
        # Correlated in time (AR(1), 1 h): neighbours are alike.
        assert np.corrcoef(ratio[:-1], ratio[1:])[0, 1] > 0.6


def test_same_seed_same_load_different_seed_different(year_starts: np.ndarray) -> None:
    starts = year_starts[: 30 * 96]
    members = (["h0", "g1", "l0"], [3500.0, 20_000.0, 8_000.0])
    a = load_energy_wh(*members, starts, 900, TZ, 9)
    assert np.array_equal(a, load_energy_wh(*members, starts, 900, TZ, 9))
    b = load_energy_wh(*members, starts, 900, TZ, 10)
    assert not np.array_equal(a, b)
    assert np.all((a != b).mean(axis=1) > 0.9)


def test_a_members_noise_does_not_depend_on_the_members_after_it(
    year_starts: np.ndarray,
) -> None:
    starts = year_starts[: 7 * 96]
    alone = load_energy_wh(["h0"], [3500.0], starts, 900, TZ, 3)
    crowd = load_energy_wh(["h0"] + ["g0"] * 20, [3500.0] * 21, starts, 900, TZ, 3)
    assert np.array_equal(alone[0], crowd[0])
    # ... while members of the same profile get noise of their own.
    twins = load_energy_wh(["h0", "h0"], [3500.0, 3500.0], starts, 900, TZ, 3)
    assert not np.array_equal(twins[0], twins[1])


def test_offices_close_on_sunday(year_plain: np.ndarray, year_starts: np.ndarray) -> None:
    g1 = year_plain[PROFILES.index("g1")]
    first = np.searchsorted(year_starts, local("2026-05-11"))  # a Monday
    week = g1[first : first + 7 * 96].reshape(7, 96)
    office_hours = week[:, 8 * 4 : 16 * 4].sum(axis=1)  # 08:00-16:00 local
    workdays, saturday, sunday = office_hours[:5], office_hours[5], office_hours[6]
    assert np.all(sunday < 0.1 * workdays)
    assert sunday < saturday
    # On a workday the office draws far more at 10:00 than at 03:00; on Sunday it does not.
    assert week[2, 40] > 4 * week[2, 12]
    assert week[6, 40] < 1.5 * week[6, 12]


@pytest.mark.parametrize(
    ("holiday", "sunday", "workday"),
    [
        ("2026-11-11", "2026-11-15", "2026-11-18"),  # Independence Day, a Wednesday
        ("2026-01-06", "2026-01-11", "2026-01-13"),  # Epiphany, a Tuesday
        ("2026-05-01", "2026-05-10", "2026-05-08"),  # Labour Day, a Friday (transition season)
    ],
)
def test_a_public_holiday_is_a_sunday(
    year_plain: np.ndarray, year_starts: np.ndarray, holiday: str, sunday: str, workday: str
) -> None:
    g1 = year_plain[PROFILES.index("g1")]

    def day(date: str) -> np.ndarray:
        first = np.searchsorted(year_starts, local(date))
        return g1[first : first + 96]

    assert np.array_equal(day(holiday), day(sunday))
    assert day(workday).sum() > 3 * day(holiday).sum()


def test_households_use_more_in_winter_than_in_summer(
    year_plain: np.ndarray, year_starts: np.ndarray
) -> None:
    h0 = year_plain[PROFILES.index("h0")]
    winter = h0[: 31 * 96].sum()  # January
    first = np.searchsorted(year_starts, local("2026-07-01"))
    summer = h0[first : first + 31 * 96].sum()  # July
    # The BDEW dynamisation (1.24 in January, 0.8 in July) on top of the seasons.
    assert winter > 1.3 * summer


def test_spring_forward_skips_the_missing_hour() -> None:
    # 2026-03-29: 01:59 CET is followed by 03:00 CEST. The local day has 23 hours (92 UTC
    # intervals), every one read from the profile at its wall-clock time.
    starts = span("2026-03-29", "2026-03-30")
    assert starts.size == 92
    g1 = one("g1", starts)
    assert g1.shape == (92,) and np.all(g1 >= 0)
    before = one("g1", span("2026-03-22", "2026-03-23"))  # the Sunday before, same season
    assert before.size == 96
    assert np.array_equal(g1[:8], before[:8])  # 00:00-01:45 local
    assert np.array_equal(g1[8:], before[12:])  # 03:00-23:45 local; 02:00-02:45 never occur
    wall = pd.to_datetime(starts, unit="s", utc=True).tz_convert(TZ)
    assert not (wall.hour == 2).any()


def test_fall_back_repeats_the_doubled_hour() -> None:
    # 2026-10-25: 02:59 CEST is followed by 02:00 CET. 25 hours, 100 UTC intervals, and the
    # two 02:00-02:59 hours read the same profile slots.
    starts = span("2026-10-25", "2026-10-26")
    assert starts.size == 100
    assert np.unique(starts).size == 100 and np.all(np.diff(starts) == 900)
    for profile in ("g1", "h0"):
        energy = one(profile, starts)
        assert np.all(energy >= 0)
        assert np.array_equal(energy[8:12], energy[12:16])
    before = one("g1", span("2026-10-18", "2026-10-19"))  # the Sunday before
    g1 = one("g1", starts)
    assert np.array_equal(g1[:12], before[:12])
    assert np.array_equal(g1[16:], before[12:])


def test_hours_sum_their_quarter_hours_and_five_minutes_split_them() -> None:
    quarters = one("g0", span("2026-03-28", "2026-03-31"))  # across the DST change
    hours = load_energy_wh(["g0"], [1e6], span("2026-03-28", "2026-03-31", 3600), 3600, TZ, 0, 0)
    assert hours.shape == (1, quarters.size // 4)
    assert np.all(np.abs(hours[0] - quarters.reshape(-1, 4).sum(axis=1)) <= 2)
    fives = load_energy_wh(["g0"], [1e6], span("2026-03-28", "2026-03-31", 300), 300, TZ, 0, 0)
    assert np.all(np.abs(fives[0].reshape(-1, 3).sum(axis=1) - quarters) <= 2)


def test_new_year_crosses_into_the_next_years_profile() -> None:
    # The intervals touch two local years: two frames, and 1 January 2027 (a Friday and a
    # holiday) looks like Sunday 3 January.
    starts = span("2026-12-31", "2027-01-04")
    g1 = one("g1", starts)
    assert g1.shape == (4 * 96,) and np.all(g1 > 0)
    assert np.array_equal(g1[96:192], g1[3 * 96 :])
    assert g1[:96].sum() > 2 * g1[96:192].sum()  # New Year's Eve is a workday


def test_zero_annual_energy_and_empty_inputs() -> None:
    starts = span("2026-06-01", "2026-06-02")
    zero = load_energy_wh(["h0", "G1"], [0.0, 10.0], starts, 900, TZ, 1)
    assert not zero[0].any() and zero[1].sum() > 0  # and profile names ignore case
    assert load_energy_wh([], [], starts, 900, TZ, 1).shape == (0, 96)
    assert load_energy_wh(["h0"], [1.0], starts[:0], 900, TZ, 1).shape == (1, 0)


def test_invalid_inputs_are_refused() -> None:
    starts = span("2026-06-01", "2026-06-02")
    with pytest.raises(ValueError, match="'h7'"):
        load_energy_wh(["h0", "h7"], [1.0, 1.0], starts, 900, TZ, 1)
    with pytest.raises(ValueError, match="annual_kwh.*member 1"):
        load_energy_wh(["h0", "h0"], [1.0, math.nan], starts, 900, TZ, 1)
    with pytest.raises(ValueError, match="annual_kwh"):
        load_energy_wh(["h0"], [-1.0], starts, 900, TZ, 1)
    with pytest.raises(ValueError, match="annual_kwh"):
        load_energy_wh(["h0"], [math.inf], starts, 900, TZ, 1)
    with pytest.raises(ValueError, match="length"):
        load_energy_wh(["h0"], [1.0, 2.0], starts, 900, TZ, 1)
    with pytest.raises(ValueError, match="timezone"):
        load_energy_wh(["h0"], [1.0], starts, 900, "Europe/Zywiec", 1)
    with pytest.raises(ValueError, match="noise"):
        load_energy_wh(["h0"], [1.0], starts, 900, TZ, 1, noise=-0.1)
    with pytest.raises(ValueError, match="seed"):
        load_energy_wh(["h0"], [1.0], starts, 900, TZ, -1)
    with pytest.raises(ValueError, match="length_s"):
        load_energy_wh(["h0"], [1.0], starts, 0, TZ, 1)
    with pytest.raises(ValueError, match="starts"):
        load_energy_wh(["h0"], [1.0], starts.astype(float), 900, TZ, 1)
    assert ZoneInfo(TZ)  # the zone the tests use exists
