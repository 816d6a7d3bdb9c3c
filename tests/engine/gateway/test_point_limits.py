"""Over HTTP, on the real app over loopback: an order its connection point cannot deliver
beside its other orders of the interval is a 422 problem naming the limit and what is
booked, for a single order, a batch (every row beyond it listed) and a replace; nothing is
booked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.gateway.test_refusals import problem, refused
from tests.gateway_support import JSON, MSGPACK, START_ISO, order, run, serve

# P-1 (dom-1) exports at most 8 kW: 2,000 Wh in a 15-minute interval.
LIMIT = (
    f"connection point P-1 may export 2000 Wh in interval {START_ISO}; "
    "{booked} Wh are already offered or sold{earlier}, this order asks {asks} Wh"
)


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@run
async def test_an_order_beyond_what_the_point_can_still_export_is_a_422_naming_the_limit(
    tmp_path: Path, encoding: str
) -> None:
    async with serve(tmp_path) as g:
        first = await g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=1300))
        assert first.status == 201
        reply = await refused(
            g, "POST", "/v1/orders", "t-dom-1", order(quantity_wh=701), encoding=encoding
        )
        body = problem(reply, 422, "above-interval-limit", "quantity_wh")
        assert body["detail"] == LIMIT.format(booked=1300, earlier="", asks=701)
        rows = [order(quantity_wh=500), order(quantity_wh=200), order(quantity_wh=1)]
        reply = await refused(g, "POST", "/v1/orders", "t-dom-1", rows, encoding=encoding)
        body = problem(reply, 422, "above-interval-limit", "quantity_wh")
        earlier = " and 700 Wh asks in earlier rows of this batch"
        assert body["bad_rows"] == 1
        assert body["errors"] == [
            {
                "row": 2,
                "field": "quantity_wh",
                "code": "above-interval-limit",
                "detail": LIMIT.format(booked=1300, earlier=earlier, asks=1),
            }
        ]
        patch = await refused(g, "PATCH", "/v1/orders/1", "t-dom-1", {"quantity_wh": 2001})
        problem(patch, 422, "quantity-above-limit", "quantity_wh")  # alone above the limit
        second = await g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=700))
        assert second.status == 201  # exactly the limit
        patch = await refused(g, "PATCH", "/v1/orders/1", "t-dom-1", {"quantity_wh": 1301})
        body = problem(patch, 422, "above-interval-limit", "quantity_wh")
        assert "700 Wh are already offered or sold besides the order replaced" in body["detail"]
        assert (await g.call("DELETE", "/v1/orders/2", "t-dom-1")).status == 200
        third = await g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=700))
        assert third.status == 201  # the cancel freed its 700 Wh
