"""GET /v1/orders in pages on the real gateway: a request without parameters gets the first
page and a cursor, the cursor walks the rest, filters narrow it, and a bad cursor, limit or
status is a 422 naming the parameter that changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.gateway.test_refusals import problem, refused
from tests.gateway_support import START, Gateway, run, serve


async def book(g: Gateway, n: int, start: int = START) -> list[int]:
    """dom-1 sells ``n`` orders of 1 Wh into ``start`` (one columnar batch); their ids."""
    columns = {
        "interval_start": [start] * n,
        "connection_point": ["P-1"] * n,
        "side": ["sell"] * n,
        "price": ["300.00"] * n,
        "quantity_wh": [1] * n,
    }
    reply = await g.call("POST", "/v1/orders/batch", "t-dom-1", columns)
    assert reply.status == 201, reply.body
    return reply.body["order_ids"]


@run
async def test_a_request_without_parameters_gets_the_first_page_and_the_cursor_the_rest(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        ids = await book(g, 230)
        first = await g.call("GET", "/v1/orders", "t-dom-1")
        assert first.status == 200
        assert [o["order_id"] for o in first.body["orders"]] == ids[:100]
        assert first.body["next_cursor"] == ids[99]
        second = await g.call("GET", f"/v1/orders?cursor={ids[99]}&limit=1000", "t-dom-1")
        assert [o["order_id"] for o in second.body["orders"]] == ids[100:]
        assert second.body["next_cursor"] is None
        other = await g.call("GET", "/v1/orders", "t-dom-2")
        assert other.body == {"orders": [], "next_cursor": None}


@run
async def test_filters_by_interval_and_status_page_like_the_filtered_list(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        early, late = await book(g, 5), await book(g, 4, START + 900)
        for order_id in (early[1], late[0], late[3]):
            assert (await g.call("DELETE", f"/v1/orders/{order_id}", "t-dom-1")).status == 200
        query = f"/v1/orders?interval_start={START + 900}&status=active&limit=1"
        seen, cursor = [], 0
        while cursor is not None:
            reply = await g.call("GET", f"{query}&cursor={cursor}", "t-dom-1")
            seen += [(o["order_id"], o["status"]) for o in reply.body["orders"]]
            cursor = reply.body["next_cursor"]
        assert seen == [(late[1], "active"), (late[2], "active")]
        cancelled = await g.call("GET", "/v1/orders?status=cancelled", "t-dom-1")
        assert [o["order_id"] for o in cancelled.body["orders"]] == [early[1], late[0], late[3]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=-1", "cursor"),
        ("cursor=abc", "cursor"),
        ("cursor=9223372036854775808", "cursor"),
        ("status=open", "status"),
        ("interval_start=yesterday", "interval_start"),
    ],
)
@run
async def test_a_bad_page_parameter_is_a_422_naming_it(
    tmp_path: Path, query: str, field: str
) -> None:
    async with serve(tmp_path) as g:
        await book(g, 3)
        reply = await refused(g, "GET", f"/v1/orders?{query}", "t-dom-1")
        problem(reply, 422, "bad-value", field)
