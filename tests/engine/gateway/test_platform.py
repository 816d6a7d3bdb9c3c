"""The HTTP API of a server hosting several clusters (``create_platform``), in process on a
loopback port: each cluster under ``/v1/clusters/{id}/`` with its own tokens, metrics
labelled by cluster, the server's own paths, and the problems of a path no cluster has;
the gate ticker closing every cluster's due gate in one pass. And the addressed form on a
server of one cluster (``create_app``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from engine.config.cluster import parse_cluster
from engine.gateway.platform import create_platform
from engine.market.events import GateClosed
from engine.market.gates import close_due_gates
from engine.market.metrics import Metrics
from engine.market.recovery import open_market
from engine.market.runtime import Runtime
from engine.model.clock import SimulatedClock
from tests.engine.gateway.test_day import next_messages
from tests.gateway_support import (
    CLUSTER,
    START,
    T0,
    TOKENS,
    DictTokens,
    Gateway,
    on_loopback,
    order,
    run,
    serve,
)

IDS = ("alpha", "beta")


def tokens_of(cluster_id: str) -> DictTokens:
    """The usual test tokens, prefixed by the cluster's id: each cluster has its own."""
    return DictTokens({f"{cluster_id}-{t}": m for t, m in TOKENS.items()})


@contextlib.asynccontextmanager
async def platform(tmp_path: Path) -> AsyncIterator[tuple[Gateway, list[Runtime]]]:
    clock = SimulatedClock(T0 * 1_000_000)
    runtimes = [
        Runtime(
            open_market(
                tmp_path / cid,
                parse_cluster(CLUSTER.replace('id = "test"', f'id = "{cid}"')),
                clock,
            )
        )
        for cid in IDS
    ]
    metrics = Metrics(CollectorRegistry(), by_cluster=True)
    for runtime in runtimes:
        await runtime.start(tick=False)
        runtime.instrument(metrics.for_cluster(runtime.market.cluster.id))
    app = create_platform(
        [(r, tokens_of(cid)) for r, cid in zip(runtimes, IDS, strict=True)], metrics
    )
    try:
        async with on_loopback(app) as (url, session):
            yield Gateway(url, session, clock, runtimes[0], metrics, app), runtimes
    finally:
        for runtime in runtimes:
            await runtime.stop()


def slug(body: dict) -> str:
    return body["type"].rsplit("/", 1)[1]


@run
async def test_each_cluster_is_its_own_market_under_its_id(tmp_path: Path) -> None:
    async with platform(tmp_path) as (g, runtimes):
        listed = await g.call("GET", "/v1/clusters")
        assert listed.status == 200
        assert [c["id"] for c in listed.body["clusters"]] == list(IDS)
        for n, cid in enumerate(IDS):  # one order in alpha, two in beta
            for _ in range(n + 1):
                reply = await g.call(
                    "POST", f"/v1/clusters/{cid}/orders", f"{cid}-t-dom-1", order()
                )
                assert reply.status == 201, reply.body
        assert [r.market.seq for r in runtimes] == [3, 4]  # two events at the start, orders
        me = await g.call("GET", "/v1/clusters/beta/me", "beta-t-oke")
        assert me.status == 200 and me.body["member_id"] == "oke"

        refused = await g.call("GET", "/v1/clusters/beta/orders", "alpha-t-dom-1")
        assert (refused.status, slug(refused.body)) == (403, "wrong-cluster")
        unknown = await g.call("GET", "/v1/clusters/gamma/orders", "alpha-t-dom-1")
        assert (unknown.status, slug(unknown.body)) == (404, "unknown-cluster")
        nothing = await g.call("GET", "/v1/clusters/alpha/nothing", "alpha-t-dom-1")
        assert (nothing.status, slug(nothing.body)) == (404, "not-found")
        bare = await g.call("GET", "/v1/orders", "alpha-t-dom-1")
        assert bare.status == 404 and "/v1/clusters/{cluster_id}/orders" in bare.body["detail"]
        assert (await g.call("GET", "/v1/clusters/alpha/orders", "nobody")).status == 401

        health = await g.call("GET", "/readyz")
        assert health.status == 200 and set(health.body["clusters"]) == set(IDS)
        assert "journal" not in health.body
        assert (await g.call("GET", "/v1/openapi.json")).status == 200

        sample = g.metrics.registry.get_sample_value
        for cid, n in zip(IDS, (1, 2), strict=True):
            labels = {"cluster": cid, "side": "sell", "outcome": "accepted"}
            assert sample("klaster_orders_total", labels) == n
        route = "/v1/clusters/{cluster_id}/orders"  # the template, not each cluster's path
        labels = {"route": route, "method": "POST", "status": "201"}
        assert sample("klaster_http_request_duration_seconds_count", labels) == 3
        assert sample("klaster_problems_total", {"type": "wrong-cluster"}) == 1


