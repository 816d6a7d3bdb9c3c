"""The engine's speed, in process, with the durable journal on this machine's disk.

Issue 3's targets: batch ingestion with a durable journal >= 500,000 orders/s; single-order
submissions >= 20,000/s (concurrent, acknowledged after a shared commit); gate closure to a
durable published result for 100,000 orders <= 50 ms; replay of a 1,000,000-order journal
<= 5 s (settlement is in test_bench_settlement.py). Each row records its rate or its size in
``extra_info``. The market is the demo cluster with room for these volumes
(``benchmarks/roomy.py``: every point 1 GW), orders as large as the demo's points allow.
Run: ``pytest benchmarks/test_bench_engine.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import numpy as np
import pytest
from roomy import roomy_cluster
from roomy import traders as demo_traders

from engine.book.new_orders import NewOrder, OrderBatch
from engine.config.demo import demo_cluster
from engine.market.market import BatchAccepted, Market
from engine.market.recovery import GroupCommitSink, open_market, replay_journal
from engine.model.clock import SimulatedClock
from engine.store.group_commit import GroupCommitter
from engine.store.journal import Journal

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
START = T0 + 3600
BATCH = 10_000


def traders() -> list[tuple[str, int, int]]:
    """(member id, point code, largest order [Wh]) of the demo's trading members whose first
    connection point both imports and exports (``roomy.traders``)."""
    return [(member, code, limit) for member, code, _, limit in demo_traders(demo_cluster())]


def random_batch(
    rng, cluster, point: int, limit: int, starts: list[int], n: int = BATCH
) -> OrderBatch:
    floor, cap = cluster.band(starts[0])
    return OrderBatch(
        rng.choice(np.array(starts, np.int64), n),
        np.full(n, point, np.int64),
        rng.integers(0, 2, n, dtype=np.int64),
        rng.integers(floor, cap + 1, n, dtype=np.int64),
        rng.integers(1, limit + 1, n, dtype=np.int64),
    )


def test_batch_ingestion_with_a_durable_journal(benchmark, tmp_path: Path) -> None:
    cluster = roomy_cluster()
    node = open_market(tmp_path, cluster, SimulatedClock(T0 * 1_000_000))
    member, point, limit = traders()[0]
    rng = np.random.default_rng(3)
    batches = itertools.cycle(
        [
            random_batch(rng, cluster, point, limit, [START + 900 * i for i in range(4)])
            for _ in range(8)
        ]
    )

    def ingest() -> None:
        accepted = node.market.submit_batch(member, next(batches))
        node.commit()  # acknowledged only now
        assert isinstance(accepted, BatchAccepted)

    benchmark.pedantic(ingest, rounds=60, warmup_rounds=2)
    rate = BATCH / benchmark.stats.stats.median
    benchmark.extra_info.update(orders_per_second=round(rate), target=500_000)
    node.close()


@pytest.mark.parametrize("clients", [100, 500])
def test_single_orders_acknowledged_after_group_commit(
    benchmark, tmp_path: Path, clients: int
) -> None:
    """``clients`` agents each send orders one at a time, each waiting for its
    acknowledgement (closed loop), on one market, journal and group committer: throughput
    is concurrency / (commit latency + work). A round is 5,000 orders."""
    cluster = roomy_cluster()
    who = traders()
    floor, cap = cluster.band(START)
    per_client = 5000 // clients
    loop = asyncio.new_event_loop()
    journal = Journal.open(tmp_path / "journal.sqlite")
    committer = GroupCommitter(journal)
    loop.run_until_complete(_start(committer))
    sink = GroupCommitSink(committer)
    market = Market(cluster, SimulatedClock(T0 * 1_000_000), sink)

    async def client(c: int) -> None:
        member, point, limit = who[c % len(who)]
        for i in range(per_client):
            price = floor + (c * 131 + i * 17) % (cap - floor)
            order = NewOrder(START, point, (c + i) % 2, price, 1 + i % limit)
            done = market.submit(member, order)
            await sink.durable(done.seq)  # the acknowledgement

    async def round_() -> None:
        await asyncio.gather(*(client(c) for c in range(clients)))

    benchmark.pedantic(lambda: loop.run_until_complete(round_()), rounds=10, warmup_rounds=1)
    rate = clients * per_client / benchmark.stats.stats.median
    benchmark.extra_info.update(
        orders_per_second=round(rate), target=20_000, clients=clients, commits=committer.groups
    )
    loop.run_until_complete(committer.aclose())
    loop.close()
    journal.close()


async def _start(committer: GroupCommitter) -> None:
    committer.start()


def test_gate_closure_of_100k_orders_to_a_durable_result(benchmark, tmp_path: Path) -> None:
    cluster = roomy_cluster()
    who = traders()
    rng = np.random.default_rng(5)
    runs = itertools.count()

    def setup() -> tuple[tuple, dict]:
        clock = SimulatedClock(T0 * 1_000_000)
        node = open_market(tmp_path / f"gate{next(runs)}", cluster, clock)
        for member, point, limit in who:
            for _ in range(100_000 // BATCH // len(who) + 1):
                node.market.submit_batch(member, random_batch(rng, cluster, point, limit, [START]))
        node.commit()
        clock.advance_to((START - 300) * 1_000_000)
        return (node,), {}

    def close_gate(node) -> None:
        heard = []
        node.market.subscribe(lambda event: heard.append(event.kind))
        node.market.close_due_gates()  # freeze, clear, journal, publish
        node.commit()  # durable
        assert heard == ["GateClosed"]

    benchmark.pedantic(close_gate, setup=setup, rounds=8)
    benchmark.extra_info.update(orders=len(who) * (100_000 // BATCH // len(who) + 1) * BATCH)


@pytest.mark.parametrize("shape", ["batches of 10,000", "single-order events"])
def test_replay_of_a_million_order_journal(benchmark, tmp_path: Path, shape: str) -> None:
    cluster = roomy_cluster()
    member, point, limit = traders()[0]
    node = open_market(tmp_path, cluster, SimulatedClock(T0 * 1_000_000))
    floor, cap = cluster.band(START)
    starts = [START + 900 * i for i in range(8)]
    rng = np.random.default_rng(7)
    if shape.startswith("batches"):
        for _ in range(100):
            node.market.submit_batch(member, random_batch(rng, cluster, point, limit, starts))
    else:
        prices = rng.integers(floor, cap + 1, 1_000_000).tolist()
        for i, price in enumerate(prices):
            side = i // 8 % 2  # both sides in every interval
            node.market.submit(member, NewOrder(starts[i % 8], point, side, price, 1 + i % limit))
            if i % 10_000 == 0:
                node.commit()
    node.close()
    path = tmp_path / "journal.sqlite"
    report = benchmark.pedantic(lambda: replay_journal(path, cluster), rounds=3)
    assert report.orders == 1_000_000
    benchmark.extra_info.update(orders=report.orders, events=report.events)
