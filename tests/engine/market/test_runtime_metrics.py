"""The runtime feeds the metrics: commit latency, the journal's head, clearings (with their
interval's band) and book sizes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from engine.book.new_orders import NewOrder
from engine.config.demo import demo_cluster
from engine.market.metrics import Metrics
from engine.market.runtime import Runtime
from engine.model.clock import SimulatedClock

T0 = 1_767_225_600
START = T0 + 3600


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_the_runtime_reports_commits_clearings_and_open_books(tmp_path: Path) -> None:
    cluster = demo_cluster()
    floor, cap = cluster.band(START)
    seller = cluster.member_by_id("dom-01").connection_points[0].code
    buyer = cluster.member_by_id("szkola-zywiec").connection_points[0].code
    clock = SimulatedClock(T0 * 1_000_000)
    metrics = Metrics()

    async def run() -> dict:
        runtime = Runtime.open(tmp_path, cluster, clock)
        runtime._tick_seconds = 0.01
        await runtime.start()
        runtime.instrument(metrics)
        heads.append(samples(metrics)[("klaster_journal_head_seq", ())])
        market = runtime.market
        await runtime.durable(market.submit("dom-01", NewOrder(START, seller, 1, floor, 1000)).seq)
        await runtime.durable(
            market.submit("szkola-zywiec", NewOrder(START, buyer, 0, cap, 800)).seq
        )
        heads.append(samples(metrics)[("klaster_journal_head_seq", ())])
        await asyncio.sleep(0.05)  # a tick sees the open book
        open_books = samples(metrics)
        clock.advance_to((START - 300) * 1_000_000)
        await asyncio.sleep(0.05)  # the ticker closes the gate
        await runtime.stop()
        return open_books

    heads: list[float] = []
    open_books = asyncio.run(run())
    assert heads == [2, 4]  # ClusterConfigured, ClusterChanged; two orders durable
    assert open_books[("klaster_book_orders", (("side", "buy"),))] == 1
    assert open_books[("klaster_book_orders", (("side", "sell"),))] == 1
    after = samples(metrics)
    assert after[("klaster_journal_commit_duration_seconds_count", ())] >= 2
    assert after[("klaster_clearing_duration_seconds_count", ())] == 1
    assert after[("klaster_cleared_volume_wh_total", ())] == 800
    # Excess supply at the floor sets the uniform price there.
    assert after[("klaster_last_clearing_price_pln_per_mwh", ())] == float(
        floor * cluster.tick_pln_mwh
    )
    # ... and the interval's band beside it, for the dashboard's "price against the band".
    assert after[("klaster_last_band_floor_pln_per_mwh", ())] == float(floor * cluster.tick_pln_mwh)
    assert after[("klaster_last_band_cap_pln_per_mwh", ())] == float(cap * cluster.tick_pln_mwh)
    assert after[("klaster_book_orders", (("side", "buy"),))] == 0
    assert after[("klaster_journal_head_seq", ())] == 5  # and the gate closure
