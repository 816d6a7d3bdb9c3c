"""The gateway's speed over HTTP on loopback: ``klaster serve`` in a subprocess, clients in
this process (``benchmarks/http_load.py``), the journal on this machine's disk.

Issue 4's targets: single-order submissions (JSON and msgpack, many concurrent keep-alive
connections, each order acknowledged only once journaled) >= 8,000 orders/s with p99
latency <= 10 ms; columnar msgpack batches of 10,000 orders >= 1,000,000 orders/s end to end.
After each benchmark the server (the ``server`` fixture of ``conftest.py``) is stopped with
SIGTERM and the journal replayed: it must hold every acknowledged order. Figures go to
``extra_info`` (``benchmarks/table.py``). The single-order target of issue 9, a ratio to a bare
aiohttp handler, is measured in ``test_bench_http_ratio.py``.
Run: ``pytest benchmarks/test_bench_gateway.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from http_load import LoadResult, closed_loop, encode_request
from roomy import roomy_cluster
from single_orders import encode, open_intervals, order_requests, traders

from engine.market.recovery import JOURNAL_FILE, replay_journal
from tests.gateway_support import CLUSTER, MSGPACK, START, Gateway, serve
from tests.serving import Server

BATCH = 10_000


def journaled_orders(server: Server, data: Path) -> int:
    assert server.stop(signal.SIGTERM) == 0
    return replay_journal(data / JOURNAL_FILE, roomy_cluster()).orders


def run(server: Server, requests: list[list[bytes]]) -> LoadResult:
    netloc = urllib.parse.urlsplit(server.url)
    return asyncio.run(closed_loop(netloc.hostname, netloc.port, requests))


@pytest.mark.parametrize("codec", ["json", "msgpack"])
@pytest.mark.parametrize("connections", [8, 32])
def test_single_orders_over_http(
    benchmark, server: Server, tmp_path: Path, codec: str, connections: int
) -> None:
    rng = np.random.default_rng(4)
    per_connection = 250
    host = urllib.parse.urlsplit(server.url).netloc

    def requests() -> list[list[bytes]]:
        return order_requests(rng, host, server.tokens, codec, connections, per_connection)

    run(server, requests())  # warm: connections, first books, the allocator
    results: list[LoadResult] = []
    benchmark.pedantic(
        lambda work: results.append(run(server, work)),
        setup=lambda: ((requests(),), {}),
        rounds=3,
        iterations=1,
    )
    latencies = np.concatenate([r.latencies for r in results])
    seconds = sum(r.seconds for r in results)
    statuses = sum((r.statuses for r in results), start=type(results[0].statuses)())
    acked = statuses[200] + statuses[201]
    benchmark.extra_info.update(
        orders_per_second=round(len(latencies) / seconds),
        p50_ms=float(np.percentile(latencies, 50) * 1e3),
        p99_ms=float(np.percentile(latencies, 99) * 1e3),
        connections=connections,
        codec=codec,
        target="8,000/s, p99 <= 10 ms",
    )
    assert acked == len(latencies), statuses
    warm = connections * per_connection
    assert journaled_orders(server, tmp_path / "data") == acked + warm


@pytest.mark.parametrize("columns", ["bin", "array"])
@pytest.mark.parametrize("prices", ["any tick", "whole PLN"])
@pytest.mark.parametrize("connections", [1, 4])
def test_columnar_msgpack_batches_of_10k_orders(
    benchmark, server: Server, tmp_path: Path, connections: int, prices: str, columns: str
) -> None:
    """``prices``: uniform over every tick of the band (~6,500 new depth levels per batch,
    the engine's worst case) or on whole PLN/MWh (650 levels in all). ``columns``: the
    int64 columns (``interval_start``, ``quantity_wh``) as msgpack bin of raw int64, as the
    client SDK sends numpy arrays, or as msgpack arrays of ints."""
    starts, who = open_intervals(), traders()
    rng = np.random.default_rng(5)
    grid = 1 if prices == "any tick" else 100  # [tick]
    batches_per_connection = 20 // connections
    host = urllib.parse.urlsplit(server.url).netloc

    def int64_column(values: np.ndarray) -> bytes | list[int]:
        return values.astype("<i8").tobytes() if columns == "bin" else values.tolist()

    def batch(member: str, point: str, limit: int) -> bytes:
        body = {
            "interval_start": int64_column(rng.choice(starts, BATCH)),
            "connection_point": [point] * BATCH,
            "side": np.where(rng.integers(0, 2, BATCH) == 0, "buy", "sell").tolist(),
            "price": (rng.integers(25_000, 90_001, BATCH) // grid * grid / 100).tolist(),
            "quantity_wh": int64_column(rng.integers(1, limit + 1, BATCH)),
        }
        token = server.tokens[member]
        return encode_request(
            "POST", "/v1/orders/batch", host, encode("msgpack", body), "application/msgpack", token
        )

    def requests() -> list[list[bytes]]:
        return [
            [batch(*who[c % len(who)]) for _ in range(batches_per_connection)]
            for c in range(connections)
        ]

    run(server, requests())  # warm
    results: list[LoadResult] = []
    benchmark.pedantic(
        lambda work: results.append(run(server, work)),
        setup=lambda: ((requests(),), {}),
        rounds=3,
        iterations=1,
    )
    seconds = sum(r.seconds for r in results)
    batches = sum(len(r.latencies) for r in results)
    acked = sum(r.statuses[200] + r.statuses[201] for r in results)
    benchmark.extra_info.update(
        orders_per_second=round(batches * BATCH / seconds),
        batch_p50_ms=float(np.percentile(np.concatenate([r.latencies for r in results]), 50) * 1e3),
        connections=connections,
        prices=prices,
        columns=columns,
        target="1,000,000/s",
    )
    assert acked == batches, (results[-1].statuses, results[-1].last_body[:500])
    warm = connections * batches_per_connection
    assert journaled_orders(server, tmp_path / "data") == (acked + warm) * BATCH


HISTORIES = (1_000, 100_000)  # the member's orders in the book
# The test cluster with room for P-1's and P-2's 250,000 Wh of asks in an interval.
ROOMY_TEST_CLUSTER = CLUSTER.replace('max_export_kw = "8"', 'max_export_kw = "2000"')


async def book_history(g: Gateway, history: int) -> int:
    """Book ``history`` orders of dom-1 and as many of dom-2 between them (batches over four
    intervals); return the cursor of the middle of dom-1's history."""
    batch, mine = min(history, BATCH), []
    for member, point in [("t-dom-1", "P-1"), ("t-dom-2", "P-2")] * (history // batch):
        columns = {
            "interval_start": [START + 900 * (i % 4) for i in range(batch)],
            "connection_point": [point] * batch,
            "side": ["sell"] * batch,
            "price": ["300.00"] * batch,
            "quantity_wh": [10] * batch,
        }
        reply = await g.call("POST", "/v1/orders/batch", member, columns, encoding=MSGPACK)
        assert reply.status == 201, reply.body
        mine += reply.body["order_ids"] if member == "t-dom-1" else []
    return mine[history // 2]


@pytest.mark.parametrize("query", ["", "status=cancelled"])
def test_one_page_of_own_orders_with_1k_and_100k_orders_of_the_member(
    benchmark, tmp_path: Path, query: str, report: list[str]
) -> None:
    """``GET /v1/orders``, a page of 100 from the middle of the member's history, on two
    in-process gateways: one with 1,000 orders of the member in the book, one with 100,000
    (and as many of another member's between them). One round asks each once, so that both
    see the same machine; the ratio of their medians is the figure. ``status=cancelled``
    matches none: a filter's worst case, which looks at up to ``SCAN_BUDGET`` orders."""
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    seconds: dict[int, list[float]] = {h: [] for h in HISTORIES}
    try:
        paths = {}
        for history in HISTORIES:
            g = loop.run_until_complete(
                stack.enter_async_context(
                    serve(tmp_path / str(history), metrics=False, cluster_text=ROOMY_TEST_CLUSTER)
                )
            )
            cursor = loop.run_until_complete(book_history(g, history))
            paths[history] = g, f"/v1/orders?cursor={cursor}&{query}"

        async def ask(history: int) -> None:
            g, path = paths[history]
            started = time.perf_counter()
            reply = await g.call("GET", path, "t-dom-1")
            seconds[history].append(time.perf_counter() - started)
            assert reply.status == 200 and len(reply.body["orders"]) == (0 if query else 100)

        def both() -> None:
            for history in HISTORIES:
                loop.run_until_complete(ask(history))

        benchmark.pedantic(both, rounds=200, warmup_rounds=5)
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()
    small, large = (float(np.median(seconds[h][5:])) for h in HISTORIES)
    name = query or "no filter"
    benchmark.extra_info.update(
        query=name, page_1k_ms=small * 1e3, page_100k_ms=large * 1e3, ratio=large / small
    )
    report.append(
        f"GET /v1/orders ({name}), a page of 100: {small * 1e3:.2f} ms with 1,000 of the "
        f"member's orders, {large * 1e3:.2f} ms with 100,000: ratio {large / small:.2f}"
    )
