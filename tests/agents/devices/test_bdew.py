"""The BDEW profile tables (agents/devices/bdew.py): the 1999 ones as demandlib builds them,
the 2025 ones, and the Polish holidays both treat as Sundays (24 December from 2025 on)."""

from __future__ import annotations

import datetime as dt
import warnings

import holidays
import numpy as np
import pytest
from demandlib.bdew import ElecSlp

from agents.devices.bdew import PROFILES_1999, PROFILES_2025, year_1999, year_2025
from agents.devices.loads import PROFILES, load_energy_wh
from tests.agents.devices.test_loads import TZ, span


@pytest.mark.parametrize("year", [2024, 2026])  # a leap year and a common one
def test_the_1999_table_is_demandlibs_to_the_last_bit(
    year: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ElecSlp makes every warning an error, and pandas 3.1 warns about its in-place
    # sort_index: muted here, so the reference runs under pandas 2 and 3 alike.
    monkeypatch.setattr(warnings, "simplefilter", lambda *args, **kwargs: None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        slp = ElecSlp(year, holidays=holidays.Poland(years=year))
    columns = ["h0_dyn" if p == "h0" else p for p in PROFILES_1999]
    reference = slp.get_profiles(*columns).to_numpy(dtype=np.float64)
    reference /= reference.sum(axis=0)
    assert np.array_equal(year_1999(year), reference)


def test_each_generation_sums_to_one_over_its_year() -> None:
    for table, names in ((year_1999(2026), PROFILES_1999), (year_2025(2026), PROFILES_2025)):
        assert table.shape == (35_040, len(names))
        assert np.all(table >= 0)
        np.testing.assert_allclose(table.sum(axis=0), 1.0, rtol=1e-12)
    assert year_2025(2028).shape == (35_136, len(PROFILES_2025))  # leap year


def test_christmas_eve_is_a_polish_holiday_from_2025() -> None:
    assert dt.date(2025, 12, 24) in holidays.Poland(years=2025)
    assert dt.date(2024, 12, 24) not in holidays.Poland(years=2024)


@pytest.mark.parametrize("profile", ["g0", "g25", "h25"])
def test_christmas_eve_2025_is_read_as_a_sunday(profile: str) -> None:
    starts = span("2025-12-17", "2025-12-26")  # Wednesday 17th to Thursday 25th
    load = load_energy_wh([profile], [1e6], starts, 900, TZ, 0, noise=0.0)[0].reshape(9, 96)
    wednesday, sunday, eve, christmas = load[0], load[4], load[7], load[8]
    if profile == "h25":  # dynamised day by day: compare the shape of the day
        assert np.allclose(eve / eve.sum(), christmas / christmas.sum(), rtol=1e-2)
    else:  # the 24th (a Wednesday) as the 25th (a holiday) and as Sunday the 21st
        assert np.array_equal(eve, christmas) and np.array_equal(eve, sunday)
    assert not np.allclose(eve / eve.sum(), wednesday / wednesday.sum(), rtol=1e-2)


def test_pv_households_draw_little_at_a_june_noon() -> None:
    starts = span("2026-06-08", "2026-06-15")  # a week
    h25, p25 = load_energy_wh(["h25", "p25"], [4000.0] * 2, starts, 900, TZ, 0, noise=0.0)
    noon = slice(11 * 4, 14 * 4)
    assert p25.reshape(7, 96)[:, noon].sum() < 0.4 * h25.reshape(7, 96)[:, noon].sum()


def test_h25_is_dynamised_more_in_january_than_in_july() -> None:
    january = load_energy_wh(["h25"], [4000.0], span("2026-01-05", "2026-01-12"), 900, TZ, 0)
    july = load_energy_wh(["h25"], [4000.0], span("2026-07-06", "2026-07-13"), 900, TZ, 0)
    assert january.sum() > 1.2 * july.sum()


def test_the_profile_names_are_both_generations() -> None:
    assert PROFILES == PROFILES_1999 + PROFILES_2025
    assert set(PROFILES_2025) == {"h25", "g25", "l25", "p25"}
