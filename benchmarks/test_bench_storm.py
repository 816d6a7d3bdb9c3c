"""Gate-closure storm: 100 clusters hosted by one process, every gate closing at the same
quarter hour, against one cluster alone in the same run.

Each cluster is what ``klaster serve --clusters DIR`` runs for it: its own market, journal
(a data directory of its own, ``DIR/clusters/{id}``, as the server keeps them; or its rows
and writer session in one PostgreSQL database, a throwaway server of this run) and group
committer with its writer thread, fed 10,000 random orders of the roomy demo cluster
(``roomy.py``) in the interval whose gate closes, made durable before the clock reaches
the gate. A round moves the shared simulated clock to the gate instant and times, from
there, what the server's :class:`~engine.market.gates.GateTicker` does on its tick: close
every cluster's due gate (freeze, clear, journal, apply, publish to the subscribers: the
metrics and a listener standing for the streams), then wait until every
``GateClosed`` is durable. The time stops at the last durable published result. The
ticker's own wake-up (on the wall clock's tick boundary, scheduling jitter only) is not in
it.

After the run, ``benchmark figures`` shows both medians and the ratio storm/single (100 if
the storm cost 100 times one cluster; less where commits of one cluster overlap the next
cluster's clearing). Run: ``pytest benchmarks/test_bench_storm.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from roomy import roomy_toml
from test_bench_engine import START, T0, random_batch, traders

from engine.config.cluster import Cluster, parse_cluster
from engine.market.events import GateClosed
from engine.market.gates import close_due_gates
from engine.market.metrics import Metrics
from engine.market.recovery import open_market
from engine.market.runtime import Runtime
from engine.model.clock import SimulatedClock
from engine.store.place import DataDirStore, PostgresStore
from tests.postgres import Server, throwaway_server

ORDERS = 10_000  # per cluster
STORM = 100  # clusters
_rounds = itertools.count()


def clusters(n: int) -> list[Cluster]:
    """``n`` roomy demo clusters, ids c000, c001, ..."""
    text = roomy_toml()
    return [
        parse_cluster(text.replace('id = "zywiec"', f'id = "c{i:03d}"', 1), source=f"c{i:03d}")
        for i in range(n)
    ]


class Storm:
    """``n`` started runtimes on one loop, each with ``ORDERS`` durable orders in the
    interval ``START``, the clock at its gate instant."""

    def __init__(self, store: DataDirStore | PostgresStore, hosted: list[Cluster]) -> None:
        self.loop = asyncio.new_event_loop()
        clock = SimulatedClock(T0 * 1_000_000)
        who = traders()
        rng = np.random.default_rng(7)
        metrics = Metrics(by_cluster=True)
        self.runtimes: list[Runtime] = []
        self.published: list[tuple[Runtime, int]] = []
        self.clearing_seconds = 0.0  # the clearing kernels' part, summed over clusters
        for cluster in hosted:
            node = open_market(store.of_cluster(cluster.id), cluster, clock)
            for member, point, limit in who:
                n = ORDERS // len(who) + (member == who[0][0]) * (ORDERS % len(who))
                node.market.submit_batch(
                    member, random_batch(rng, cluster, point, limit, [START], n)
                )
            node.commit()
            runtime = Runtime(node)
            self.runtimes.append(runtime)
        for runtime in self.runtimes:
            self.loop.run_until_complete(runtime.start(tick=False))
            runtime.instrument(metrics.for_cluster(runtime.market.cluster.id))
            runtime.market.subscribe(self._listener(runtime))
        gate_s = self.runtimes[0].market.calendar.auction_gate(START)
        clock.advance_to(gate_s * 1_000_000)

    def _listener(self, runtime: Runtime):  # noqa: ANN202
        def heard(event: object) -> None:
            if isinstance(event, GateClosed):
                self.published.append((runtime, event.seq))
                self.clearing_seconds += event.clearing_seconds

        return heard

    def close(self) -> None:
        """The storm: every gate closed, every result durable."""
        self.loop.run_until_complete(self._close())

    async def _close(self) -> None:
        await close_due_gates(self.runtimes)
        await asyncio.gather(*(runtime.durable(seq) for runtime, seq in self.published))

    def stop(self) -> None:
        for runtime in self.runtimes:
            self.loop.run_until_complete(runtime.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    """A throwaway PostgreSQL with room for a writer session per cluster."""
    try:
        with throwaway_server(max_connections=STORM + 50) as server:
            yield server
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def medians() -> dict[tuple[str, int], float]:
    return {}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("n", [1, STORM], ids=["one cluster", f"{STORM} clusters"])
def test_gate_closure_storm_to_the_last_durable_published_result(
    benchmark,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kind: str,
    n: int,
    medians: dict[tuple[str, int], float],
    report: list[str],
) -> None:
    hosted = clusters(n)
    storms: list[Storm] = []

    def store() -> DataDirStore | PostgresStore:
        if kind == "sqlite":
            return DataDirStore(tmp_path / f"round{next(_rounds)}")
        server = request.getfixturevalue("postgres")
        return PostgresStore(server.create_database(f"storm_{next(_rounds)}"))

    def setup() -> tuple[tuple, dict]:
        if storms:
            storms.pop().stop()
        storms.append(Storm(store(), hosted))
        return (), {}

    began = time.perf_counter()
    try:
        benchmark.pedantic(lambda: storms[-1].close(), setup=setup, rounds=3 if n > 1 else 7)
        storm = storms[-1]
        assert len(storm.published) == n
        assert all(r.node.journal.durable_seq == seq for r, seq in storm.published)
        clearing = storm.clearing_seconds
    finally:
        if storms:
            storms.pop().stop()
    benchmark.group = f"gate-closure storm ({kind})"
    benchmark.extra_info.update(clusters=n, orders_per_cluster=ORDERS, store=kind)
    benchmark.extra_info["clearing_ms_per_cluster"] = round(1e3 * clearing / n, 2)
    benchmark.extra_info["setup_and_run_s"] = round(time.perf_counter() - began, 1)
    if benchmark.stats is None:  # --benchmark-disable
        return
    medians[kind, n] = benchmark.stats.stats.median
    if (kind, 1) in medians and (kind, STORM) in medians:
        one, many = medians[kind, 1], medians[kind, STORM]
        report.append(
            f"gate-closure storm on {kind}: {STORM} clusters x {ORDERS:,} orders "
            f"{many * 1e3:.1f} ms, one cluster {one * 1e3:.1f} ms (medians, gate instant to "
            "the last durable "
            f"published result), ratio storm/one {many / one:.1f} "
            f"({many / one / STORM:.2f} of {STORM} x one)"
        )
