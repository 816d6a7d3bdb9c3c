"""A leader and a standby of one cluster on one PostgreSQL, and clients that fail over.

Used by ``tests/engine/cli/test_failover.py`` and ``benchmarks/failover.py``: the clients
send single orders, each with its own ``client_order_id``, to the server they believe
leads; a refused connection, a reset or a 503 (``not-leader`` of a standby,
``journal-failed`` of a leader that lost its store) sends them to the other server with
the same order, until one answers 201 (booked) or 200 (a retry of an order already booked:
the same ``order_id``).
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.serving import Server, an_open_interval, an_order, start_server, wait_ready

MEMBER = "dom-01"
RETRY_PAUSE_S = 0.02  # between a failed try and the next one on the other server
GIVE_UP_S = 60.0  # an order not acknowledged by then fails the run


def leader_and_standby(url: str, directory: Path) -> tuple[Server, Server]:
    """Start a leader, then a standby, of the demo cluster on the database ``url``; the
    leader has the member tokens (it issued them)."""
    leader = start_server(directory / "a", "--store", url, "--standby")
    try:
        wait_ready(leader)
        standby = start_server(
            directory / "b", "--store", url, "--standby", until="klaster: standby"
        )
    except BaseException:
        leader.stop(signal.SIGKILL)
        raise
    standby.tokens = leader.tokens
    return leader, standby


def orders_of(server: Server, token: str) -> list[dict[str, Any]]:
    """Every order of the token's member, page by page."""
    found: list[dict[str, Any]] = []
    cursor = 0
    while True:
        status, page = server.request("GET", f"/v1/orders?limit=1000&cursor={cursor}", token)
        assert status == 200, page
        found += page["orders"]
        if page["next_cursor"] is None:
            return found
        cursor = page["next_cursor"]


@dataclass
class Acknowledged:
    """An order a client got an answer for: its id, the status (201 or 200), which server
    answered (0 the first leader, 1 the standby) and when [s, monotonic]."""

    order_id: int
    status: int
    server: int
    at_s: float


@dataclass
class Clients:
    """Client threads sending orders until :meth:`stop`."""

    servers: list[Server]
    token: str
    threads: int = 4
    acknowledged: dict[str, Acknowledged] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _running: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        start = an_open_interval()
        for n in range(self.threads):
            thread = threading.Thread(target=self._client, args=(n, start), daemon=True)
            thread.start()
            self._running.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._running:
            thread.join(GIVE_UP_S + 10)

    def wait_for(self, count: int, server: int | None = None, timeout: float = 60.0) -> None:
        """Until ``count`` orders are acknowledged (by ``server``, if given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.errors:
            with self._lock:
                done = sum(1 for a in self.acknowledged.values() if server in (None, a.server))
            if done >= count:
                return
            time.sleep(0.01)
        raise TimeoutError(f"{count} acknowledged orders not reached: {self.errors[:3]}")

    def _client(self, n: int, start: int) -> None:
        target, i = 0, 0
        while not self._stop.is_set():
            i += 1
            client_order_id = f"c{n}-{i}"
            body = {
                **an_order(start + 900 * (i % 8), quantity_wh=1),
                "client_order_id": client_order_id,
            }
            deadline = time.monotonic() + GIVE_UP_S
            while True:
                try:
                    status, answer = self.servers[target].request(
                        "POST", "/v1/orders", self.token, body
                    )
                except OSError:  # refused or reset: that server is gone
                    status, answer = None, None
                if status in (200, 201):
                    with self._lock:
                        self.acknowledged[client_order_id] = Acknowledged(
                            answer["order_id"], status, target, time.monotonic()
                        )
                    break
                if status not in (None, 503) or time.monotonic() > deadline:
                    self.errors.append(f"{client_order_id}: {status} {answer}")
                    return
                target = 1 - target
                time.sleep(RETRY_PAUSE_S)


def kill_and_take_over(leader: Server, standby: Server, clients: Clients) -> float:
    """SIGKILL the leader under the clients' load; return the takeover time [s]: from the
    kill to the standby's first acknowledged order."""
    killed_at = time.monotonic()
    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(30)
    clients.wait_for(1, server=1)
    first = min(a.at_s for a in clients.acknowledged.values() if a.server == 1)
    return first - killed_at
