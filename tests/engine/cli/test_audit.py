"""``klaster audit verify``, ``klaster audit head`` and ``klaster replay`` on a real data
directory."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from engine.config.demo import demo_cluster
from engine.market.recovery import open_market
from engine.model.clock import SimulatedClock
from engine.settlement.metering import ReadingBatch
from engine.store.journal import Journal
from tests import REPO
from tests.tampering import EVENTS, START, a_day_of_trading, rechain, reencode, sql

FIXTURES = REPO / "tests" / "engine" / "market" / "fixtures"


def klaster(*args: str) -> tuple[int, dict | None, str]:
    done = subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def test_a_sound_journal_verifies_and_replays_to_the_same_clearings(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 0 and out["ok"] and out["events"] == EVENTS
    code, out, _ = klaster("replay", "--data", str(tmp_path))
    assert code == 0 and out == {
        "ok": True,
        "events": EVENTS,
        "orders": 7,
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
    # The clock is past the next interval's gate too: it closes first (seq EVENTS + 1).
    assert node.market.record_readings(meterer, readings(100)).seq == EVENTS + 2  # settles START
    assert node.market.record_readings(meterer, readings(120)).seq == EVENTS + 3  # corrects it
    assert len(node.market.adjustments) > 0
    node.close()
    code, out, err = klaster("replay", "--data", str(tmp_path))
    assert (code, err) == (0, "")
    assert out == {"ok": True, "events": EVENTS + 3, "orders": 7, "gate_closures_reproduced": 2}


def test_an_altered_event_fails_the_audit_and_names_its_seq(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute("UPDATE events SET ts = ts + 1 WHERE seq = 3")
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 1 and out["ok"] is False and out["first_bad_seq"] == 3


def test_replay_uses_the_journals_configuration_whatever_config_is_given(tmp_path: Path) -> None:
    """The journal holds its configuration (issue 11): a config file is only a proposal."""
    a_day_of_trading(tmp_path)
    config = tmp_path / "other.toml"
    demo = REPO / "engine" / "config" / "clusters" / "demo.toml"
    config.write_text(demo.read_text(encoding="utf-8").replace("k = 0.5", "k = 0.4"))
    code, out, _ = klaster("replay", "--data", str(tmp_path), "--config", str(config))
    assert code == 0 and out["ok"] and out["events"] == EVENTS


def test_a_directory_without_a_journal_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = klaster("replay", "--data", str(tmp_path / "none"))
    assert code == 2 and out is None and "no journal" in err


def test_replay_makes_the_checks_of_verify_and_fails_in_the_same_shape(tmp_path: Path) -> None:
    """A gate closure's volume re-encoded: a valid event, its hash left as it was. Replay
    recomputes the clearing (whose digest did not change) and used to say ok."""
    a_day_of_trading(tmp_path)
    reencode(tmp_path, EVENTS, volume=1)
    verify_code, verified, _ = klaster("audit", "verify", "--data", str(tmp_path))
    replay_code, replayed, _ = klaster("replay", "--data", str(tmp_path))
    assert verify_code == replay_code == 1
    assert verified == replayed
    assert replayed is not None and replayed["first_bad_seq"] == EVENTS
    assert set(replayed) == {"ok", "events", "head_hash", "first_bad_seq", "problem", "detail"}


def test_audit_head_prints_the_last_seq_hash_and_time(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    code, head, _ = klaster("audit", "head", "--data", str(tmp_path))
    with Journal.open(tmp_path / "journal.sqlite", read_only=True) as journal:
        last = next(journal.read(EVENTS))
    assert code == 0 and head == {
        "seq": EVENTS,
        "hash": last.hash.hex(),
        "ts": "2026-01-01T00:55:00Z",  # the gate closure: 5 min before 01:00
    }
    assert klaster("audit", "verify", "--data", str(tmp_path))[1]["head_hash"] == head["hash"]


def test_a_journal_cut_short_fails_verify_head_and_replay(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    sql(tmp_path, "DELETE FROM events WHERE seq = ?", EVENTS)
    for command in (("audit", "verify"), ("audit", "head"), ("replay",)):
        code, out, _ = klaster(*command, "--data", str(tmp_path))
        assert code == 1 and out is not None, command
        assert (out["ok"], out["first_bad_seq"], out["problem"]) == (False, EVENTS, "truncated")
        assert f"its checkpoint at seq {EVENTS}" in out["detail"]


def test_a_published_head_shows_a_rewrite_that_the_file_alone_does_not(tmp_path: Path) -> None:
    a_day_of_trading(tmp_path)
    published = klaster("audit", "head", "--data", str(tmp_path))[1]
    sql(tmp_path, "DELETE FROM events WHERE seq = ?", EVENTS)
    rechain(tmp_path)  # the checkpoint moved back too
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 0 and out["ok"]
    assert klaster("audit", "head", "--data", str(tmp_path))[1] != published


def test_auditing_an_old_journal_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """Schema 1 (no checkpoint): checked without one and not upgraded by an audit."""
    shutil.copy(FIXTURES / "journal-v1-c0.sqlite", tmp_path / "journal.sqlite")
    before = (tmp_path / "journal.sqlite").read_bytes()
    code, out, _ = klaster("audit", "verify", "--data", str(tmp_path))
    assert code == 0 and out["ok"]
    assert klaster("audit", "head", "--data", str(tmp_path))[1]["seq"] == out["events"]
    assert (tmp_path / "journal.sqlite").read_bytes() == before
