"""``klaster cluster apply`` and ``klaster cluster show`` as subprocesses on a data directory
(issue 11): the changes in plain words, the dry run, the journal's configuration as TOML at
an instant, a held directory refused naming its PID and the API."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from engine.config.cluster import load_cluster
from engine.market.recovery import open_market
from engine.model.clock import WallClock
from engine.model.wording import instant
from tests.clusters import small_cluster_toml

L = 900

JOINING = """
[[members]]
id = "dom-3"
name = "Household 3"
role = "member"
[[members.connection_points]]
id = "P-3"
terc = "2417011"
dso = "TAURON Dystrybucja"
max_import_kw = "12"
max_export_kw = "8"
"""


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


def a_data_dir(tmp_path: Path) -> tuple[Path, Path]:
    """A data directory started with the small cluster, and a proposal adding dom-3."""
    first = tmp_path / "cluster.toml"
    first.write_text(small_cluster_toml(), encoding="utf-8")
    data = tmp_path / "data"
    open_market(data, load_cluster(first), WallClock()).close()
    proposal = tmp_path / "new.toml"
    proposal.write_text(
        small_cluster_toml().replace('max_export_kw = "8"', 'max_export_kw = "10"', 1) + JOINING
    )
    return data, proposal


def a_later_start() -> int:
    now = int(WallClock().now_us() // 1_000_000)
    return now - now % L + 8 * L


def test_apply_prints_the_changes_journals_them_and_show_prints_the_toml(tmp_path: Path) -> None:
    data, proposal = a_data_dir(tmp_path)
    effective = a_later_start()
    dry = klaster(
        "cluster",
        "apply",
        str(proposal),
        "--data",
        str(data),
        "--effective",
        instant(effective),
        "--dry-run",
    )
    assert dry.returncode == 0, dry.stderr
    assert 'member "dom-3" joins (role member, connection points "P-3")' in dry.stdout
    assert 'connection point "P-1": max_export_kw "8" → "10"' in dry.stdout
    assert "nothing journaled" in dry.stdout
    before = klaster("cluster", "show", "--data", str(data))
    assert before.returncode == 0 and "dom-3" not in before.stdout

    done = klaster(
        "cluster", "apply", str(proposal), "--data", str(data), "--effective", instant(effective)
    )
    assert done.returncode == 0, done.stderr
    assert f"changes in force from {instant(effective)}:" in done.stdout
    assert "journaled as event 3" in done.stdout

    now = klaster("cluster", "show", "--data", str(data))
    later = klaster(
        "cluster",
        "show",
        "--data",
        str(data),
        "--at",
        instant(effective),
        "--write",
        str(tmp_path / "out"),
    )
    assert now.returncode == later.returncode == 0
    assert "dom-3" not in now.stdout and "dom-3" in later.stdout
    shown = tomllib.loads(later.stdout)
    assert [m["id"] for m in shown["members"]] == ["oke", "dom-1", "dom-2", "tauron", "dom-3"]
    written = load_cluster(tmp_path / "out" / "cluster.toml")
    assert [p.max_export_kw for p in written.points] == [
        p.max_export_kw for p in load_cluster(proposal).points
    ]
    # The same again changes nothing and is refused.
    again = klaster(
        "cluster", "apply", str(proposal), "--data", str(data), "--effective", instant(effective)
    )
    assert again.returncode == 1 and "in force" in again.stderr


def test_apply_refuses_a_bad_file_an_early_instant_and_a_held_directory(tmp_path: Path) -> None:
    data, proposal = a_data_dir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(small_cluster_toml().replace('role = "coordinator"', 'role = "member"'))
    refused = klaster("cluster", "apply", str(bad), "--data", str(data))
    assert (
        refused.returncode == 2
        and 'exactly one member must have role "coordinator"' in refused.stderr
    )
    early = klaster(
        "cluster",
        "apply",
        str(proposal),
        "--data",
        str(data),
        "--effective",
        "2026-01-01T00:00:00Z",
    )
    assert early.returncode == 1 and "a change may take effect from" in early.stderr
    held = open_market(data, load_cluster(proposal), WallClock())
    try:
        busy = klaster("cluster", "apply", str(proposal), "--data", str(data))
    finally:
        held.close()
    assert busy.returncode == 1
    assert f"pid {os.getpid()}" in busy.stderr and "POST /v1/cluster/changes" in busy.stderr


def test_serve_restarts_with_a_changed_config_file_serving_the_journals(tmp_path: Path) -> None:
    from tests.serving import start_server

    config = tmp_path / "cluster.toml"
    config.write_text(small_cluster_toml(), encoding="utf-8")
    data = tmp_path / "data"
    first = start_server(data, "--config", str(config))
    assert first.stop() == 0
    config.write_text(small_cluster_toml().replace("k = 0.5", "k = 0.25"), encoding="utf-8")
    again = start_server(data, "--config", str(config))
    try:
        said = "".join(again.lines)
        assert "serves the configuration its journal holds" in said
        assert f"klaster cluster apply {config} --data {data}" in said
    finally:
        assert again.stop() == 0
    applied = klaster("cluster", "apply", str(config), "--data", str(data))
    assert applied.returncode == 0, applied.stderr
    assert "cluster.k 0.5 → 0.25" in applied.stdout
