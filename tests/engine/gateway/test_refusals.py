"""Every refusal of the gateway, on the real app over loopback: the status, the problem type
and field, and that the market is exactly as it was (seq and every member's orders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest

from engine.gateway import Limits
from tests.gateway_support import JSON, MSGPACK, START, START_ISO, Gateway, order, run, serve

PROBLEM = "application/problem+json"


def problem(reply: Any, status: int, slug: str, field: str | None = None) -> dict[str, Any]:
    """Assert ``reply`` is the problem ``slug`` with ``status`` (and ``field``)."""
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith(PROBLEM)
    body = reply.body
    assert body["type"] == f"https://klaster.invalid/problems/{slug}", body
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    return body


async def refused(g: Gateway, *args: Any, **kwargs: Any) -> Any:
    """Call, and check the market did not change."""
    before = g.snapshot()
    reply = await g.call(*args, **kwargs)
    assert g.snapshot() == before
    return reply


async def with_orders(g: Gateway) -> None:
    """dom-1 sells (order 1), dom-2 buys (order 2)."""
    assert (await g.call("POST", "/v1/orders", "t-dom-1", order())).status == 201
    buy = order(connection_point="P-2", side="buy", price=500)
    assert (await g.call("POST", "/v1/orders", "t-dom-2", buy)).status == 201


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/v1/orders/2", None),
        ("PATCH", "/v1/orders/2", {"price": 400}),
        ("DELETE", "/v1/orders/999", None),
        ("PATCH", "/v1/orders/999", {"price": 400}),
        ("DELETE", "/v1/orders/abc", None),
    ],
)
@run
async def test_another_members_order_is_not_found_like_a_missing_one(
    tmp_path: Path, method: str, path: str, body: Any
) -> None:
    async with serve(tmp_path) as g:
        await with_orders(g)
        reply = await refused(g, method, path, "t-dom-1", body)
        problem(reply, 404, "unknown-order")


@pytest.mark.parametrize(
    ("method", "path", "token", "body"),
    [
        ("POST", f"/v1/intervals/{START}/close", "t-dom-1", None),
        ("POST", f"/v1/intervals/{START}/close", "t-dso", None),
        ("POST", "/v1/price-bands", "t-dom-1", {"bands": []}),
        ("POST", "/v1/readings", "t-dom-1", {"readings": []}),
        ("GET", f"/v1/statements?from={START}&to={START + 900}&member=dom-2", "t-dom-1", None),
    ],
)
@run
async def test_members_are_refused_coordinator_and_dso_endpoints(
    tmp_path: Path, method: str, path: str, token: str, body: Any
) -> None:
    async with serve(tmp_path) as g:
        problem(await refused(g, method, path, token, body), 403, "role-forbidden")


@run
async def test_the_dso_cannot_trade(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        reply = await refused(g, "POST", "/v1/orders", "t-dso", order())
        problem(reply, 403, "role-forbidden", "member")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dC1kb20tMQ=="}],
)
@run
async def test_a_missing_or_unknown_token_is_401_with_a_bearer_challenge(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    async with serve(tmp_path) as g:
        before = g.snapshot()
        async with g.session.post(g.url + "/v1/orders", json=order(), headers=headers) as r:
            assert r.status == 401
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            assert (await r.json(content_type=PROBLEM))["type"].endswith("/unauthorized")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused_stream:
            await g.session.ws_connect(g.url + "/v1/stream", headers=headers)
        assert refused_stream.value.status == 401
        assert g.snapshot() == before


# --- bodies that do not decode -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"interval_start": ', JSON),
        (b"\xff\xfe", JSON),
        (b"[" * 100_000, JSON),
        (b"", JSON),
        (b"\xc1", MSGPACK),
        (b"\x92\x01", MSGPACK),  # an array of two, one element
        (msgpack.packb({1: 2}), MSGPACK),  # a map key that is not a string
        (msgpack.packb(order()) + b"\x00", MSGPACK),  # extra data
    ],
)
@run
async def test_a_malformed_body_is_400(tmp_path: Path, raw: bytes, content_type: str) -> None:
    async with serve(tmp_path) as g:
        reply = await refused(
            g, "POST", "/v1/orders", "t-dom-1", raw=raw, content_type=content_type
        )
        problem(reply, 400, "malformed-body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
@run
async def test_a_body_neither_json_nor_msgpack_is_415(tmp_path: Path, content_type: str) -> None:
    async with serve(tmp_path) as g:
        raw = b'{"side": "sell"}'
        reply = await refused(
            g, "POST", "/v1/orders", "t-dom-1", raw=raw, content_type=content_type
        )
        problem(reply, 415, "unsupported-media-type")


@run
async def test_an_accept_header_allowing_neither_encoding_is_406_before_anything_happens(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", order(), accept="text/html")
        problem(reply, 406, "not-acceptable")


@run
async def test_a_body_above_the_limit_is_413(tmp_path: Path) -> None:
    async with serve(tmp_path, limits=Limits(max_body_bytes=1024)) as g:
        rows = [order(client_order_id=f"c{i}") for i in range(50)]
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", rows)
        problem(reply, 413, "body-too-large")
        assert (await g.call("POST", "/v1/orders", "t-dom-1", order())).status == 201


# --- values the rules refuse ---------------------------------------------------------------

BAD_VALUES = [
    ("price", "NaN-literal", "bad-value"),
    ("price", float("inf"), "bad-value"),
    ("price", float("nan"), "bad-value"),
    ("price", True, "bad-value"),
    ("price", "abc", "bad-value"),
    ("price", "1e3", "bad-value"),
    ("price", None, "bad-value"),
    ("price", 1e30, "bad-value"),
    ("price", 10**40, "bad-value"),
    ("price", 300.001, "price-off-tick"),
    ("price", "300.005", "price-off-tick"),
    ("price", -5, "price-out-of-band"),
    ("price", 900.01, "price-out-of-band"),
    ("quantity_wh", 0, "bad-quantity"),
    ("quantity_wh", -5, "bad-quantity"),
    ("quantity_wh", 1.5, "bad-value"),
    ("quantity_wh", 1000.0, "bad-value"),
    ("quantity_wh", "1000", "bad-value"),
    ("quantity_wh", True, "bad-value"),
    ("quantity_wh", 2**70, "bad-value"),
    ("quantity_wh", 10**9, "quantity-above-limit"),
    ("side", "hold", "bad-value"),
    ("side", 1, "bad-value"),
    ("interval_start", START + 60, "bad-interval"),
    ("interval_start", "2026-01-01T01:00:00", "bad-value"),  # no offset
    ("interval_start", "tomorrow", "bad-value"),
    ("interval_start", -900, "bad-value"),
    ("interval_start", START + 86_400, "interval-not-open"),
    ("connection_point", "P-2", "unknown-connection-point"),  # dom-2's
    ("connection_point", "P-404", "unknown-connection-point"),
    ("connection_point", 1, "bad-value"),
    ("client_order_id", "", "bad-client-order-id"),
    ("client_order_id", "x" * 65, "bad-client-order-id"),
    ("client_order_id", 7, "bad-value"),
]


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@pytest.mark.parametrize(("field", "value", "slug"), BAD_VALUES)
@run
async def test_a_bad_value_is_refused_with_its_field(
    tmp_path: Path, encoding: str, field: str, value: Any, slug: str
) -> None:
    async with serve(tmp_path) as g:
        status = 409 if slug == "interval-not-open" else 422
        if value == "NaN-literal":
            if encoding == MSGPACK:
                return  # msgpack has no literals; its NaN float is the case after this one
            raw = b'{"interval_start": 1767229200, "connection_point": "P-1", "side": "sell",'
            raw += b' "price": NaN, "quantity_wh": 1000}'
            reply = await refused(g, "POST", "/v1/orders", "t-dom-1", raw=raw)
        else:
            if encoding == MSGPACK and isinstance(value, int) and value >= 2**64:
                value = 2**64 - 1  # the largest int msgpack can carry: still beyond int64
            body = order(**{field: value})
            if encoding == JSON and isinstance(value, float) and value != value:  # NaN
                raw = __import__("json").dumps(body).encode()  # Python writes NaN
                reply = await refused(g, "POST", "/v1/orders", "t-dom-1", raw=raw)
            else:
                reply = await refused(g, "POST", "/v1/orders", "t-dom-1", body, encoding=encoding)
        body = problem(reply, status, slug, field)
        if field == "connection_point" and slug == "unknown-connection-point":
            assert "dom-2" not in body["detail"]  # who owns a point does not leak


@run
async def test_unknown_and_missing_fields_are_422(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        typo = order()
        typo["quantity"] = typo.pop("quantity_wh")
        problem(
            await refused(g, "POST", "/v1/orders", "t-dom-1", typo), 422, "bad-value", "quantity_wh"
        )
        extra = order(colour="green")
        problem(
            await refused(g, "POST", "/v1/orders", "t-dom-1", extra), 422, "bad-value", "colour"
        )
        problem(await refused(g, "POST", "/v1/orders", "t-dom-1", "an order"), 422, "bad-value")
        problem(await refused(g, "POST", "/v1/orders", "t-dom-1", []), 422, "empty-batch")
        patch = await refused(g, "PATCH", "/v1/orders/1", "t-dom-1", {})
        problem(patch, 422, "bad-value", "price")


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@run
async def test_a_batch_with_bad_rows_lists_them_all_and_books_none(
    tmp_path: Path, encoding: str
) -> None:
    async with serve(tmp_path) as g:
        rows = [order(), order(price=-1), order(), order(quantity_wh=0, side="buy")]
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", rows, encoding=encoding)
        body = problem(reply, 422, "price-out-of-band", "price")
        assert body["bad_rows"] == 2
        assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
            (1, "price", "price-out-of-band"),
            (3, "quantity_wh", "bad-quantity"),
        ]
        columns = {
            "interval_start": [START] * 3,
            "connection_point": ["P-1", "P-1", "P-1"],
            "side": ["sell", "sell", "sell"],
            "price": [300.0, 300.001, float("nan")],
            "quantity_wh": [1000, 1000, 1000],
        }
        if encoding == JSON:
            columns["price"] = [300, 300.001, "NaN"]  # JSON has no NaN: a string that is none
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", columns, encoding=encoding)
        body = problem(reply, 422, "price-off-tick", "price")
        assert [(e["row"], e["code"]) for e in body["errors"]] == [
            (1, "price-off-tick"),
            (2, "bad-value"),
        ]
        short = dict(columns, quantity_wh=[1000])
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", short, encoding=encoding)
        problem(reply, 422, "bad-value", "quantity_wh")
        foreign = dict(columns, price=[300, 301, 302], connection_point=["P-1", "P-2", "P-1"])
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", foreign, encoding=encoding)
        body = problem(reply, 422, "unknown-connection-point", "connection_point")
        assert body["errors"][0]["row"] == 1 and "dom-2" not in str(body)


# --- the market's state ------------------------------------------------------------------


@run
async def test_orders_for_a_closed_interval_are_409_whether_the_clock_or_the_coordinator_closed_it(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        await with_orders(g)
        early = START + 900
        assert (await g.call("POST", f"/v1/intervals/{early}/close", "t-oke")).status == 200
        late = order(interval_start=early)
        problem(await refused(g, "POST", "/v1/orders", "t-dom-1", late), 409, "interval-not-open")
        again = await refused(g, "POST", f"/v1/intervals/{early}/close", "t-oke")
        problem(again, 409, "interval-not-open")
        g.at(START - 300)
        await g.call("GET", f"/v1/intervals/{START}", "t-oke")  # the gate closes (and clears)
        closed = await refused(g, "POST", "/v1/orders", "t-dom-1", order())
        problem(closed, 409, "interval-not-open")
        problem(await refused(g, "DELETE", "/v1/orders/1", "t-dom-1"), 409, "order-not-active")
        replace = await refused(g, "PATCH", "/v1/orders/1", "t-dom-1", {"price": 310})
        problem(replace, 409, "order-not-active")
        bands = {"bands": [{"interval_start": START_ISO, "floor": 1, "cap": 2}]}
        problem(
            await refused(g, "POST", "/v1/price-bands", "t-oke", bands), 409, "interval-not-open"
        )


@run
async def test_readings_before_delivery_are_409_and_unknown_points_422(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        reading = {
            "interval_start": START,
            "connection_point": "P-1",
            "import_wh": 1,
            "export_wh": 0,
        }
        early = await refused(g, "POST", "/v1/readings", "t-dso", {"readings": [reading]})
        problem(early, 409, "interval-not-delivered")
        g.at(START + 900)
        unknown = dict(reading, connection_point="P-404")
        reply = await refused(g, "POST", "/v1/readings", "t-dso", {"readings": [reading, unknown]})
        body = problem(reply, 422, "unknown-connection-point")
        assert body["errors"][0]["row"] == 1 and "P-404" in body["errors"][0]["detail"]


@run
async def test_a_client_order_id_reused_with_other_content_is_409_and_a_retry_is_200(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        first = await g.call("POST", "/v1/orders", "t-dom-1", order(client_order_id="a"))
        assert first.status == 201
        retry = await refused(g, "POST", "/v1/orders", "t-dom-1", order(client_order_id="a"))
        assert (retry.status, retry.body["order_id"]) == (200, first.body["order_id"])
        other = order(client_order_id="a", price="301.00")
        problem(
            await refused(g, "POST", "/v1/orders", "t-dom-1", other),
            409,
            "client-order-id-conflict",
        )
        in_batch = [order(client_order_id="b"), other]
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", in_batch)
        assert problem(reply, 409, "client-order-id-conflict")["errors"][0]["row"] == 1


@run
async def test_the_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    async with serve(tmp_path, limits=Limits(rate_per_s=0.5, burst=3)) as g:
        for _ in range(3):
            assert (await g.call("GET", "/v1/orders", "t-dom-1")).status == 200
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", order())
        problem(reply, 429, "rate-limited")
        assert int(reply.headers["Retry-After"]) >= 1
        # Another member has its own bucket; the probes have none.
        assert (await g.call("GET", "/v1/orders", "t-dom-2")).status == 200
        assert (await g.call("GET", "/healthz")).status == 200


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        ("/v1/nothing", 404, "not-found"),
        ("/v1/intervals/2026-01-01T01:01:00Z", 404, "not-found"),
        ("/v1/intervals/yesterday/depth", 404, "not-found"),
        ("/v1/statements?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 422, "bad-value"),
        ("/v1/statements?to=2026-01-01T00:00:00Z", 422, "bad-value"),
        ("/v1/kpis?from=0&to=99999999999", 422, "bad-value"),
        ("/v1/intervals?count=0", 422, "bad-value"),
        ("/v1/stream?format=xml", 422, "bad-value"),
    ],
)
@run
async def test_bad_paths_and_queries(tmp_path: Path, path: str, status: int, slug: str) -> None:
    async with serve(tmp_path) as g:
        problem(await refused(g, "GET", path, "t-dom-1"), status, slug)


@run
async def test_a_wrong_method_is_405_with_allow(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        reply = await refused(g, "PUT", "/v1/orders", "t-dom-1", order())
        problem(reply, 405, "method-not-allowed")
        assert "POST" in reply.headers["Allow"]
