"""A simulated week served over HTTP replays and audits from the command line (issue 10,
finding 2).

``klaster serve --scenario`` runs as a subprocess on loopback; the simulation's members send
their orders over HTTP and its coordinator moves the simulated clock (gates close) and meters
every day; at the start of each day the coordinator also publishes price bands for some of
tomorrow's intervals and corrects a reading of yesterday. Then the server stops, and
``klaster audit verify`` and ``klaster replay --scenario`` check the journal it wrote; a
journal replayed with another cluster, or a scenario given as ``--config``, is refused in
one line.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.sim.market_port import HttpMarket, read_tokens
from agents.sim.scenario import load_scenario
from agents.sim.simulation import Timeline, simulate, timeline
from engine.market import events
from tests.agents.sim.test_scenario import SMALL
from tests.engine.cli.test_audit import a_day_of_trading
from tests.serving import Server, start_server

pytestmark = pytest.mark.slow  # a week over HTTP: about 15 s

DAYS = 7
WEEK = SMALL.replace("days = 2", f"days = {DAYS}")
BANDED = 8  # intervals of tomorrow whose band the coordinator publishes each day
CORRECTED_POINT = "PL-2"


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


@dataclass
class Week:
    root: Path
    scenario_file: Path
    data: Path
    cleared: int  # intervals of the week with an auction result, as the API shows them
    banded: list[int]  # interval starts [s] whose band the coordinator published
    corrected: list[int]  # interval starts [s] whose reading of CORRECTED_POINT was corrected


def coordinator_between_days(
    server: Server, token: str, time: Timeline, week: Week
) -> Callable[[int, int], None]:
    """The simulation's progress hook, called at the start of ``day`` once yesterday's
    readings are in: publish wider bands for the first intervals of tomorrow, before the
    members bid for it (the simulation prices inside the config's band, so inside these too),
    and correct yesterday's first reading at one connection point."""

    def between(day: int, days: int) -> None:
        if day + 1 < days:
            starts = time.starts[time.day_first[day + 1] :][:BANDED].tolist()
            bands = [{"interval_start": s, "floor": "240.00", "cap": "950.00"} for s in starts]
            status, body = server.request("POST", "/v1/price-bands", token, {"bands": bands})
            assert status == 200 and body["published"] == BANDED, body
            week.banded += starts
        metered = int(time.day_starts[day - 1])  # yesterday's first interval
        reading = {
            "interval_start": metered,
            "connection_point": CORRECTED_POINT,
            "import_wh": 1234 + day,
            "export_wh": 0,
        }
        status, body = server.request("POST", "/v1/readings", token, {"readings": [reading]})
        assert status == 200 and body["recorded"] == 1, body
        week.corrected.append(metered)

    return between


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Week:
    root = tmp_path_factory.mktemp("week")
    scenario_file = root / "week.toml"
    scenario_file.write_text(WEEK)
    data = root / "data"
    scenario = load_scenario(scenario_file)
    cluster = scenario.cluster
    assert cluster.dso is None  # the coordinator meters, publishes bands and corrects
    week = Week(root, scenario_file, data, 0, [], [])
    server = start_server(data, "--scenario", str(scenario_file))
    try:
        tokens = read_tokens(data / "scenario-tokens.txt")
        token = tokens[cluster.coordinator.id]
        time = timeline(scenario)
        hook = coordinator_between_days(server, token, time, week)
        port = HttpMarket(server.url, cluster, tokens)
        try:
            result = simulate(scenario, hook, port)
        finally:
            port.close()
        assert result.kpis["traded_kwh"] > 0
        for start in time.starts.tolist():
            status, body = server.request("GET", f"/v1/intervals/{start}", token)
            assert status == 200, body
            week.cleared += body["result"] is not None
            if start in week.banded:
                assert (body["floor"], body["cap"]) == ("240.00", "950.00")
    finally:
        assert server.stop() == 0, server.log.read_text()
    return week


def journal_kinds_and_reread(data: Path) -> tuple[Counter[str], Counter[tuple[int, int]]]:
    """The journal's events per kind, and how often each (interval, point) was read."""
    kinds: Counter[str] = Counter()
    reads: Counter[tuple[int, int]] = Counter()
    with sqlite3.connect(f"file:{data / 'journal.sqlite'}?mode=ro", uri=True) as db:
        for seq, kind, ts, payload in db.execute("SELECT seq, kind, ts, payload FROM events"):
            kinds[kind] += 1
            if kind == "MeterReadingsRecorded":
                e = events.decode(seq, kind, ts, payload)
                reads.update(zip(e.interval_start.tolist(), e.point.tolist(), strict=True))
    return kinds, reads


def test_the_journal_of_a_week_served_over_http_audits_and_replays(week: Week) -> None:
    kinds, reads = journal_kinds_and_reread(week.data)
    total = sum(kinds.values())
    assert kinds["ClusterConfigured"] == 1
    assert kinds["OrdersAccepted"] >= DAYS  # the members' day-ahead batches
    assert kinds["GateClosed"] == week.cleared > DAYS * 96 // 2
    assert kinds["MeterReadingsRecorded"] >= DAYS + len(week.corrected)
    assert kinds["PriceBandsPublished"] * BANDED == len(week.banded) == (DAYS - 2) * BANDED
    assert len(week.corrected) == DAYS
    corrected = [(s, n) for (s, _), n in reads.items() if n > 1]
    assert sorted(s for s, _ in corrected) == sorted(week.corrected)  # read, then corrected

    done = klaster("audit", "verify", "--data", str(week.data))
    assert done.returncode == 0, done.stderr
    verified = json.loads(done.stdout)
    assert verified["ok"] is True and verified["events"] == total

    done = klaster("replay", "--data", str(week.data), "--scenario", str(week.scenario_file))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    replayed = json.loads(done.stdout)
    assert replayed["ok"] is True and replayed["events"] == total
    assert replayed["gate_closures_reproduced"] == week.cleared
    assert replayed["orders"] > 1000


def test_a_scenario_journal_replays_on_its_own_configuration_without_the_scenario(
    week: Week,
) -> None:
    """``klaster serve --scenario`` journals the whole configuration (issue 11), so the
    journal replays without the scenario file, and another scenario is only a proposal."""
    done = klaster("replay", "--data", str(week.data))
    assert done.returncode == 0 and done.stderr == "", done.stdout
    replayed = json.loads(done.stdout)
    assert replayed["ok"] is True and replayed["gate_closures_reproduced"] == week.cleared

    other = week.root / "other.toml"
    other.write_text(WEEK.replace('id = "small"', 'id = "other"'))
    done = klaster("replay", "--data", str(week.data), "--scenario", str(other))
    assert done.returncode == 0 and json.loads(done.stdout)["ok"] is True


def test_a_scenario_given_as_a_config_is_refused_naming_the_option(week: Week) -> None:
    done = klaster("replay", "--data", str(week.data), "--config", str(week.scenario_file))
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{week.scenario_file}: unknown key")
    assert f"--scenario {week.scenario_file}" in line


def test_a_config_journal_replays_on_its_own_configuration_whatever_is_given(
    week: Week, tmp_path: Path
) -> None:
    """A journal that holds its configuration (issue 11) replays on it; the scenario given
    is a proposal, not the truth."""
    a_day_of_trading(tmp_path)
    done = klaster("replay", "--data", str(tmp_path), "--scenario", str(week.scenario_file))
    assert done.returncode == 0 and json.loads(done.stdout)["ok"] is True


def test_a_scenario_and_a_config_exclude_each_other(week: Week) -> None:
    done = klaster("replay", "--data", str(week.data), "--scenario", "a.toml", "--config", "b.toml")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
