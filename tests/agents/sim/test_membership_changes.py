"""``klaster simulate`` with members joining and leaving mid-run (issue 11): each change is
journaled by the coordinator for the day's first interval; a member trades, is metered
and settled only while it is in the cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.sim.market_port import LocalMarket
from agents.sim.scenario import ScenarioError, load_scenario, parse_scenario
from agents.sim.simulation import _Run, timeline
from tests import REPO

SCENARIO = REPO / "agents" / "scenarios" / "joining.toml"


def test_members_join_and_leave_mid_run_and_trade_only_while_in() -> None:
    scenario = load_scenario(SCENARIO)
    assert scenario.membership == {"dom-2": (None, 2), "firma": (1, None)}
    run = _Run(scenario)
    result = run.run(None)
    market = run.port.market
    assert isinstance(run.port, LocalMarket)
    days = timeline(scenario).day_starts.tolist()
    assert market.versions.starts[1:] == [days[0], days[1], days[2]]
    firm, leaver = market.registry.member_code["firma"], market.registry.member_code["dom-2"]
    for start in range(days[0], days[-1], run.length):
        registry = market.registry_at(start)
        assert registry.active[firm] == (start >= days[1])
        assert registry.active[leaver] == (start < days[2])
    # Only in its days: the firm bought nothing on day 1, the household sold nothing on day 3.
    assert market.statement("firma", days[0], days[1]).bought_wh == 0
    assert market.statement("firma", days[1], days[3]).bought_wh > 0
    assert market.statement("dom-2", days[2], days[3]).sold_wh == 0
    assert market.statement("dom-2", days[0], days[2]).sold_wh > 0
    assert market.readings.missing_points(days[0]) == []  # a point out is not awaited
    assert result.kpis["pending_intervals"] == 0


def test_joins_and_leaves_must_be_days_of_the_run_and_not_the_coordinators(tmp_path: Path) -> None:
    text = SCENARIO.read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match="joins must be a day of the run"):
        parse_scenario(text.replace("joins = 2026-06-02", "joins = 2026-07-02"), "j.toml")
    coordinator = text.replace('kind = "coordinator"', 'kind = "coordinator"\nleaves = 2026-06-02')
    with pytest.raises(ScenarioError, match="stays for the whole run"):
        parse_scenario(coordinator, "j.toml")
