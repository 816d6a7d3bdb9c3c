"""Columnar batches whose int64 columns (``interval_start``, ``quantity_wh``) come as msgpack
``bin`` of raw little-endian int64: booked exactly like arrays; a bad bin column is a 422
problem naming the field, and nothing is booked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.client.sdk import KlasterClient
from engine.api.openapi import document
from tests.engine.gateway.test_refusals import problem, refused
from tests.gateway_support import MSGPACK, START, order, run, serve


def le(values: list[int]) -> bytes:
    return np.asarray(values, dtype="<i8").tobytes()


def columns(n: int = 3, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "interval_start": le([START] * n),
        "connection_point": ["P-1"] * n,
        "side": ["sell"] * n,
        "price": [300.0 + i for i in range(n)],
        "quantity_wh": le([200 + i for i in range(n)]),  # 9 fit P-1's 2,000 Wh
    }
    base.update(overrides)
    return base


@run
async def test_bin_columns_book_the_same_orders_as_arrays(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        as_bin = await g.call("POST", "/v1/orders/batch", "t-dom-1", columns(), encoding=MSGPACK)
        assert as_bin.status == 201 and as_bin.body["order_ids"] == [1, 2, 3]
        arrays = columns(interval_start=[START] * 3, quantity_wh=[200, 201, 202])
        as_arrays = await g.call("POST", "/v1/orders/batch", "t-dom-1", arrays, encoding=MSGPACK)
        assert as_arrays.status == 201 and as_arrays.body["order_ids"] == [4, 5, 6]
        mixed = columns(quantity_wh=[200, 201, 202])  # one bin column, one array
        reply = await g.call("POST", "/v1/orders/batch", "t-dom-1", mixed, encoding=MSGPACK)
        assert reply.status == 201 and reply.body["order_ids"] == [7, 8, 9]
        booked = g.runtime.market.orders("dom-1")
        content = [(o["interval_start"], o["price"], o["quantity"]) for o in booked]
        assert content[:3] == content[3:6] == content[6:]
        assert content[:3] == [(START, 30_000, 200), (START, 30_100, 201), (START, 30_200, 202)]


@run
async def test_a_bin_column_that_is_not_whole_int64_values_is_refused(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        for field in ("interval_start", "quantity_wh"):
            bad = columns(**{field: le([1000] * 3)[:-3]})  # 21 bytes
            reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", bad, encoding=MSGPACK)
            assert "8 bytes" in problem(reply, 422, "bad-value", field)["detail"]
        empty = columns(interval_start=b"")
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", empty, encoding=MSGPACK)
        problem(reply, 422, "empty-batch", "interval_start")


@run
async def test_bin_columns_must_have_as_many_rows_as_the_others(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        short = columns(quantity_wh=le([1000, 1001]))
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", short, encoding=MSGPACK)
        body = problem(reply, 422, "bad-value", "quantity_wh")
        assert "3 entries" in body["detail"] and "had 2" in body["detail"]
        long = columns(interval_start=le([START] * 4))  # the others have 3 rows
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", long, encoding=MSGPACK)
        problem(reply, 422, "bad-value", "connection_point")


@run
async def test_bin_is_only_for_int64_columns_and_bad_values_are_row_errors(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        for field in ("side", "price", "connection_point", "client_order_id"):
            bad = columns(**{field: le([1, 1, 1])})
            reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", bad, encoding=MSGPACK)
            problem(reply, 422, "bad-value", field)
        before_epoch = columns(interval_start=le([START, -5, START]))
        reply = await refused(
            g, "POST", "/v1/orders/batch", "t-dom-1", before_epoch, encoding=MSGPACK
        )
        body = problem(reply, 422, "bad-value", "interval_start")
        assert [(e["row"], e["field"]) for e in body["errors"]] == [(1, "interval_start")]
        zero = columns(quantity_wh=le([1000, 0, 1000]))  # the engine's rules, row by row
        reply = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", zero, encoding=MSGPACK)
        body = problem(reply, 422, "bad-quantity", "quantity_wh")
        assert body["bad_rows"] == 1 and body["errors"][0]["row"] == 1
        # A single order has no bin form: its fields are scalars.
        single = order(quantity_wh=le([1000]))
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", single, encoding=MSGPACK)
        problem(reply, 422, "bad-value", "quantity_wh")


def test_the_openapi_document_describes_bin_columns_for_msgpack_only() -> None:
    body = document(with_metrics=False)["paths"]["/v1/orders/batch"]["post"]["requestBody"]
    schemas = document(with_metrics=False)["components"]["schemas"]
    as_json = schemas[body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    as_msgpack = schemas[body["content"][MSGPACK]["schema"]["$ref"].rsplit("/", 1)[1]]
    for field in ("interval_start", "quantity_wh"):
        assert "oneOf" not in as_json["properties"][field]
        kinds = [s.get("type") for s in as_msgpack["properties"][field]["oneOf"]]
        assert kinds == ["array", "string"]


@pytest.mark.parametrize("codec", ["msgpack", "json"])
@run
async def test_the_client_sends_numpy_int_columns_as_bin_in_msgpack(
    tmp_path: Path, codec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    async with serve(tmp_path) as g, KlasterClient(g.url, "t-dom-1", codec=codec) as dom1:  # type: ignore[arg-type]
        request = dom1.request

        async def spy(
            method: str, path: str, body: Any = None, params: Any = None, **options: Any
        ) -> Any:
            sent.append(body)
            return await request(method, path, body, params, **options)

        monkeypatch.setattr(dom1, "request", spy)
        starts = np.full(3, START, dtype=np.int64)
        quantities = np.array([10, 20, 30], dtype=np.int32)
        ack = await dom1.submit_batch(starts, ["P-1"] * 3, ["sell"] * 3, ["330"] * 3, quantities)
        assert ack.order_ids == (1, 2, 3)
        ack = await dom1.submit_batch([START], ["P-1"], ["sell"], ["331"], [40])  # plain lists
        assert ack.order_ids == (4,)
    first = sent[0]
    if codec == "msgpack":
        assert first["interval_start"] == le([START] * 3) and first["quantity_wh"] == le(
            [10, 20, 30]
        )
    else:
        assert first["interval_start"] == [START] * 3 and first["quantity_wh"] == [10, 20, 30]
    assert sent[1]["quantity_wh"] == [40]
    booked = g.runtime.market.orders("dom-1")
    assert [o["quantity"] for o in booked] == [10, 20, 30, 40]
