"""The gateway's contract pieces: the OpenAPI document against the routes, the Reject table,
content negotiation, exact unit conversion (numpy and Decimal agree), the 10,000-row
columnar path, metrics by route template, the probes, and streams closed at shutdown."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
import msgpack
import numpy as np
import pytest
from openapi_spec_validator import validate

from engine.api.openapi import document
from engine.gateway import commands
from engine.gateway.encoding import negotiate
from engine.gateway.problems import REJECTS, TITLES, Problem
from engine.gateway.quantities import RowErrors, parse_price, price_column
from engine.model.rejects import Reject
from engine.store.journal import Journal
from tests.gateway_support import CLUSTER, JSON, MSGPACK, START, order, run, serve

METHODS = {"get", "post", "put", "patch", "delete"}


def routes_of(app) -> set[tuple[str, str]]:  # noqa: ANN001
    return {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.resource is not None
    }


def documented(spec: dict) -> set[tuple[str, str]]:
    return {(path, m) for path, item in spec["paths"].items() for m in item if m in METHODS}


@pytest.mark.parametrize("metrics", [True, False])
@run
async def test_the_openapi_document_validates_and_lists_exactly_the_apps_routes(
    tmp_path: Path, metrics: bool
) -> None:
    async with serve(tmp_path, metrics=metrics) as g:
        served = await g.call("GET", "/v1/openapi.json")
        assert served.status == 200
        validate(served.body)
        assert served.body == document(with_metrics=metrics)
        assert documented(served.body) == routes_of(g.app)
        assert ("/metrics", "get") in routes_of(g.app) if metrics else True
        if not metrics:
            assert (await g.call("GET", "/metrics")).status == 404


def test_every_reject_code_has_a_status_and_a_problem_type_with_a_title() -> None:
    assert set(REJECTS) == set(Reject)
    for status, slug in REJECTS.values():
        assert 400 <= status < 500 and slug in TITLES


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/msgpack", MSGPACK),
        ("application/x-msgpack", MSGPACK),
        ("application/msgpack, application/json", MSGPACK),
        ("application/json, application/msgpack", JSON),
        ("application/json;q=0.5, application/msgpack", MSGPACK),
        ("application/json;q=0, */*", MSGPACK),
        ("text/html, */*;q=0.1", JSON),
        ("text/html", None),
        ("application/json;q=0", None),
    ],
)
def test_accept_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


@pytest.mark.parametrize(
    ("value", "tick", "ticks"),
    [
        (512, "0.01", 51200),
        (512.34, "0.01", 51234),
        (Decimal("512.34"), "0.01", 51234),
        ("512.3", "0.01", 51230),
        (-0.01, "0.01", -1),
        (0.29, "0.01", 29),  # 0.29 * 100 is 28.999999999999996 in floats
        (12.35, "0.05", 247),
        ("1000000.00", "0.01", 10**8),
    ],
)
def test_a_price_converts_exactly(value: object, tick: str, ticks: int) -> None:
    assert parse_price(value, Decimal(tick)) == ticks
    errors = RowErrors()
    assert price_column([value], Decimal(tick), "price", errors).tolist() == [ticks]
    assert errors.count == 0


@pytest.mark.parametrize(
    ("value", "tick"),
    [(512.345, "0.01"), (12.34, "0.05"), (1000000.01, "0.01"), (float("nan"), "0.01")],
)
def test_an_inexact_or_huge_price_is_refused_by_both_paths(value: float, tick: str) -> None:
    with pytest.raises(Problem):
        parse_price(value, Decimal(tick))
    errors = RowErrors()
    price_column([value], Decimal(tick), "price", errors)
    assert errors.count == 1


def test_the_numpy_price_path_agrees_with_decimal_on_many_prices() -> None:
    rng = np.random.default_rng(20260101)
    ticks = rng.integers(-(10**8), 10**8, 20_000)
    floats = (ticks / 100).tolist()
    noisy = [f + 1e-7 for f in floats[:1000]]
    errors = RowErrors()
    converted = price_column(floats + noisy, Decimal("0.01"), "price", errors)
    assert converted[: len(floats)].tolist() == ticks.tolist()
    assert errors.count == len(noisy)
    assert [parse_price(f, Decimal("0.01")) for f in floats[:2000]] == ticks[:2000].tolist()


def ten_thousand_rows() -> dict:
    n = 10_000
    return {
        "interval_start": [START] * n,
        "connection_point": ["P-1"] * n,
        "side": ["sell"] * n,
        "price": [(30_000 + i % 1000) / 100 for i in range(n)],
        "quantity_wh": [1 + i % 7 for i in range(n)],
    }


def test_a_ten_thousand_row_msgpack_batch_converts_in_a_few_milliseconds() -> None:
    raw = msgpack.packb(ten_thousand_rows())
    point_codes = {"P-1": 1}
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        batch, _ = commands.order_columns(msgpack.unpackb(raw), point_codes, Decimal("0.01"))
        best = min(best, time.perf_counter() - started)
    assert len(batch) == 10_000 and batch.price[:3].tolist() == [30_000, 30_001, 30_002]
    assert best < 0.025, f"{best * 1000:.1f} ms"  # a few ms here; generous for slow CI


@run
async def test_a_columnar_batch_is_booked_and_counted_once_per_request(tmp_path: Path) -> None:
    # 40,000 Wh of asks in one interval: P-1 exports 200 kW here (50,000 Wh in 15 minutes).
    roomy = CLUSTER.replace('max_export_kw = "8"', 'max_export_kw = "200"', 1)
    async with serve(tmp_path, cluster_text=roomy) as g:
        reply = await g.call(
            "POST", "/v1/orders/batch", "t-dom-1", ten_thousand_rows(), encoding=MSGPACK
        )
        assert reply.status == 201 and reply.body["order_ids"] == list(range(1, 10_001))
        sample = g.metrics.registry.get_sample_value
        assert sample("klaster_orders_total", {"side": "sell", "outcome": "accepted"}) == 10_000


@run
async def test_request_latency_is_labelled_by_route_template_never_by_raw_path(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        await g.call("POST", "/v1/orders", "t-dom-1", order())
        await g.call("GET", f"/v1/intervals/{START}", "t-dom-1")
        await g.call("DELETE", "/v1/orders/1", "t-dom-1")
        await g.call("DELETE", "/v1/orders/77", "t-dom-1")
        await g.call("GET", "/v1/nowhere", "t-dom-1")
        text = (await g.call("GET", "/metrics")).body.decode()
        sample = g.metrics.registry.get_sample_value
        count = "klaster_http_request_duration_seconds_count"
        labels = {"route": "/v1/intervals/{start}", "method": "GET", "status": "200"}
        assert sample(count, labels) == 1
        assert (
            sample(count, {"route": "/v1/orders/{order_id}", "method": "DELETE", "status": "404"})
            == 1
        )
        assert sample(count, {"route": "unmatched", "method": "GET", "status": "404"}) == 1
        assert str(START) not in text and "/v1/orders/77" not in text


@run
async def test_readyz_waits_for_the_ready_callable_and_healthz_always_answers(
    tmp_path: Path,
) -> None:
    warm = False
    async with serve(tmp_path, ready=lambda: warm) as g:
        head = {"seq": 2, "hash": g.runtime.head.hash.hex()}  # ClusterConfigured, ClusterChanged
        assert (await g.call("GET", "/healthz")).body == {"status": "ok", "journal": head}
        not_yet = await g.call("GET", "/readyz")
        assert not_yet.status == 503 and not_yet.body["type"].endswith("/not-ready")
        warm = True
        ready = await g.call("GET", "/readyz", accept=MSGPACK)
        assert ready.body == {"status": "ready", "journal": head}
        metrics = await g.call("GET", "/metrics")
        assert metrics.headers["Content-Type"].startswith("text/plain")


@run
async def test_healthz_publishes_the_durable_head_of_the_journal(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        placed = await g.call("POST", "/v1/orders", "t-dom-1", order())
        assert placed.status == 201  # acknowledged: durable
        health = (await g.call("GET", "/healthz")).body
        journal = g.runtime.node.journal
        with Journal.open(journal.path, read_only=True) as audit:
            last, checkpoint = audit.stored_head()
        assert last is not None and checkpoint == (last.seq, last.hash)
        assert health["journal"] == {"seq": last.seq, "hash": last.hash.hex()}
        assert last.seq == 3  # ClusterConfigured, ClusterChanged, the order


@run
async def test_open_streams_are_closed_when_the_app_shuts_down(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        async with serve(tmp_path) as g:
            headers = {"Authorization": "Bearer t-dom-1"}
            ws = await session.ws_connect(g.url + "/v1/stream", headers=headers)
            assert (await ws.receive_json())["type"] == "hello"
            assert g.metrics.registry.get_sample_value("klaster_websocket_streams") == 1
            reading = asyncio.create_task(ws.receive())  # a client listens, as clients do
        message = await asyncio.wait_for(reading, 5)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
        assert g.metrics.registry.get_sample_value("klaster_websocket_streams") == 0


def test_the_api_types_import_without_aiohttp() -> None:
    """engine.api is the engine's public surface for clients: no web server in it."""
    code = "import sys, engine.api, engine.api.openapi; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
