"""``klaster study`` registers itself like ``klaster simulate``, starts light, and refuses
a bad study or a missing extra with exit 2 before any run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.study.plots import PLOTS, write_plots
from agents.study.summary import summarise
from engine.cli.plugins import COMMANDS_GROUP
from tests import REPO
from tests.agents.study.support import STUDY, declared, klaster, write_study
from tests.agents.study.test_summary import row
from tests.engine.cli.test_start_up import HEAVY


def test_the_agents_register_study_beside_simulate() -> None:
    commands = declared(COMMANDS_GROUP)
    assert commands["study"] == "agents.study.cli"
    assert commands["simulate"] == "agents.sim.cli"


def test_study_help_loads_no_heavy_package() -> None:
    probe = (
        "import argparse, sys\n"
        "from agents.study import cli\n"
        "parser = argparse.ArgumentParser(prog='klaster')\n"
        "cli.add_command(parser.add_subparsers())\n"
        "try:\n"
        "    parser.parse_args(['study', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', *sorted(sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "--ray-address ADDRESS" in done.stdout
    modules = {m.split(".")[0] for m in done.stderr.strip().splitlines()[-1].split()[1:]}
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_a_bad_study_exits_2_naming_the_field_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, STUDY.replace("seeds = [3, 4]", "seeds = []"))
    with klaster() as main:
        assert main(["study", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "study.seeds must be a count or a non-empty array" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "module, extra, args",
    [("ray", "ray", ["--ray-address", "local"]), ("pyarrow", "export", [])],
)
def test_a_missing_extra_is_named_before_any_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    extra: str,
    args: list[str],
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ModuleNotFoundError
    path = write_study(tmp_path)
    with klaster() as main:
        assert main(["study", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    assert f"pip install 'klaster[{extra}]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_workers_and_a_ray_address_do_not_go_together(tmp_path: Path) -> None:
    with klaster() as main, pytest.raises(SystemExit) as exit_:
        main(["study", "s.toml", "--workers", "2", "--ray-address", "local"])
    assert exit_.value.code == 2


def test_the_plots_compare_mechanisms_for_every_allocation_and_strategy(tmp_path: Path) -> None:
    rows = [
        {**row(mechanism, seed, 10.0 + seed), "strategy": strategy}
        for mechanism in ("uniform", "pay-as-bid")
        for strategy in ("scenario", "zip")
        for seed in (1, 2, 3)
    ]
    files = write_plots(summarise(rows, 0.9), "two strategies", 0.9, tmp_path)
    assert [p.name for p in files] == [f"{stem}.png" for stem in PLOTS]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in files)
