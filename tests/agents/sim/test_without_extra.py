"""Without the ``sim`` extra, the commands that simulate say what to install (exit 2)."""

from __future__ import annotations

from pathlib import Path

from agents.sim.extra import SIM_MODULES
from tests.agents.sim.test_scenario import SMALL
from tests.without_sim import klaster_without_sim, sim_packages


def test_the_extra_in_pyproject_is_what_the_commands_check_for() -> None:
    assert sorted(SIM_MODULES) == sim_packages()


def test_simulate_without_the_extra_names_it_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    done = klaster_without_sim(tmp_path, "simulate", "small.toml", "--no-plots")
    assert done.returncode == 2
    assert "klaster[sim]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_serve_scenario_without_the_extra_names_it_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    done = klaster_without_sim(tmp_path, "serve", "--scenario", "small.toml", "--port", "0")
    assert done.returncode == 2
    assert "klaster[sim]" in done.stderr and "Traceback" not in done.stderr


def test_replay_scenario_without_the_extra_names_it_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(SMALL)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "journal.sqlite").touch()
    done = klaster_without_sim(tmp_path, "replay", "--data", "data", "--scenario", "small.toml")
    assert done.returncode == 2 and done.stdout == ""
    assert "klaster[sim]" in done.stderr and "Traceback" not in done.stderr
