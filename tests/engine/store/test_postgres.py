"""What only the PostgreSQL store has: fenced appends, the advisory lock naming its holder,
and ``klaster serve --store`` over loopback with the other commands on the same store."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from engine.store.chain import Head
from engine.store.pg_journal import JournalFenced, PgJournal
from engine.store.postgres import ClusterLocked
from tests.postgres import Server
from tests.serving import an_open_interval, an_order, start_server, wait_ready

TS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z [us]


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


def test_a_writer_whose_checkpoint_moved_under_it_appends_nothing(postgres: Server) -> None:
    url = postgres.create_database("fenced")
    with PgJournal.open(url, "zywiec") as journal:
        journal.append("OrdersAccepted", TS, b"1")
        journal.commit()
        # as if another writer had taken over and appended seq 2
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("UPDATE klaster.checkpoints SET seq = 2, hash = %s", (bytes(32),))
        journal.append("OrdersAccepted", TS, b"2")
        with pytest.raises(JournalFenced, match="another writer appended"):
            journal.commit()
        assert journal.head.seq == 1
        with psycopg.connect(url) as other:
            assert other.execute("SELECT max(seq) FROM klaster.events").fetchone() == (1,)


def test_a_second_writer_is_told_who_holds_the_cluster(postgres: Server) -> None:
    url = postgres.create_database("locked")
    with PgJournal.open(url, "zywiec"):
        with pytest.raises(ClusterLocked, match=r"klaster writer of zywiec pid \d+ on "):
            PgJournal.open(url, "zywiec")
        with PgJournal.open(url, "oke") as other:  # another cluster has a lock of its own
            assert other.head == Head(0, bytes(32))
        with PgJournal.open(url, "zywiec", read_only=True) as reader:  # readers take none
            assert reader.verify().ok


@pytest.mark.slow
def test_serve_on_postgresql_takes_orders_and_has_them_all_after_a_restart(
    postgres: Server, tmp_path: Path
) -> None:
    url = postgres.create_database("served")
    data = tmp_path / "files"
    server = start_server(data, "--store", url)
    try:
        wait_ready(server)
        assert server.issued and server.tokens_file == data / "demo-tokens.txt"
        assert not (data / "journal.sqlite").exists() and not (data / "tokens.sqlite").exists()
        start = an_open_interval()
        acknowledged = []
        for _ in range(5):
            status, body = server.request(
                "POST", "/v1/orders", server.tokens["dom-01"], an_order(start)
            )
            assert status == 201, body
            acknowledged.append(body["order_id"])
        second = klaster("serve", "--store", url, "--data", str(tmp_path / "b"), "--port", "0")
        assert second.returncode == 1 and "one writer per cluster" in second.stderr
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()

    done = klaster("audit", "verify", "--store", url, "--cluster", "zywiec")
    assert done.returncode == 0 and json.loads(done.stdout)["events"] == 7, done.stderr
    done = klaster("replay", "--store", url)
    assert done.returncode == 0 and json.loads(done.stdout)["orders"] == 5, done.stderr
    listed = klaster("members", "list", "--store", url, "--json", "--data", str(data))
    assert {json.loads(line)["member"] for line in listed.stdout.splitlines()} >= {"dom-01"}

    again = start_server(data, "--store", url)
    try:
        assert not again.issued and again.tokens == server.tokens
        wait_ready(again)
        status, body = again.request("GET", "/v1/orders", server.tokens["dom-01"])
        assert status == 200
        assert [o["order_id"] for o in body["orders"]] == acknowledged
        revoked = klaster("members", "revoke", "dom-01", "--store", url)
        assert revoked.returncode == 0, revoked.stderr
        assert again.request("GET", "/v1/orders", server.tokens["dom-01"])[0] == 401
    finally:
        assert again.stop(signal.SIGINT) == 0, again.log.read_text()


def test_the_commands_refuse_a_store_that_is_no_postgresql_url(tmp_path: Path) -> None:
    done = klaster("audit", "verify", "--store", str(tmp_path))
    assert done.returncode == 2 and "--store must be a PostgreSQL URL" in done.stderr
    done = klaster("audit", "head", "--store", "postgresql://nobody@/none?host=/nonexistent")
    assert done.returncode == 1 and "cannot connect to postgresql://nobody@" in done.stderr
