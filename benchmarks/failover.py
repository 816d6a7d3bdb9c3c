"""Takeover time of a standby: SIGKILL of the leader under load to the standby's first
acknowledged order (a throwaway PostgreSQL, two ``klaster serve --standby`` processes, four
clients failing over with the same client order ids; ``tests/failover.py``).

    PYTHONPATH=. python benchmarks/failover.py [ROUNDS]

Prints one JSON line: every round's takeover [ms] and their median. A wall-clock figure of
a loaded machine: compare rounds of one run, not runs of different days.
"""

from __future__ import annotations

import json
import signal
import statistics
import sys
import tempfile
from pathlib import Path

from tests.failover import MEMBER, Clients, kill_and_take_over, leader_and_standby
from tests.postgres import throwaway_server


def one_round(url: str, directory: Path) -> float:
    """One leader killed under load; the takeover [s]."""
    leader, standby = leader_and_standby(url, directory)
    clients = Clients([leader, standby], leader.tokens[MEMBER])
    try:
        clients.start()
        clients.wait_for(200)
        return kill_and_take_over(leader, standby, clients)
    finally:
        clients.stop()
        leader.stop(signal.SIGKILL)
        standby.stop(signal.SIGTERM)


def main(rounds: int) -> None:
    with throwaway_server() as server, tempfile.TemporaryDirectory() as tmp:
        takeovers = [
            1000 * one_round(server.create_database(f"failover_{n}"), Path(tmp) / str(n))
            for n in range(rounds)
        ]
    print(
        json.dumps(
            {
                "takeover_ms": [round(t) for t in takeovers],
                "median_ms": round(statistics.median(takeovers)),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
