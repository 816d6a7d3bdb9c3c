"""``klaster serve --scenario`` journals the scenario's whole configuration (issue 11): the
data directory holds a ``ClusterChanged`` like one of ``--config``, so ``klaster cluster
show`` prints it and a restart without the scenario file serves it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agents.sim.scenario import load_scenario
from engine.config.document import document_of
from engine.store.tokens import read_token_file
from tests.agents.sim.test_scenario import SMALL
from tests.serving import start_server


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "engine", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_a_scenario_server_restarts_without_its_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    cluster = load_scenario(scenario).cluster
    document, _ = document_of(cluster)  # derived register facts included: it journals whole
    assert "installed_kw" in document["members"][1]["connection_points"][0]
    data = tmp_path / "data"
    first = start_server(data, "--scenario", str(scenario))
    assert first.stop() == 0

    shown = klaster("cluster", "show", "--data", str(data))
    assert shown.returncode == 0, shown.stderr
    assert 'id = "small"' in shown.stdout and 'id = "PL-1"' in shown.stdout

    scenario.unlink()
    again = start_server(data)
    try:
        tokens = dict(read_token_file(data / "scenario-tokens.txt"))
        status, body = again.request("GET", "/v1/cluster", tokens["coord"])
        assert status == 200, body
        assert body["config"] == document
    finally:
        assert again.stop() == 0
