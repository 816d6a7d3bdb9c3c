"""Over HTTP on loopback (issue 11): a change of configuration cancels the booked orders it
would refuse, not only those of members or points leaving: above a lowered point limit
(whole orders, in arrival order, as the acceptance check would have kept them) and outside
a changed price band. The member is told on its stream; a restart replays the same book."""

from __future__ import annotations

import asyncio
import copy
import json
import tomllib
from pathlib import Path

from tests.engine.gateway.test_cluster_changes import iso
from tests.gateway_support import CLUSTER, START, order, run, serve

L = 900
LATER = START + L  # an interval the change applies to
DOCUMENT = tomllib.loads(CLUSTER)


def tighter() -> dict:
    """P-1 exports at most 6 kW (1,500 Wh per interval, was 2,000); the cap is 600.00."""
    doc = copy.deepcopy(DOCUMENT)
    doc["members"][1]["connection_points"][0]["max_export_kw"] = "6"
    doc["prices"]["cap_pln_mwh"] = "600.00"
    return doc


async def statuses(g, token: str) -> dict[int, str]:
    reply = await g.call("GET", "/v1/orders?limit=1000", token)
    assert reply.status == 200, reply.body
    return {o["order_id"]: o["status"] for o in reply.body["orders"]}


@run
async def test_a_change_cancels_orders_above_a_lowered_limit_or_outside_the_new_band(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        booked = [
            ("t-dom-1", order(interval_start=iso(LATER), quantity_wh=1_000)),  # 1: fits
            ("t-dom-1", order(interval_start=iso(LATER), quantity_wh=600)),  # 2: 1,600 > 1,500
            ("t-dom-1", order(interval_start=iso(LATER), quantity_wh=300, price="800.00")),  # 3
            ("t-dom-1", order(interval_start=iso(LATER), quantity_wh=100)),  # 4: 1,100 fits
            ("t-dom-1", order(quantity_wh=1_900)),  # 5: before the change, kept
            ("t-dom-2", order(interval_start=iso(LATER), connection_point="P-2", side="buy")),
        ]
        for token, body in booked:
            assert (await g.call("POST", "/v1/orders", token, body)).status == 201
        ws = await g.session.ws_connect(
            g.url + "/v1/stream", headers={"Authorization": "Bearer t-dom-1"}
        )
        assert json.loads((await ws.receive()).data)["type"] == "hello"

        change = {"config": tighter(), "effective_from": iso(LATER)}
        done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
        assert done.status == 200, done.body
        assert done.body["cancelled"] == [2, 3]
        assert "2 orders the new configuration refuses are cancelled" in done.body["changes"][-1]
        told = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert told["type"] == "orders_cancelled" and told["order_ids"] == [2, 3]
        await ws.close()

        live = await statuses(g, "t-dom-1")
        assert live == {1: "active", 2: "cancelled", 3: "cancelled", 4: "active", 5: "active"}
        # The freed room is the new limit's: 1,100 booked, 400 more fit, 401 do not.
        more = order(interval_start=iso(LATER), quantity_wh=401)
        assert (await g.call("POST", "/v1/orders", "t-dom-1", more)).status == 422
        fits = order(interval_start=iso(LATER), quantity_wh=400)
        assert (await g.call("POST", "/v1/orders", "t-dom-1", fits)).status == 201
        live = await statuses(g, "t-dom-1")
        buyer = await statuses(g, "t-dom-2")
    # A restart replays the journal to the same book.
    async with serve(tmp_path) as g:
        assert await statuses(g, "t-dom-1") == live
        assert await statuses(g, "t-dom-2") == buyer == {6: "active"}
        again = order(interval_start=iso(LATER), quantity_wh=1)
        assert (await g.call("POST", "/v1/orders", "t-dom-1", again)).status == 422


@run
async def test_a_published_band_stays_in_force_over_a_change(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        high = order(interval_start=iso(LATER), price="800.00")
        assert (await g.call("POST", "/v1/orders", "t-dom-1", high)).status == 201
        bands = {"bands": [{"interval_start": iso(LATER), "floor": "250.00", "cap": "900.00"}]}
        published = await g.call("POST", "/v1/price-bands", "t-oke", bands)
        assert published.status == 200, published.body
        change = {"config": tighter(), "effective_from": iso(LATER)}
        done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
        assert done.status == 200 and done.body["cancelled"] == []
