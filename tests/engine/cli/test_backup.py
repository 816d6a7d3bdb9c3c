"""``klaster backup`` and ``klaster restore``: a consistent copy of a served data directory,
checked by its hash chain, and a restore that never writes over a data directory nor
leaves a half-made one."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli.backup import copy_data_dir
from engine.market.recovery import JOURNAL_FILE
from engine.store.journal import Journal
from engine.store.tokens import TokenStore
from tests.serving import an_order, start_server, wait_ready
from tests.tampering import EVENTS, OPEN_SELL_SEQ, a_day_of_trading, flip_side_byte


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


def said(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_backup_taken_while_serving_restores_a_directory_that_verifies(tmp_path: Path) -> None:
    data, backup, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    server = start_server(data)
    try:
        wait_ready(server)
        start = (int(time.time()) // 900 + 2) * 900
        token = server.tokens["dom-01"]
        for _ in range(3):
            assert server.request("POST", "/v1/orders", token, an_order(start))[0] == 201
        done = klaster("backup", "--data", str(data), str(backup))
        assert done.returncode == 0, done.stderr
        copied = said(done)
        # The server goes on: the backup holds what was durable when it was taken.
        assert server.request("POST", "/v1/orders", token, an_order(start))[0] == 201
    finally:
        assert server.stop(signal.SIGTERM) == 0
    assert copied["ok"] and copied["events"] == 5  # ClusterConfigured, ClusterChanged, 3 orders
    assert sorted(copied["files"]) == ["demo-tokens.txt", JOURNAL_FILE, "tokens.sqlite"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert not list(backup.glob("*-wal")) and not (backup / "klaster.lock").exists()

    done = klaster("restore", str(backup), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    assert said(done) == copied
    verified = klaster("audit", "verify", "--data", str(restored))
    assert said(verified) == {"ok": True, "events": 5, "head_hash": copied["head_hash"]}
    replayed = klaster("replay", "--data", str(restored))
    assert said(replayed)["ok"] and said(replayed)["orders"] == 3
    with Journal.open(data / JOURNAL_FILE, read_only=True) as original:
        assert next(original.read(5)).hash.hex() == copied["head_hash"]
    tokens = TokenStore.open(restored, create=False)
    try:
        assert len(tokens) == 20  # the demo's members
    finally:
        tokens.close()
    assert stat.S_IMODE((restored / "demo-tokens.txt").stat().st_mode) == 0o600


def test_restore_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path / "backup")
    target = tmp_path / "data"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = klaster("restore", str(tmp_path / "backup"), "--data", str(target))
    assert done.returncode == 2 and "not an empty directory" in done.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_an_empty_target_directory_is_filled(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path / "data")
    (tmp_path / "out").mkdir()
    report = copy_data_dir(tmp_path / "data", tmp_path / "out")
    assert report.events == EVENTS and (tmp_path / "out" / JOURNAL_FILE).is_file()


def test_a_tampered_backup_is_not_restored_and_nothing_is_left(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path / "backup")
    flip_side_byte(tmp_path / "backup")
    done = klaster("restore", str(tmp_path / "backup"), "--data", str(tmp_path / "data"))
    assert done.returncode == 1
    assert (
        said(done)["ok"] is False
        and f"fails verification at seq {OPEN_SELL_SEQ}" in said(done)["error"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup"]  # no half-made copy


def test_backup_needs_a_journal_and_a_free_target(tmp_path: Path) -> None:
    done = klaster("backup", "--data", str(tmp_path / "none"), str(tmp_path / "out"))
    assert done.returncode == 2 and "no journal" in done.stderr
    a_day_of_trading(tmp_path / "data")
    (tmp_path / "out").write_text("a file")
    done = klaster("backup", "--data", str(tmp_path / "data"), str(tmp_path / "out"))
    assert done.returncode == 2 and (tmp_path / "out").read_text() == "a file"
