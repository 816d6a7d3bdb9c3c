"""Scenario files: the shipped ones load; every error names the file, the member and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agents.sim.scenario import ScenarioError, load_scenario, parse_scenario
from tests import REPO

SCHOOL = 'member "school", connection point "PL-2"'
SCENARIOS = REPO / "agents" / "scenarios"

SMALL = """
[scenario]
name = "small"
start = 2026-06-01
days = 2
seed = 5
[scenario.site]
latitude = 49.7
longitude = 19.2

[cluster]
id = "small"
name = "Small"
horizon_intervals = 192

[prices]
floor_pln_mwh = "250.00"
cap_pln_mwh = "900.00"

[[members]]
id = "coord"
name = "Coordinator"
role = "coordinator"
[[members.connection_points]]
id = "PL-1"
terc = "2417011"
dso = "D"
max_import_kw = "10"
max_export_kw = "0"

[[members]]
id = "school"
name = "School"
kind = "public"
strategy = "zip"
[[members.connection_points]]
id = "PL-2"
terc = "2417011"
dso = "D"
max_import_kw = "50"
max_export_kw = "40"
load = { profile = "g1", annual_kwh = 90000 }
pv = { kwp = 30 }

[[groups]]
id_prefix = "dom"
count = 3
terc = "2417011"
dso = "D"
max_import_kw = "14"
max_export_kw = "8"
strategy = { zic = 1, zip = 1 }
load = { profile = "h0", annual_kwh = [2000, 4000] }
pv = { share = 0.5, kwp = [3, 8] }
"""


def parse(text: str = SMALL, **overrides: object):
    return parse_scenario(text, "small.toml", **overrides)


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse(text)
    return str(info.value)


@pytest.mark.parametrize("name", ["zywiec.toml", "staszow.toml", "households.toml"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    assert scenario.agents and scenario.days >= 1
    kinds = {agent.kind for agent in scenario.agents}
    assert "household" in kinds


def test_zywiec_has_the_members_of_the_seed_text() -> None:
    scenario = load_scenario(SCENARIOS / "zywiec.toml")
    ids = {m.id for m in scenario.cluster.members}
    assert {"oke", "gmina-zywiec", "starostwo-zywiec", "zm-ekologia", "numeron"} <= ids
    assert {"euvic-energia", "uczelnia-zywiec", "cieplownia-zywiec", "odpady-zywiec"} <= ids
    households = [a for a in scenario.agents if a.kind == "household"]
    assert len(households) == 300
    assert scenario.cluster.coordinator.id == "oke"


def test_staszow_has_a_conventional_seller_and_biogas() -> None:
    scenario = load_scenario(SCENARIOS / "staszow.toml")
    by_id = {a.member_id: a for a in scenario.agents}
    assert by_id["enea-polaniec"].points[0].generator is not None
    assert by_id["zgok-staszow"].points[0].generator is not None
    assert by_id["zec-staszow"].kind == "heat-plant"


def test_small_scenario_expands_groups() -> None:
    s = parse()
    assert s.start == dt.date(2026, 6, 1) and s.days == 2 and s.seed == 5
    ids = [a.member_id for a in s.agents]
    assert ids == ["coord", "school", "dom-0001", "dom-0002", "dom-0003"]
    school = s.agents[1]
    assert school.kind == "public" and school.strategy == "zip"
    assert school.points[0].pv.kwp == 30 and school.points[0].load.profile == "g1"
    for agent in s.agents[2:]:
        assert agent.strategy in ("zic", "zip")
        assert 2000 <= agent.points[0].load.annual_kwh <= 4000
    assert s.cluster.point_by_id("PL-DOM-0002") is not None


def test_same_seed_same_members_other_seed_other_draws() -> None:
    assert parse().agents == parse().agents
    assert parse().agents != parse(seed=6).agents


def test_overrides() -> None:
    s = parse(days=9, group_size=10)
    assert s.days == 9 and len(s.agents) == 12


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("pv = { kwp = 30 }", "pv = { kwp = -3 }", f"{SCHOOL}: pv.kwp"),
        ("pv = { kwp = 30 }", "pv = { kwp = nan }", f"{SCHOOL}: pv.kwp"),
        ("pv = { kwp = 30 }", "pv = { kwp = 30, tilt = 95 }", "pv.tilt"),
        ("pv = { kwp = 30 }", "pv = { kwpp = 30 }", 'unknown key "pv.kwpp"'),
        ('profile = "g1"', 'profile = "x9"', f"{SCHOOL}: load.profile"),
        ("annual_kwh = 90000 }", 'annual_kwh = "lots" }', "load.annual_kwh must be a number"),
        ('strategy = "zip"', 'strategy = "greedy"', 'member "school": strategy must be one of'),
        ('kind = "public"', "kind = 3", 'member "school": kind'),
        ('max_import_kw = "50"', 'max_import_kw = "-5"', 'connection point "PL-2": max_import_kw'),
        ("days = 2", "days = 0", "scenario.days"),
        ("start = 2026-06-01", 'start = "June"', "scenario.start must be a TOML local date"),
        ("latitude = 49.7", "latitude = 149.7", "scenario.site.latitude"),
        ("horizon_intervals = 192", "horizon_intervals = 96", "cluster.horizon_intervals"),
        ("count = 3", "count = 0", 'group "dom": count'),
        ("count = 3", "cuont = 3", 'group "dom": unknown key "cuont"'),
        ("share = 0.5", "share = 1.5", 'group "dom": pv.share'),
        ("[2000, 4000]", "[4000, 2000]", 'group "dom": load.annual_kwh'),
        ("{ zic = 1, zip = 1 }", "{ zic = 1, best = 1 }", 'group "dom": strategy'),
    ],
)
def test_errors_name_file_member_and_field(old: str, new: str, expected: str) -> None:
    assert old in SMALL
    message = error(SMALL.replace(old, new, 1))
    assert message.startswith("small.toml: ")
    assert expected in message


def test_storage_point_with_a_load_is_refused() -> None:
    text = SMALL.replace(
        "pv = { kwp = 30 }",
        'battery = { capacity_kwh = 10, power_kw = 5, mode = "arbitrage" }',
    )
    assert 'connection point "PL-2": battery.mode "arbitrage"' in error(text)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\n")
    with pytest.raises(ScenarioError, match="bad.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match=r"\[scenario\] table is required"):
        parse("[cluster]\nid='x'\n")
