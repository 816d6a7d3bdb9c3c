"""A server install goes without the simulation's packages (the ``sim`` extra): serving,
clearing, members' tokens and the journal checks never import them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import start_server, wait_ready
from tests.without_sim import ROOT, klaster_without_sim, poisoned_path, sim_packages


def test_the_poison_works(tmp_path: Path) -> None:
    for package in sim_packages():
        found = subprocess.run(
            [sys.executable, "-c", f"import {package}"],
            env={"PYTHONPATH": poisoned_path(tmp_path)},
            capture_output=True,
            text=True,
        )
        assert found.returncode == 1 and "ModuleNotFoundError" in found.stderr, package


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("serve", "--help"),
        ("members", "add", "dom-01"),  # `list` would refuse the new directory (no store)
        ("loadtest", "--help"),
    ],
)
def test_commands_start_without_the_sim_extra(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = klaster_without_sim(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_clear_works_without_the_sim_extra(tmp_path: Path) -> None:
    book = shutil.copy(ROOT / "matching" / "examples" / "book.csv", tmp_path)
    done = klaster_without_sim(tmp_path, "clear", str(book))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("order_id,member,side,filled_kwh,price_pln_mwh\n")


@pytest.mark.slow
def test_serve_then_audit_and_replay_without_the_sim_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", poisoned_path(tmp_path))
    server = start_server(tmp_path / "data")
    try:
        wait_ready(server)
        member, token = next(iter(server.tokens.items()))
        assert server.request("GET", "/v1/intervals", token)[0] == 200, member
    finally:
        assert server.stop() == 0
    for args in (("audit", "verify"), ("replay",), ("members", "list")):
        done = klaster_without_sim(tmp_path, *args, "--data", str(tmp_path / "data"))
        assert done.returncode == 0, (args, done.stderr)
