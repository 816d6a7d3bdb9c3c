"""``klaster simulate --allocation MODE`` runs one scenario under each allocation without
editing it: the report shows the energy the key shared and the savings of each mode."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from agents.sim.report import summary_lines
from agents.sim.scenario import ScenarioError, parse_scenario
from agents.sim.simulation import simulate
from engine.cli.main import main
from engine.config.sharing import ALLOCATIONS
from tests.agents.sim.test_scenario import SMALL
from tests.agents.sim.test_simulation import scenario

STATIC = '\n[sharing]\nkey = "static"\nprice_pln_mwh = "400.00"\npercentages = { school = "60" }\n'


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    """One day of the small scenario (12 households) under every allocation."""
    return {a: simulate(scenario(group_size=12, days=1, allocation=a)) for a in ALLOCATIONS}


def test_every_allocation_reports_what_it_shared_and_saved(runs: dict) -> None:
    for allocation, result in runs.items():
        kpis = result.kpis
        assert kpis["allocation"] == allocation
        shared_in = sum(result.members["shared_in_kwh"])
        shared_out = sum(result.members["shared_out_kwh"])
        assert shared_in == pytest.approx(shared_out, abs=1e-9)
        assert Decimal(str(round(shared_in, 3))) == kpis["shared_kwh"]
        if allocation == "market":
            assert kpis["shared_kwh"] == 0 and kpis["sharing_key"] is None
        else:
            assert kpis["sharing_key"] == "pro-rata" and kpis["shared_kwh"] > 0
            assert f"shared by the key ({allocation}, pro-rata)" in "\n".join(summary_lines(result))
        assert isinstance(kpis["savings_pln"], Decimal)


def test_under_the_key_alone_nobody_trades_and_the_key_shares_all_it_can(runs: dict) -> None:
    key, market = runs["key"].kpis, runs["market"].kpis
    assert key["traded_kwh"] == 0 and key["orders"] == 0
    # at no internal price, the key's savings are the grid purchases it avoided
    assert key["savings_pln"] > 0
    assert key["shared_kwh"] <= key["export_kwh"] and key["shared_kwh"] <= key["import_kwh"]
    assert market["traded_kwh"] > 0


def test_the_key_and_its_parameters_come_from_the_scenarios_sharing_table() -> None:
    s = parse_scenario(SMALL + STATIC, "small.toml", allocation="key_then_market")
    rules = s.cluster.sharing
    assert (rules.allocation, rules.key, rules.weights, rules.price_ticks) == (
        "key_then_market",
        "static",
        (("school", 600_000),),
        40_000,
    )
    assert parse_scenario(SMALL + STATIC, "small.toml").cluster.sharing.allocation == "market"
    with pytest.raises(ScenarioError, match="small.toml.*sharing.allocation must be one of"):
        parse_scenario(SMALL, "small.toml", allocation="both")


def test_cli_runs_an_allocation_without_editing_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL + STATIC)
    out = tmp_path / "out"
    args = ["simulate", str(path), "--allocation", "market_then_key", "--days", "1"]
    assert main([*args, "--out", str(out), "--no-plots"]) == 0
    kpis = json.loads((out / "kpis.json").read_text())
    assert (kpis["allocation"], kpis["sharing_key"]) == ("market_then_key", "static")
    header = (out / "statements.csv").read_text().splitlines()[0].split(",")
    assert header[-2:] == ["shared_in_kwh", "shared_out_kwh"]
    assert "shared by the key (market_then_key, static)" in capsys.readouterr().out
    assert path.read_text() == SMALL + STATIC


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--allocation", "both"], "sharing.allocation must be one of market, key,"),
        (["--allocation", "key", "--url", "http://127.0.0.1:9"], "--allocation cannot be used"),
    ],
    ids=["unknown-allocation", "allocation-with-url"],
)
def test_cli_refuses_a_bad_allocation_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    assert main(["simulate", str(path), "--out", str(tmp_path / "o"), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
