"""A market on a data directory: recovery after restart and after SIGKILL, refusing a
journal of another config, replaying a journal."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder, OrderBatch
from engine.config.demo import demo_cluster
from engine.market.recovery import ClusterMismatch, open_market, replay_journal
from engine.model.clock import SimulatedClock
from tests import REPO

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
START = T0 + 3600


def households(cluster):
    """Two trading members of the demo cluster and a connection point of each."""
    members = [m for m in cluster.members if m.role == "member" and m.connection_points]
    return [(m.id, m.connection_points[0].code) for m in members[:2]]


def test_a_restarted_market_has_the_same_books_results_and_order_ids(tmp_path: Path) -> None:
    cluster = demo_cluster()
    floor, _ = cluster.band(START)
    (seller, p1), (buyer, p2) = households(cluster)
    clock = SimulatedClock(T0 * 1_000_000)
    node = open_market(tmp_path, cluster, clock)
    node.market.submit(seller, NewOrder(START, p1, SELL, floor, 500, "s-1"))
    node.market.submit_batch(
        buyer,
        OrderBatch(
            np.array([START, START + 900], np.int64),
            np.array([p2, p2], np.int64),
            np.array([BUY, BUY], np.int64),
            np.array([floor + 1000, floor + 2000], np.int64),
            np.array([300, 400], np.int64),
        ),
    )
    clock.advance_to((START - 5 * 60) * 1_000_000)
    node.market.close_due_gates()
    digest = node.market.result(START).clearing.digest()
    depth = node.market.depth(START + 900)
    node.close()

    again = open_market(tmp_path, cluster, clock)
    market = again.market
    assert market.result(START).clearing.digest() == digest
    assert market.depth(START + 900) == depth
    assert market.orders(buyer) == node.market.orders(buyer)
    # Order ids and client ids continue where they were.
    repeat = market.submit(seller, NewOrder(START, p1, SELL, floor, 500, "s-1"))
    assert repeat.order_id == 1 and repeat.seq == market.seq  # the old id, nothing new
    fresh = market.submit(seller, NewOrder(START + 900, p1, SELL, floor, 500, "s-2"))
    assert fresh.order_id == 4
    again.close()
    report = replay_journal(tmp_path / "journal.sqlite", cluster)
    assert (report.orders, report.gate_closures) == (4, 1)


def test_a_journal_opened_with_another_config_serves_its_own(tmp_path: Path) -> None:
    cluster = demo_cluster()
    node = open_market(tmp_path, cluster, SimulatedClock(T0 * 1_000_000))
    assert not node.proposal_differs
    node.close()
    other = dataclasses.replace(cluster, k=0.25)
    node = open_market(tmp_path, other, SimulatedClock(T0 * 1_000_000))
    assert node.proposal_differs and node.market.cluster.k == 0.5
    node.close()


def test_a_journal_without_its_config_and_another_config_is_refused(tmp_path: Path) -> None:
    """A cluster built in memory (no document) keeps the old regime: the fingerprint."""
    cluster = dataclasses.replace(demo_cluster(), document=None)
    open_market(tmp_path, cluster, SimulatedClock(T0 * 1_000_000)).close()
    other = dataclasses.replace(cluster, k=0.25)
    with pytest.raises(ClusterMismatch, match="another config"):
        open_market(tmp_path, other, SimulatedClock(T0 * 1_000_000))


WRITER = textwrap.dedent(
    """
    import sys
    from engine.model.clock import SimulatedClock
    from engine.config.demo import demo_cluster
    from engine.market.recovery import open_market
    from engine.book.new_orders import NewOrder

    data, start = sys.argv[1], int(sys.argv[2])
    cluster = demo_cluster()
    member = next(m for m in cluster.members if m.role == "member" and m.connection_points)
    point = member.connection_points[0].code
    floor, cap = cluster.band(start)
    node = open_market(data, cluster, SimulatedClock((start - 3600) * 1_000_000))
    i = 0
    while True:
        acked = []
        for _ in range(50):  # a group of submissions, one commit, then the acknowledgements
            i += 1
            # 1 Wh over 64 intervals and both sides: far within the point's limits
            order = NewOrder(start + 900 * (i % 64), point, i % 2, floor + i % 500, 1)
            done = node.market.submit(member.id, order)
            acked.append(done.order_id)
        node.commit()
        print(" ".join(map(str, acked)), flush=True)
    """
)


def test_every_acknowledged_order_survives_sigkill_and_none_is_duplicated(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    acknowledged: list[int] = []
    for round_ in range(2):  # kill, restart on the same directory, kill again
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(START)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert writer.stdout is not None
        for lines, line in enumerate(writer.stdout, start=1):
            acknowledged += [int(x) for x in line.split()]
            if lines == 20 + 10 * round_:
                writer.send_signal(signal.SIGKILL)
                break
        writer.wait(timeout=30)
        assert writer.returncode == -signal.SIGKILL
    node = open_market(tmp_path, demo_cluster(), SimulatedClock((START - 3600) * 1_000_000))
    member = next(m for m in node.market.cluster.members if m.role == "member")
    stored = sorted(o["order_id"] for o in node.market.orders(member.id))
    assert len(stored) == len(set(stored))  # nothing twice
    assert set(acknowledged) <= set(stored)  # nothing acknowledged is lost
    assert stored == list(range(1, len(stored) + 1))
    assert node.journal.verify().ok
    node.close()


def test_concurrent_submissions_are_acknowledged_after_one_shared_commit(tmp_path: Path) -> None:
    import asyncio

    from engine.market.market import Market
    from engine.market.recovery import GroupCommitSink
    from engine.store.group_commit import GroupCommitter
    from engine.store.journal import Journal

    cluster = demo_cluster()
    (seller, point), _ = households(cluster)
    floor, _ = cluster.band(START)

    async def run() -> tuple[list[int], GroupCommitter]:
        journal = Journal.open(tmp_path / "journal.sqlite")
        async with GroupCommitter(journal) as committer:
            sink = GroupCommitSink(committer)
            market = Market(cluster, SimulatedClock(T0 * 1_000_000), sink)

            async def client(i: int) -> int:
                done = market.submit(seller, NewOrder(START, point, SELL, floor + i, 10))
                await sink.durable(done.seq)
                assert journal.durable_seq >= done.seq  # acknowledged only when durable
                return done.order_id

            ids = await asyncio.gather(*(client(i) for i in range(200)))
        journal.close()
        return ids, committer

    ids, committer = asyncio.run(run())
    assert sorted(ids) == list(range(1, 201))
    assert committer.groups < 20  # far fewer commits than submissions
