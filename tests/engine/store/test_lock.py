"""One writer per data directory (issue 10, finding 4): the second is refused at once,
naming the holder's PID; the lock goes with its holder, even one killed by SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config.demo import demo_cluster
from engine.market.recovery import open_market
from engine.store.lock import LOCK_FILE, DataDirLock, DataDirLocked
from tests.serving import serve_command, start_server
from tests.tampering import rechain


def test_a_second_lock_on_one_directory_is_refused_naming_the_holders_pid(
    tmp_path: Path,
) -> None:
    held = DataDirLock(tmp_path)
    assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    refused = f"in use by another klaster process \\(pid {os.getpid()}\\)"
    with pytest.raises(DataDirLocked, match=refused):
        DataDirLock(tmp_path)
    held.release()
    held.release()  # idempotent
    DataDirLock(tmp_path).release()  # free again


def test_a_second_market_on_one_data_directory_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    node = open_market(tmp_path, demo_cluster())
    with pytest.raises(DataDirLocked):
        open_market(tmp_path, demo_cluster())
    assert node.market.seq == 2  # the first market is untouched (its configuration)
    node.close()
    open_market(tmp_path, demo_cluster()).close()


def test_a_lock_dies_with_a_killed_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from engine.store.lock import DataDirLock; "
         f"DataDirLock({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DataDirLocked, match=f"pid {holder.pid}"):
            DataDirLock(tmp_path)
    finally:
        holder.kill()
        holder.wait(10)
    DataDirLock(tmp_path).release()


def test_a_second_server_on_the_same_data_refuses_at_once_and_the_first_keeps_serving(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    try:
        second = subprocess.run(
            serve_command("--data", str(data), "--port", "0"),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode != 0
        assert f"in use by another klaster process (pid {first.process.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        status, _ = first.request("GET", "/v1/orders", first.tokens["dom-01"])
        assert status == 200
    finally:
        assert first.stop() == 0


def test_a_journal_event_of_an_unknown_kind_is_refused_at_start_in_one_line(
    tmp_path: Path,
) -> None:
    """An event of an unknown kind (issue 10, finding 1) stops the start with the event
    named, even when its hash and every later one were rewritten to match."""
    import sqlite3

    from engine import NewOrder, SimulatedClock

    data = tmp_path / "data"
    t0 = 1_767_225_600  # 2026-01-01T00:00Z [s]
    node = open_market(data, demo_cluster(), SimulatedClock(t0 * 1_000_000))
    pv = demo_cluster().point_by_id("PL-TAURON-0011").code
    floor, _ = demo_cluster().band(t0 + 3600)
    assert node.market.submit("dom-01", NewOrder(t0 + 3600, pv, 1, floor, 100)).seq == 3
    node.close()
    with sqlite3.connect(data / "journal.sqlite") as db:
        db.execute("UPDATE events SET kind = 'Intruder' WHERE seq = 3")
    rechain(data)  # the chain holds: the decoder is what refuses
    refused = subprocess.run(
        serve_command("--data", str(data), "--port", "0"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "event 3: unknown kind 'Intruder'" in refused.stderr
    assert "Traceback" not in refused.stderr
