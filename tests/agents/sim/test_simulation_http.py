"""A scenario against a live ``klaster serve --scenario`` gives what it gives in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.sim.market_port import HttpMarket, PortError, read_tokens
from agents.sim.scenario import load_scenario
from agents.sim.simulation import simulate
from engine.cli.main import main
from tests.agents.sim.test_scenario import SMALL
from tests.serving import Server, start_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sim-http")
    scenario_file = root / "small.toml"
    scenario_file.write_text(SMALL)
    server = start_server(root / "data", "--scenario", str(scenario_file))
    yield server, scenario_file, root
    assert server.stop() == 0


def simulate_cli(scenario: Path, out: Path, *extra: str, days: int = 1) -> int:
    args = ["simulate", str(scenario), "--days", str(days), "--out", str(out), "--no-plots"]
    return main([*args, *extra])


def test_http_run_writes_the_same_report_as_the_in_process_run(served) -> None:
    server, scenario_file, root = served
    tokens = root / "data" / "scenario-tokens.txt"
    remote = ("--url", server.url, "--tokens", str(tokens))
    assert simulate_cli(scenario_file, root / "remote", *remote, days=2) == 0
    assert simulate_cli(scenario_file, root / "local", days=2) == 0
    # Every figure is rounded once by one rule, in process and by the API alike: the same
    # bytes, the KPIs included. On the second day the ZIP traders quote what they learnt
    # from the first day's published results (price, best unfilled quotes, indicative).
    for name in ("intervals.csv", "statements.csv", "kpis.json"):
        remote = (root / "remote" / name).read_bytes()
        assert remote == (root / "local" / name).read_bytes(), name
    kpis = json.loads((root / "remote" / "kpis.json").read_text())
    assert kpis["intervals"] == 2 * 96 and kpis["traded_kwh"] > 0
    assert 0 < kpis["boundary_import_kwh"] <= kpis["import_kwh"]
    assert kpis["register"]["renewable_export_kwh"] > 0  # the API's hourly figures came


def test_the_server_clock_never_goes_back(served) -> None:
    server, scenario_file, root = served
    scenario = load_scenario(scenario_file, days=1)
    tokens = read_tokens(root / "data" / "scenario-tokens.txt")
    assert set(tokens) == {m.id for m in scenario.cluster.members}
    port = HttpMarket(server.url, scenario.cluster, tokens)
    try:
        # The first test moved the clock past this scenario's first day.
        with pytest.raises(PortError, match="never goes back"):
            simulate(scenario, port=port)
    finally:
        port.close()


def test_clock_endpoint_refusals(served) -> None:
    server: Server = served[0]
    tokens = read_tokens(served[2] / "data" / "scenario-tokens.txt")
    status, body = server.request("GET", "/v1/clock", tokens["school"])
    assert status == 200 and body["simulated"] is True
    assert server.request("POST", "/v1/clock", tokens["school"], {"now": 0})[0] == 403
    back = {"now": "2000-01-01T00:00:00Z"}  # the earliest instant there is: before the clock
    status, body = server.request("POST", "/v1/clock", tokens["coord"], back)
    assert status == 409 and body["type"].endswith("clock-backwards")
    for bad in ({"later": 1}, {"now": "soon"}, {"now": 0}, [1], {"now": 2**62}, {"now": True}):
        status, body = server.request("POST", "/v1/clock", tokens["coord"], bad)
        assert status == 422 and body["field"] == "now", bad
    assert server.request("GET", "/v1/clock")[0] == 401


def test_cli_without_tokens_file(served, tmp_path: Path) -> None:
    server, scenario_file, _ = served
    code = simulate_cli(
        scenario_file, tmp_path / "o", "--url", server.url, "--tokens", str(tmp_path / "nope")
    )
    assert code == 2
