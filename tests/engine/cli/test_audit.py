"""``klaster audit verify`` and ``klaster replay`` on a real data directory."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from engine.book.new_orders import NewOrder
from engine.config.demo import demo_cluster
from engine.market.recovery import open_market
from engine.model.clock import SimulatedClock
from engine.settlement.metering import ReadingBatch
from tests import REPO

T0 = 1_767_225_600
START = T0 + 3600


def klaster(*args: str) -> tuple[int, dict | None, str]:
    done = subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def a_day_of_trading(data: Path) -> None:
    cluster = demo_cluster()
    clock = SimulatedClock(T0 * 1_000_000)
    node = open_market(data, cluster, clock)
    members = [m for m in cluster.members if m.role == "member"]
    floor, cap = cluster.band(START)
    for i, member in enumerate(members[:6]):
        side = i % 2
        price = floor + 1000 * i if side else cap - 1000 * i
        point = member.connection_points[0].code
        node.market.submit(member.id, NewOrder(START, point, side, price, 100 + 50 * i))
    clock.advance_to((START - 300) * 1_000_000)
    node.market.close_due_gates()
    node.close()


def test_a_sound_journal_verifies_and_replays_to_the_same_clearings(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 0 and out["ok"] and out["events"] == 8
    code, out, _ = klaster("replay", "--data", str(tmp_path))
    assert code == 0 and out == {
        "ok": True,
        "events": 8,
        "orders": 6,
        "gate_closures_reproduced": 1,
    }


def test_a_journal_with_readings_and_a_correction_of_a_settled_interval_replays(
    tmp_path: Path,
) -> None:
    # Issue 10, finding 2: `klaster replay` died with AttributeError ('MarketState' object has
    # no attribute 'is_settled') on the first meter reading of a journal.
    a_day_of_trading(tmp_path)
    cluster = demo_cluster()
    clock = SimulatedClock((START + cluster.interval_seconds) * 1_000_000)  # delivered
    node = open_market(tmp_path, cluster, clock)
    points = np.array([p.code for p in cluster.points], np.int64)
    n = len(points)

    def readings(import_wh: int) -> ReadingBatch:
        return ReadingBatch(
            np.full(n, START, np.int64),
            points,
            np.full(n, import_wh, np.int64),
            np.zeros(n, np.int64),
        )

    meterer = (cluster.dso or cluster.coordinator).id
    assert node.market.record_readings(meterer, readings(100)).seq == 9  # settles START
    assert node.market.record_readings(meterer, readings(120)).seq == 10  # corrects it
    assert len(node.market.adjustments) > 0
    node.close()
    code, out, err = klaster("replay", "--data", str(tmp_path))
    assert (code, err) == (0, "")
    assert out == {"ok": True, "events": 10, "orders": 6, "gate_closures_reproduced": 1}


def test_an_altered_event_fails_the_audit_and_names_its_seq(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute("UPDATE events SET ts = ts + 1 WHERE seq = 3")
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 1 and out["ok"] is False and out["first_bad_seq"] == 3


def test_replay_with_another_config_is_refused(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    config = tmp_path / "other.toml"
    demo = REPO / "engine" / "config" / "clusters" / "demo.toml"
    config.write_text(demo.read_text(encoding="utf-8").replace("k = 0.5", "k = 0.4"))
    code, out, _ = klaster("replay", "--data", str(tmp_path), "--config", str(config))
    assert code == 1 and "another config" in out["error"]


def test_a_directory_without_a_journal_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = klaster("replay", "--data", str(tmp_path / "none"))
    assert code == 2 and out is None and "no journal" in err
