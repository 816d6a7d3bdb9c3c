"""``klaster simulate --url`` through members joining and leaving (issue 11): against a live
``klaster serve --scenario`` on loopback, each change goes to ``POST /v1/cluster/changes``
as the coordinator, and the run writes the same report as in process."""

from __future__ import annotations

from pathlib import Path

from agents.sim.scenario import load_scenario
from agents.sim.simulation import timeline
from engine.cli.main import main
from engine.market.recovery import JOURNAL_FILE, replayed_state
from tests.agents.sim.test_membership_changes import SCENARIO
from tests.serving import start_server


def simulate_cli(out: Path, *extra: str) -> int:
    return main(["simulate", str(SCENARIO), "--out", str(out), "--no-plots", *extra])


def test_a_run_with_joins_and_leaves_over_http_equals_the_run_in_process(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--scenario", str(SCENARIO))
    try:
        tokens = tmp_path / "data" / "scenario-tokens.txt"
        remote = simulate_cli(tmp_path / "remote", "--url", server.url, "--tokens", str(tokens))
        assert remote == 0
    finally:
        assert server.stop() == 0
    assert simulate_cli(tmp_path / "local") == 0
    for name in ("intervals.csv", "statements.csv", "kpis.json"):
        assert (tmp_path / "remote" / name).read_bytes() == (
            tmp_path / "local" / name
        ).read_bytes(), name
    # The served journal holds the changes, each in force from its day's first interval:
    # the firm out on the first day, in from the second, dom-2 out from the third.
    scenario = load_scenario(SCENARIO)
    state = replayed_state(tmp_path / "data" / JOURNAL_FILE, scenario.cluster)
    days = timeline(scenario).day_starts.tolist()
    assert state.versions.starts[1:] == days[:3]
    firm, leaver = state.registry.member_code["firma"], state.registry.member_code["dom-2"]
    assert [bool(state.registry_at(d).active[firm]) for d in days[:3]] == [False, True, True]
    assert [bool(state.registry_at(d).active[leaver]) for d in days[:3]] == [True, True, False]
