"""A study gives the same table row for row wherever its runs execute: in this process, on
a pool of local processes, or as Ray tasks (each run is a pure function of its seed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.study.execute import run_pool
from agents.study.grid import RUN_COLUMNS, runs
from agents.study.spec import load_study
from agents.study.summary import to_csv
from tests import REPO
from tests.agents.study.support import klaster, write_study


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("study")


@pytest.fixture(scope="module")
def serial(folder: Path) -> Path:
    """The small study's output, run in this process through ``klaster study --workers 1``."""
    out = folder / "serial"
    with klaster() as main:
        assert main(["study", str(write_study(folder)), "--workers", "1", "--out", str(out)]) == 0
    return out


def test_the_serial_run_has_a_row_per_run_in_grid_order(serial: Path) -> None:
    lines = (serial / "runs.csv").read_text().splitlines()
    assert lines[0] == ",".join(RUN_COLUMNS)
    keys = [line.split(",")[1:5:3] for line in lines[1:]]
    assert keys == [["uniform", "3"], ["uniform", "4"], ["trade-reduction", "3"],
                    ["trade-reduction", "4"]]  # fmt: skip


def test_a_pool_of_processes_gives_the_serial_rows(folder: Path, serial: Path) -> None:
    grid = runs(load_study(folder / "study.toml"))
    rows = run_pool(grid, workers=2)
    assert to_csv(rows, RUN_COLUMNS) == (serial / "runs.csv").read_text()


@pytest.fixture
def local_ray() -> Iterator[None]:
    """A Ray of two CPUs on this machine whose workers import this checkout."""
    ray = pytest.importorskip("ray")  # .ci/run installs the ray extra: CI never skips
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield
    ray.shutdown()


def test_ray_gives_the_serial_tables(local_ray: None, folder: Path, serial: Path) -> None:
    out = folder / "ray"
    args = ["study", str(folder / "study.toml"), "--ray-address", "local", "--out", str(out)]
    with klaster() as main:
        assert main([*args, "--no-plots"]) == 0
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_text() == (serial / name).read_text()


def test_the_study_writes_its_tables_and_plots_and_prints_a_line_per_cell(serial: Path) -> None:
    names = sorted(p.name for p in serial.iterdir())
    assert names == [
        "efficiency.png", "lost_surplus.png", "runs.csv", "runs.parquet", "savings.png",
        "summary.csv", "summary.parquet", "traded.png",
    ]  # fmt: skip
    for png in serial.glob("*.png"):
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    summary = (serial / "summary.csv").read_text().splitlines()
    assert len(summary) == 3  # a header and the two mechanisms