@run
async def test_one_pass_of_the_gate_ticker_closes_every_clusters_due_gate(tmp_path: Path) -> None:
    async with platform(tmp_path) as (g, runtimes):
        closed: list[tuple[str, int]] = []
        for runtime in runtimes:
            cid = runtime.market.cluster.id
            reply = await g.call("POST", f"/v1/clusters/{cid}/orders", f"{cid}-t-dom-1", order())
            assert reply.status == 201
            runtime.market.subscribe(
                lambda e, cid=cid: closed.append((cid, e.seq)) if isinstance(e, GateClosed) else 0
            )
        await close_due_gates(runtimes)
        assert closed == []  # the gate is not due yet
        g.at(START - 300)  # the gate instant of every cluster
        await close_due_gates(runtimes)
        assert [cid for cid, _ in closed] == list(IDS)
        for runtime, (_, seq) in zip(runtimes, closed, strict=True):
            assert await runtime.durable(seq) == seq
        sample = g.metrics.registry.get_sample_value
        for cid in IDS:
            assert sample("klaster_clearing_duration_seconds_count", {"cluster": cid}) == 1


@run
async def test_a_server_of_one_cluster_also_answers_it_addressed_by_id(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        listed = await g.call("GET", "/v1/clusters")
        assert [c["api"] for c in listed.body["clusters"]] == ["/v1/clusters/test"]
        reply = await g.call("POST", "/v1/clusters/test/orders", "t-dom-1", order())
        assert reply.status == 201
        mine = await g.call("GET", "/v1/orders", "t-dom-1")
        assert [o["order_id"] for o in mine.body["orders"]] == [reply.body["order_id"]]
        other = await g.call("GET", "/v1/clusters/other/orders", "t-dom-1")
        assert (other.status, slug(other.body)) == (404, "unknown-cluster")
        health = await g.call("GET", "/healthz")
        assert set(health.body) == {"status", "journal"}  # as a server of one always said


@run
async def test_a_clusters_stream_hears_its_own_gate_closure_only(tmp_path: Path) -> None:
    async with platform(tmp_path) as (g, runtimes):
        streams = {}
        for cid in IDS:
            await g.call("POST", f"/v1/clusters/{cid}/orders", f"{cid}-t-dom-1", order())
            headers = {"Authorization": f"Bearer {cid}-t-dom-1"}
            url = f"{g.url}/v1/clusters/{cid}/stream"
            streams[cid] = await g.session.ws_connect(url, headers=headers)
            assert (await next_messages(streams[cid], False, {"hello"}))[0]["member"] == "dom-1"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await g.session.ws_connect(
                f"{g.url}/v1/clusters/beta/stream", protocols=("klaster", "bearer.alpha-t-dom-1")
            )
        assert refused.value.status == 403
        sample = g.metrics.registry.get_sample_value
        assert sample("klaster_websocket_streams", {"cluster": "beta"}) == 1
        g.at(START - 300)
        await close_due_gates(runtimes[1:])  # beta's gate only
        heard = await next_messages(streams["beta"], False, {"interval"})
        assert next(m for m in heard if m["type"] == "interval")["state"] == "cleared"
        assert runtimes[0].market.seq == 3  # alpha: nothing closed, nothing told
        for ws in streams.values():
            await ws.close()
