"""A scenario's register facts: derived from each point's devices unless the point states
them; legal kinds and voltages stated (members, points, groups); shipped scenarios meet the
legal conditions with every fact stated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.sim.scenario import load_scenario
from engine import register_figures
from tests.agents.sim.test_scenario import SCENARIOS, SMALL, error, parse

GENERATORS = """
[[members]]
id = "biogas"
name = "Biogas and PV"
[[members.connection_points]]
id = "PL-B"
terc = "2417011"
dso = "D"
max_import_kw = "50"
max_export_kw = "200"
load = { profile = "g3", annual_kwh = 12000.5 }
pv = { kwp = 20.25 }
generator = { kw = 150, marginal_cost_pln_mwh = "300.00", source = "biogas" }
[[members.connection_points]]
id = "PL-C"
terc = "2417011"
dso = "D"
max_import_kw = "50"
max_export_kw = "200"
generator = { kw = 100, marginal_cost_pln_mwh = "300.00", source = "biogas" }
battery = { capacity_kwh = 40, power_kw = 20 }
[[members.connection_points]]
id = "PL-D"
terc = "2417011"
dso = "D"
max_import_kw = "50"
max_export_kw = "200"
installed_kw = "99"
source = "wind"
pv = { kwp = 10 }
"""


def register(scenario, point_id: str):
    return scenario.cluster.point_by_id(point_id).register


def test_facts_come_from_the_devices() -> None:
    scenario = parse(SMALL + GENERATORS)
    school = register(scenario, "PL-2")
    assert (school.installed_kw, school.source, school.annual_demand_kwh) == (30, "pv", 90_000)
    assert register(scenario, "PL-1").source == "none"  # the coordinator has no devices
    # PV and a biogas engine on one point: one source per point, so it is not guessed.
    mixed = register(scenario, "PL-B")
    assert (mixed.installed_kw, mixed.source) == (Decimal("170.250"), "unspecified")
    assert mixed.annual_demand_kwh == Decimal("12000.500")
    engine = register(scenario, "PL-C")
    assert (engine.installed_kw, engine.source) == (100, "biogas")
    assert (engine.storage_kw, engine.storage_kwh) == (20, 40)
    # What a point states is kept.
    assert (register(scenario, "PL-D").installed_kw, register(scenario, "PL-D").source) == (
        99,
        "wind",
    )


def test_groups_pass_legal_kind_and_voltage_to_every_member() -> None:
    text = SMALL.replace('id_prefix = "dom"\n', 'id_prefix = "dom"\nlegal_kind = "person"\n')
    text = text.replace('max_export_kw = "8"\n', 'max_export_kw = "8"\nvoltage_kv = "0.4"\n')
    scenario = parse(text)
    houses = [m for m in scenario.cluster.members if m.id.startswith("dom-")]
    assert {m.legal_kind for m in houses} == {"person"}
    assert {m.connection_points[0].register.voltage_kv for m in houses} == {Decimal("0.4")}


def test_a_generator_of_an_unknown_source_is_refused() -> None:
    bad = GENERATORS.replace('source = "biogas" }\n[[', 'source = "sun" }\n[[')
    assert "generator.source must be one of pv, wind" in error(SMALL + bad)


def test_a_stated_breach_of_a_legal_condition_stops_the_scenario() -> None:
    text = SMALL.replace('max_export_kw = "0"\n', 'max_export_kw = "0"\nvoltage_kv = "110"\n')
    assert 'connection point "PL-1": voltage_kv must be below' in error(text)


@pytest.mark.parametrize("name", ["zywiec.toml", "staszow.toml", "households.toml"])
def test_shipped_scenarios_state_every_fact_and_meet_the_legal_conditions(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name, group_size=5)
    f = register_figures(scenario.cluster)
    assert (f.network, f.municipality) == ("met", "met")
    assert f.voltage_unspecified == () and f.legal_kind_unspecified == ()
    assert f.unspecified_kw == 0 and f.installed.met
