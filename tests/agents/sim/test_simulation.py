"""The coordinator loop on small scenarios: complete, conserving, deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from agents.sim.report import kpis_json
from agents.sim.scenario import parse_scenario
from agents.sim.simulation import simulate, timeline
from agents.terminal import ERASE_LINE
from engine.cli.main import main
from tests.agents.sim.test_scenario import SMALL

EXTRA = """
[[members]]
id = "plant"
name = "Heat plant"
kind = "heat-plant"
[[members.connection_points]]
id = "PL-3"
terc = "2417011"
dso = "D"
max_import_kw = "100"
max_export_kw = "200"
load = { profile = "g3", annual_kwh = 200000 }
generator = { kw = 150, marginal_cost_pln_mwh = "400.00" }

[[members]]
id = "storage"
name = "Storage"
kind = "storage"
[[members.connection_points]]
id = "PL-4"
terc = "2417011"
dso = "D"
max_import_kw = "50"
max_export_kw = "50"
battery = { capacity_kwh = 100, power_kw = 50, mode = "arbitrage", spread = 0.01 }

[[members]]
id = "dso"
name = "DSO"
role = "dso"
"""


def scenario(**overrides: object):
    text = SMALL.replace("[[groups]]", EXTRA + "\n[[groups]]", 1)
    return parse_scenario(text, "small.toml", **overrides)


@pytest.fixture(scope="module")
def result():
    return simulate(scenario(group_size=12))


def test_every_interval_is_cleared_metered_and_settled(result) -> None:
    k = result.kpis
    assert k["days"] == 2 and k["intervals"] == 192 and k["pending_intervals"] == 0
    assert len(result.intervals["interval_start"]) == 192
    assert k["orders"] > 0 and k["traded_kwh"] > 0
    assert k["members"] == 17 and k["agents"] == 16  # the dso does not trade


def test_energy_is_conserved(result) -> None:
    m, i = result.members, result.intervals
    assert np.isclose(m["bought_kwh"].sum(), m["sold_kwh"].sum())
    assert np.isclose(m["bought_kwh"].sum(), i["traded_kwh"].sum())
    assert np.isclose(i["traded_kwh"].sum(), float(result.kpis["traded_kwh"]))
    # Nobody trades more than was offered, nor more than the cluster could use locally
    # give or take forecast errors (imbalances are settled at the band's edges).
    assert (i["traded_kwh"] <= np.minimum(i["bid_kwh"], i["ask_kwh"]) + 1e-9).all()
    # Each statement figure is rounded to the grosz once, so they agree within 2 grosz.
    assert np.allclose(m["savings_pln"], m["baseline_pln"] - m["cost_pln"], rtol=0, atol=0.021)
    assert m["savings_pln"].sum() == pytest.approx(float(result.kpis["savings_pln"]), abs=0.05)


def test_the_cluster_measures_cross_the_boundary_after_netting(result) -> None:
    k, i = result.kpis, result.intervals
    boundary = i["boundary_import_kwh"]
    assert np.allclose(boundary, np.maximum(i["import_kwh"] - i["export_kwh"], 0))
    assert float(k["boundary_import_kwh"]) == pytest.approx(boundary.sum(), abs=1e-6)
    assert k["boundary_import_kwh"] <= k["import_kwh"]
    load = k["load_kwh"]
    assert k["self_sufficiency"] == round(1 - k["boundary_import_kwh"] / load, 6)
    assert k["members_self_sufficiency"] == round(1 - k["import_kwh"] / load, 6)
    assert 0 <= k["members_self_sufficiency"] <= k["self_sufficiency"] <= 1
    assert k["import_covered_locally"] == round(k["local_use_kwh"] / k["import_kwh"], 6)
    generation = k["pv_kwh"] + k["generation_kwh"]
    assert k["self_consumption"] == round(1 - k["boundary_export_kwh"] / generation, 6)


def test_every_figure_is_a_rounded_decimal_or_a_plain_value(result) -> None:
    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        if isinstance(value, Decimal):  # kWh to the Wh, PLN to the grosz, ratios to 6
            return -value.as_tuple().exponent in (3, 2, 6, 4)
        return value is None or type(value) in (int, str, bool)

    assert plain(result.kpis)
    assert result.kpis["savings_pln"].as_tuple().exponent == -2


def test_the_register_section_has_the_run_and_the_config(result) -> None:
    r = result.kpis["register"]
    # The school's 30 kWp and the houses' PV are renewable; the heat plant states no source.
    assert r["unspecified_source_kw"] == 150 and r["renewable_kw"] > 30
    assert r["generation_kwh"] == result.kpis["pv_kwh"] + result.kpis["generation_kwh"]
    assert r["renewable_generation_kwh"] == result.kpis["pv_kwh"]
    assert r["unspecified_source_generation_kwh"] == result.kpis["generation_kwh"]
    assert 0 < r["renewable_share_of_generation"] < 1
    assert 0 < r["renewable_local_use_kwh"] <= r["renewable_export_kwh"]
    assert r["storage_kw"] == 50 and r["storage_kwh"] == 100  # the arbitrage battery
    assert (r["network"], r["municipality"]) == ("unverified", "unverified")  # not stated
    assert r["points_without_voltage"] == len(result.members["member_id"]) - 1  # not the dso


def test_prices_stay_in_the_band(result) -> None:
    i = result.intervals
    traded = ~np.isnan(i["price_pln_mwh"])
    assert traded.any()
    assert (i["price_pln_mwh"][traded] >= i["floor_pln_mwh"][traded]).all()
    assert (i["price_pln_mwh"][traded] <= i["cap_pln_mwh"][traded]).all()
    assert np.isnan(i["price_pln_mwh"][i["traded_kwh"] == 0]).all()


def test_generator_runs_within_its_power_and_sells_part_of_it(result) -> None:
    gen = result.intervals["generation_kwh"]
    assert gen.max() <= 150 * 0.25 + 1e-9
    plant = result.members["member_id"].index("plant")
    # Its output covers its own load first; what it sold came out of the same output.
    assert 0 < result.members["sold_kwh"][plant] <= gen.sum() + 1e-9


def test_pv_at_noon_not_at_night(result) -> None:
    pv = result.intervals["pv_kwh"]
    hours = (result.intervals["interval_start"] % 86400) // 3600  # UTC hours
    assert pv[(hours == 10) | (hours == 11)].sum() > 0
    assert pv[(hours == 0) | (hours == 1)].sum() == 0


def test_same_seed_same_result_other_seed_differs(result) -> None:
    again = simulate(scenario(group_size=12))
    for key, column in result.intervals.items():
        np.testing.assert_array_equal(column, again.intervals[key], err_msg=key)
    for key, column in result.members.items():
        assert list(column) == list(again.members[key]), key
    assert kpis_json(result.kpis) == kpis_json(again.kpis)
    other = simulate(scenario(group_size=12, seed=99))
    assert not np.array_equal(result.intervals["load_kwh"], other.intervals["load_kwh"])


def test_autumn_dst_day_has_100_intervals() -> None:
    s = scenario(days=1)
    s = parse_scenario(
        SMALL.replace("start = 2026-06-01", "start = 2026-10-25"), "small.toml", days=1
    )
    t = timeline(s)
    assert len(t.starts) == 100
    r = simulate(s)
    assert r.kpis["intervals"] == 100 and r.kpis["pending_intervals"] == 0


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    out = tmp_path / "out"
    code = main(["simulate", str(path), "--days", "1", "--out", str(out), "--no-plots"])
    assert code == 0
    printed = capsys.readouterr()
    assert "simulated in" in printed.out and "day 1/1" in printed.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["intervals.csv", "kpis.json", "statements.csv"]
    assert json.loads((out / "kpis.json").read_text())["intervals"] == 96


def test_cli_counts_the_members_as_the_report_does_and_piped_shows_no_status_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL.replace("[[groups]]", EXTRA + "\n[[groups]]", 1))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "simulate", str(path), "--days", "1"]
        + ["--out", str(out), "--no-plots"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    members = json.loads((out / "kpis.json").read_text())["members"]
    assert members == 1 + 1 + 3 + 3  # coordinator, school, 3 households; plant, storage, DSO
    assert f"{members} members (7 of them trade; the DSO does not)" in done.stderr
    assert f"members: {members}" in done.stdout  # the summary's count
    assert ERASE_LINE not in done.stderr and "compiling" not in done.stderr  # piped: no status


def test_cli_names_the_bad_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.replace("kwp = 30", "kwp = 0"))
    assert main(["simulate", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert 'bad.toml: member "school", connection point "PL-2": pv.kwp' in err
    assert not (tmp_path / "o").exists()


def test_arbitrage_battery_delivers_what_it_traded_within_its_energy(result) -> None:
    m = result.members
    i = m["member_id"].index("storage")
    assert m["bought_kwh"][i] > 0 and m["sold_kwh"][i] > 0
    # Its meter reads exactly its trades: nothing left to settle at the band's edges.
    assert m["shortfall_kwh"][i] == 0 and m["surplus_kwh"][i] == 0
    # It cannot sell more than it stored (charging losses) plus its initial 50 of 100 kWh.
    assert m["sold_kwh"][i] <= m["bought_kwh"][i] * 0.9 + 50 + 1e-9
