"""``klaster simulate --mechanism --start --days`` answer a study's questions without
editing the scenario, and every report carries allocative efficiency next to savings."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from agents.sim.report import summary_lines
from agents.sim.result import SimulationResult
from agents.sim.scenario import ScenarioError, parse_scenario
from agents.sim.simulation import simulate
from engine.cli.main import main
from tests.agents.sim.test_scenario import SMALL
from tests.agents.sim.test_simulation import scenario


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    """Two days of the small scenario under uniform clearing and under trade reduction."""
    return {
        mechanism: simulate(scenario(group_size=12, days=2, mechanism=mechanism)).kpis
        for mechanism in ("uniform", "trade-reduction")
    }


def test_efficiency_stands_next_to_savings_in_the_kpis(runs: dict[str, dict]) -> None:
    keys = list(runs["uniform"])
    at = keys.index("savings_pln")
    assert keys[at + 1 : at + 4] == ["allocative_efficiency", "surplus_pln", "max_surplus_pln"]


def test_uniform_clearing_realises_every_gain_from_trade_the_orders_offered(
    runs: dict[str, dict],
) -> None:
    kpis = runs["uniform"]
    assert kpis["mechanism"] == "uniform"
    assert kpis["max_surplus_pln"] > 0
    assert kpis["surplus_pln"] == kpis["max_surplus_pln"]
    assert kpis["allocative_efficiency"] == Decimal("1.000000")


def test_trade_reduction_shows_what_the_trades_it_drops_cost(runs: dict[str, dict]) -> None:
    kpis = runs["trade-reduction"]
    assert kpis["mechanism"] == "trade-reduction"
    assert 0 <= kpis["surplus_pln"] < kpis["max_surplus_pln"]
    assert 0 <= kpis["allocative_efficiency"] < 1
    assert kpis["traded_kwh"] < runs["uniform"]["traded_kwh"]


def test_the_summary_says_what_gains_from_trade_the_mechanism_left_unrealised() -> None:
    kpis = {"allocative_efficiency": "0.75", "surplus_pln": "30.00", "max_surplus_pln": "40.00"}
    result = SimulationResult("s", "Europe/Warsaw", {}, {}, kpis)
    [line] = [line for line in summary_lines(result) if line.startswith("Savings")]
    assert line.endswith(
        "allocative efficiency 75.0% of the orders' gains from trade "
        "(10.00 PLN of 40.00 PLN not realised)"
    )


def test_start_and_mechanism_override_the_file_and_are_checked_like_it() -> None:
    s = parse_scenario(SMALL, "small.toml", start=dt.date(2026, 12, 21), mechanism="pay-as-bid")
    assert s.start == dt.date(2026, 12, 21)
    assert s.cluster.mechanism == "pay-as-bid"
    with pytest.raises(ScenarioError, match="small.toml.*mechanism must be one of"):
        parse_scenario(SMALL, "small.toml", mechanism="vickrey")


def test_cli_runs_another_mechanism_and_period_without_editing_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    out = tmp_path / "out"
    args = ["simulate", str(path), "--mechanism", "trade-reduction", "--start", "2026-01-05"]
    assert main([*args, "--days", "1", "--out", str(out), "--no-plots"]) == 0
    kpis = json.loads((out / "kpis.json").read_text())
    assert (kpis["mechanism"], kpis["start"], kpis["days"]) == ("trade-reduction", "2026-01-05", 1)
    assert 0 <= kpis["allocative_efficiency"] <= 1
    assert "allocative efficiency" in capsys.readouterr().out
    assert path.read_text() == SMALL


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--mechanism", "vickrey"], "cluster.mechanism must be one of"),
        (["--start", "2026-13-01"], "--start: must be a date YYYY-MM-DD, was '2026-13-01'"),
        (["--mechanism", "uniform", "--url", "http://127.0.0.1:9"], "--mechanism cannot be used"),
    ],
    ids=["unknown-mechanism", "bad-date", "mechanism-with-url"],
)
def test_cli_refuses_a_bad_override_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    try:
        code = main(["simulate", str(path), "--out", str(tmp_path / "o"), *extra])
    except SystemExit as exit_:  # argparse refuses a bad type itself
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
