"""Realistic inputs in a scenario: a PVGIS TMY file for PV (``[scenario.site] tmy``) and the
BDEW 2025 profiles per member; a scenario without them runs as before."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from agents.sim.scenario import ScenarioError, load_scenario
from agents.sim.simulation import _profiles, timeline
from tests.agents.devices.test_tmy import FIXTURE
from tests.agents.sim.test_scenario import SMALL

SITE = "latitude = 49.7\nlongitude = 19.2\n"


def scenario_file(tmp_path: Path, text: str, tmy: str | None = "tmy.csv") -> Path:
    shutil.copy(FIXTURE, tmp_path / "tmy.csv")
    if tmy is not None:
        text = text.replace(SITE, SITE + f'tmy = "{tmy}"\n')
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pv_of(path: Path, start: str) -> np.ndarray:
    scenario = load_scenario(path, start=dt.date.fromisoformat(start), days=7)
    return _profiles(scenario, timeline(scenario)).pv


def test_pv_follows_the_tmy_and_its_seasons(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, SMALL)
    assert load_scenario(path).weather is not None
    june, december = pv_of(path, "2026-06-15"), pv_of(path, "2026-12-15")
    assert june.sum() > 4 * december.sum() > 0
    synthetic = pv_of(scenario_file(tmp_path, SMALL, tmy=None), "2026-06-15")
    assert not np.array_equal(june, synthetic)


def test_without_a_tmy_the_synthetic_clouds_stay(tmp_path: Path) -> None:
    assert load_scenario(scenario_file(tmp_path, SMALL, tmy=None)).weather is None


@pytest.mark.parametrize(
    ("tmy", "message"),
    [
        ("nope.csv", "scenario.site.tmy: .*nope.csv: no such file"),
        ("small.toml", r"scenario.site.tmy: .*\.csv or \.json"),
        ("", "scenario.site.tmy must be a non-empty string"),
    ],
)
def test_a_bad_tmy_names_the_field_and_the_file(tmp_path: Path, tmy: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(scenario_file(tmp_path, SMALL, tmy=tmy))


def test_a_tmy_of_another_site_is_refused(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, SMALL)
    text = path.read_text(encoding="utf-8").replace("latitude = 49.7", "latitude = 52.2")
    path.write_text(text, encoding="utf-8")  # Warsaw's latitude
    with pytest.raises(ScenarioError, match="is for 49.686 N 19.192 E, more than 1 deg"):
        load_scenario(path)


def test_members_choose_2025_profiles(tmp_path: Path) -> None:
    text = SMALL.replace(
        'profile = "g1", annual_kwh = 90000', 'profile = "g25", annual_kwh = 90000'
    )
    text = text.replace('profile = "h0"', 'profile = "h25"')
    path = scenario_file(tmp_path, text, tmy=None)
    scenario = load_scenario(path)
    profiles = {p.load.profile for a in scenario.agents for p in a.points if p.load}
    assert profiles == {"g25", "h25"}
    assert _profiles(scenario, timeline(scenario)).load.sum() > 0


def test_p25_with_a_pv_device_is_refused(tmp_path: Path) -> None:
    text = SMALL.replace('profile = "g1", annual_kwh = 90000', 'profile = "p25", annual_kwh = 4000')
    with pytest.raises(ScenarioError, match='connection point "PL-2": load.profile "p25"'):
        load_scenario(scenario_file(tmp_path, text, tmy=None))
