"""A leader and a standby of one cluster on PostgreSQL (``klaster serve --store URL
--standby``): the standby follows, says so, refuses to serve, and takes over when the
leader is killed; a paused old leader cannot append after the takeover."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from tests.failover import MEMBER, Clients, kill_and_take_over, leader_and_standby, orders_of
from tests.postgres import Server
from tests.serving import an_open_interval, an_order, wait_ready

pytestmark = pytest.mark.slow


def audit(url: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "audit", "verify", "--store", url, "--cluster", "zywiec"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_standby_follows_refuses_requests_and_takes_over_after_sigkill_under_load(
    postgres: Server, tmp_path: Path, record_property: object
) -> None:
    url = postgres.create_database("failover")
    leader, standby = leader_and_standby(url, tmp_path)
    token = leader.tokens[MEMBER]
    clients = Clients([leader, standby], token)
    try:
        status, health = standby.request("GET", "/healthz")
        assert status == 200 and health["status"] == "ok"
        status, problem = standby.request("GET", "/readyz")
        assert status == 503 and "standby" in problem["detail"]
        status, problem = standby.request("POST", "/v1/orders", token, an_order(an_open_interval()))
        assert status == 503 and problem["type"].endswith("/not-leader")
        assert "klaster writer of zywiec" in problem["detail"]  # who leads

        clients.start()
        clients.wait_for(300)
        # the standby replays as the journal grows (NOTIFY): its head moves
        deadline = time.monotonic() + 10
        while standby.request("GET", "/healthz")[1]["journal"]["seq"] < 100:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        takeover_s = kill_and_take_over(leader, standby, clients)
        clients.wait_for(len(clients.acknowledged) + 100)
    finally:
        clients.stop()
    print(f"takeover {1000 * takeover_s:.0f} ms (SIGKILL to the standby's first 201/200)")
    record_property("takeover_ms", round(1000 * takeover_s))  # type: ignore[operator]
    try:
        assert not clients.errors, clients.errors[:5]
        wait_ready(standby)
        stored = orders_of(standby, token)
        by_client = Counter(o["client_order_id"] for o in stored)
        assert max(by_client.values()) == 1  # nothing twice
        ids = {o["client_order_id"]: o["order_id"] for o in stored}
        for client_order_id, ack in clients.acknowledged.items():  # nothing lost
            assert ids.get(client_order_id) == ack.order_id, client_order_id
        assert any(a.server == 1 and a.status == 201 for a in clients.acknowledged.values())
    finally:
        assert standby.stop(signal.SIGTERM) == 0, standby.log.read_text()
    assert audit(url)["ok"]


def test_a_paused_old_leader_appends_nothing_after_the_takeover_and_stops(
    postgres: Server, tmp_path: Path
) -> None:
    url = postgres.create_database("paused")
    leader, standby = leader_and_standby(url, tmp_path)
    token = leader.tokens[MEMBER]
    start = an_open_interval()
    try:
        assert leader.request("POST", "/v1/orders", token, an_order(start))[0] == 201
        leader.process.send_signal(signal.SIGSTOP)
        # Its session ends while it is paused (a network cut, a timeout, an operator):
        # the lock goes, the standby leads and writes.
        with psycopg.connect(url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE %s",
                (f"klaster writer of zywiec pid {leader.process.pid} %",),
            ).fetchall()
        assert ended == [(True,)]
        wait_ready(standby)
        late = {**an_order(start), "client_order_id": "late"}
        status, body = standby.request("POST", "/v1/orders", token, late)
        assert status == 201, body

        answers: list[tuple[int, object]] = []
        stale = {**an_order(start), "client_order_id": "stale"}
        sender = threading.Thread(
            target=lambda: answers.append(leader.request("POST", "/v1/orders", token, stale))
        )
        sender.start()
        time.sleep(0.2)  # the request waits in the paused leader's socket
        leader.process.send_signal(signal.SIGCONT)
        sender.join(30)
        assert answers and answers[0][0] == 503, answers  # not acknowledged
        assert answers[0][1]["type"].endswith("/journal-failed")
        assert leader.process.wait(30) == 1  # it steps down: exits, a supervisor restarts it
        stored = {o["client_order_id"] for o in orders_of(standby, token)}
        assert "late" in stored and "stale" not in stored
    finally:
        leader.stop(signal.SIGKILL)
        assert standby.stop(signal.SIGTERM) == 0, standby.log.read_text()
    assert audit(url)["ok"]


def test_a_standby_stopped_by_sigterm_exits_0_and_standby_needs_postgresql(
    postgres: Server, tmp_path: Path
) -> None:
    url = postgres.create_database("stopped")
    leader, standby = leader_and_standby(url, tmp_path)
    try:
        assert standby.stop(signal.SIGTERM) == 0, standby.log.read_text()
        assert leader.request("GET", "/readyz")[0] == 200
    finally:
        leader.stop(signal.SIGTERM)
    done = subprocess.run(
        [sys.executable, "-m", "engine", "serve", "--standby", "--data", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--standby needs --store" in done.stderr
