"""The shipped scenarios bill every connection point on a stated tariff, members of groups
included (a group passes its billing keys on to each of its points)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.sim.scenario import load_scenario

SCENARIOS = Path(__file__).parents[3] / "agents" / "scenarios"


@pytest.mark.parametrize("name", ["zywiec", "staszow", "households"])
def test_every_point_of_a_shipped_scenario_states_its_tariff(name: str) -> None:
    cluster = load_scenario(SCENARIOS / f"{name}.toml").cluster
    assert all(p.billing.supplier.constant is not None for p in cluster.points)
    households = [
        p for p in cluster.points if p.id.startswith(("PL-TAURON-DOM", "PL-PGE-DOM", "PL-DOM"))
    ]
    assert households and all(p.billing.tariff == "G11" for p in households)
