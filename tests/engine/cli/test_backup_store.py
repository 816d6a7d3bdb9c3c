"""``klaster backup --store`` and ``klaster restore --store``: a cluster's stream between
PostgreSQL and backup directories, both ways, checked by the hash chain."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from engine.store.journal import JOURNAL_FILE
from engine.store.tokens import TOKENS_FILE, TokenStore
from tests.postgres import Server
from tests.tampering import EVENTS, a_day_of_trading, flip_side_byte


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


def journal_rows(data: Path) -> list[tuple]:
    with sqlite3.connect(data / JOURNAL_FILE) as db:
        rows = db.execute("SELECT seq, kind, ts, payload, hash FROM events ORDER BY seq")
        return rows.fetchall()


def token_rows(data: Path) -> list[tuple]:
    with sqlite3.connect(data / TOKENS_FILE) as db:
        return db.execute("SELECT * FROM tokens ORDER BY hash").fetchall()


@pytest.fixture
def trading(tmp_path: Path) -> Path:
    """A data directory: a day of trading and two tokens, one revoked."""
    data = tmp_path / "data"
    a_day_of_trading(data)
    with TokenStore.open(data) as tokens:
        tokens.issue("dom-01")
        tokens.issue("dom-02")
        tokens.revoke("dom-02")
    return data


def test_a_stream_goes_from_sqlite_to_postgresql_and_back_unchanged(
    postgres: Server, trading: Path, tmp_path: Path
) -> None:
    url = postgres.create_database("round_trip")
    done = klaster("restore", str(trading), "--store", url)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded["ok"] and loaded["events"] == EVENTS and loaded["cluster"] == "zywiec"
    audited = klaster("audit", "verify", "--store", url, "--cluster", "zywiec")
    assert audited.returncode == 0 and json.loads(audited.stdout)["events"] == EVENTS
    replayed = klaster("replay", "--store", url)
    assert replayed.returncode == 0, replayed.stderr  # every clearing recomputed, the same

    backup = tmp_path / "backup"
    done = klaster("backup", "--store", url, str(backup))  # the only cluster: no --cluster
    assert done.returncode == 0, done.stderr
    taken = json.loads(done.stdout)
    assert taken["events"] == EVENTS and taken["head_hash"] == loaded["head_hash"]
    assert journal_rows(backup) == journal_rows(trading)  # the same events and hashes
    assert token_rows(backup) == token_rows(trading)  # hashes, revocation, expiry
    assert not list(backup.glob("*-wal"))

    restored = tmp_path / "restored"
    done = klaster("restore", str(backup), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    verified = klaster("audit", "verify", "--data", str(restored))
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"]

    again = postgres.create_database("round_trip_again")  # a PostgreSQL backup into PostgreSQL
    done = klaster("restore", str(backup), "--store", again)
    assert done.returncode == 0 and json.loads(done.stdout)["head_hash"] == loaded["head_hash"]


def test_a_restore_refuses_a_database_holding_the_cluster_and_a_broken_backup(
    postgres: Server, trading: Path
) -> None:
    url = postgres.create_database("refusing")
    assert klaster("restore", str(trading), "--store", url).returncode == 0
    done = klaster("restore", str(trading), "--store", url)
    assert done.returncode == 1 and "already holds" in json.loads(done.stdout)["error"]

    other = postgres.create_database("tampered")
    flip_side_byte(trading)
    done = klaster("restore", str(trading), "--store", other)
    assert (
        done.returncode == 1 and "fails verification at seq 3" in json.loads(done.stdout)["error"]
    )
    with psycopg.connect(other) as conn:  # nothing half-done: the transaction rolled back
        assert conn.execute("SELECT count(*) FROM klaster.events").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM klaster.checkpoints").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM klaster.tokens").fetchone() == (0,)


def test_a_backup_of_a_store_needs_its_cluster_named_when_it_holds_several(
    postgres: Server, trading: Path, tmp_path: Path
) -> None:
    url = postgres.create_database("several")
    assert klaster("restore", str(trading), "--store", url).returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:  # a second cluster's (empty) journal
        conn.execute("INSERT INTO klaster.checkpoints VALUES ('oke', 0, %s)", (bytes(32),))
    done = klaster("backup", "--store", url, str(tmp_path / "b"))
    assert done.returncode == 2 and "--cluster" in done.stderr
    done = klaster("backup", "--store", url, "--cluster", "zywiec", str(tmp_path / "b"))
    assert done.returncode == 0 and json.loads(done.stdout)["events"] == EVENTS
