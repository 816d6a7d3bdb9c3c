"""The full day of an interval through the real gateway on loopback, in JSON and in msgpack:
orders (one, a list, columns), depth and the indicative price, replace and cancel, the
stream, gate closure driven by the simulated clock, trades, readings, statements, KPIs,
and a restart that replays every acknowledged order."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import msgpack
import pytest

from engine.config.cluster import parse_cluster
from engine.market.recovery import open_market
from engine.store.journal import Journal
from tests.gateway_support import (
    CLUSTER,
    JSON,
    MSGPACK,
    START,
    START_ISO,
    Gateway,
    order,
    run,
    serve,
)

DELIVERED = START + 900


async def next_messages(ws, binary: bool, wanted: set[str], timeout: float = 10.0) -> list[dict]:
    """Read stream messages until one of each wanted type has arrived."""
    seen: list[dict] = []
    async with asyncio.timeout(timeout):
        while not wanted <= {m["type"] for m in seen}:
            frame = await ws.receive()
            seen.append(msgpack.unpackb(frame.data) if binary else json.loads(frame.data))
    return seen


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@run
async def test_an_interval_from_orders_to_statement_in_each_encoding(
    tmp_path: Path, encoding: str
) -> None:
    async with serve(tmp_path) as g:
        binary = encoding == MSGPACK

        async def call(method: str, path: str, token: str, body=None):  # noqa: ANN001, ANN202
            return await g.call(method, path, token, body, encoding=encoding)

        # Orders: one (with a client id), a list, and a columnar batch.
        sell = await call(
            "POST", "/v1/orders", "t-dom-1", order(quantity_wh=2000, client_order_id="s1")
        )
        assert (sell.status, sell.body) == (201, {"order_id": 1, "client_order_id": "s1"})
        buys = await call(
            "POST",
            "/v1/orders",
            "t-dom-2",
            [
                order(connection_point="P-2", side="buy", price=500, quantity_wh=2000),
                order(connection_point="P-2", side="buy", price=260.5, quantity_wh=500),
            ],
        )
        assert (buys.status, buys.body) == (201, {"order_ids": [2, 3]})
        columns = {
            "interval_start": [START, START_ISO],
            "connection_point": ["P-OKE", "P-OKE"],
            "side": ["sell", "buy"],
            "price": [800.0, "251.00"],
            "quantity_wh": [1000, 100],
        }
        batch = await call("POST", "/v1/orders/batch", "t-oke", columns)
        assert (batch.status, batch.body) == (201, {"order_ids": [4, 5]})
        retry = await call(
            "POST", "/v1/orders", "t-dom-1", order(quantity_wh=2000, client_order_id="s1")
        )
        assert (retry.status, retry.body["order_id"]) == (200, 1)

        depth = await call("GET", f"/v1/intervals/{START_ISO}/depth", "t-dom-1")
        assert depth.body["bids"] == [
            {"price": "500.00", "quantity_wh": 2000},
            {"price": "260.50", "quantity_wh": 500},
            {"price": "251.00", "quantity_wh": 100},
        ]
        assert depth.body["asks"] == [
            {"price": "300.00", "quantity_wh": 2000},
            {"price": "800.00", "quantity_wh": 1000},
        ]
        interval = await call("GET", f"/v1/intervals/{START}", "t-dom-2")
        assert interval.body["state"] == "open"
        assert interval.body["indicative"] == {"volume_wh": 2000, "price": "400.00"}
        assert interval.body["result"] is None

        # Replace and cancel.
        replaced = await call("PATCH", "/v1/orders/3", "t-dom-2", {"quantity_wh": 400})
        assert (replaced.status, replaced.body) == (200, {"order_id": 6, "replaced_order_id": 3})
        cancelled = await call("DELETE", "/v1/orders/4", "t-oke")
        assert (cancelled.status, cancelled.body) == (200, {"order_id": 4, "status": "cancelled"})

        # A stream for dom-1, then the clock passes the gate: the ticker clears the auction.
        fmt = "?format=msgpack" if binary else ""
        headers = {"Authorization": "Bearer t-dom-1"}
        async with g.session.ws_connect(g.url + "/v1/stream" + fmt, headers=headers) as ws:
            hello = await next_messages(ws, binary, {"hello"})
            assert hello[0]["member"] == "dom-1"
            g.at(START - 300)
            messages = await next_messages(ws, binary, {"interval", "fill"})
        cleared = next(m for m in messages if m["type"] == "interval")
        assert cleared["interval_start"] == START_ISO and cleared["state"] == "cleared"
        assert cleared["result"]["volume_wh"] == 2000 and cleared["result"]["price"] == "400.00"
        assert cleared["result"]["best_unfilled_bid"] == "260.50"
        fills = [m for m in messages if m["type"] == "fill"]
        assert fills == [
            {
                "type": "fill",
                "interval_start": START_ISO,
                "phase": "auction",
                "order_id": 1,
                "side": "sell",
                "quantity_wh": 2000,
                "price": "400.00",
            }
        ]

        result = (await call("GET", f"/v1/intervals/{START}", "t-dom-1")).body
        assert result["state"] == "cleared"
        assert result["result"] == {
            "mechanism": "uniform",
            "volume_wh": 2000,
            "price": "400.00",
            "buyer_price": "400.00",
            "seller_price": "400.00",
            "best_unfilled_bid": "260.50",  # the bids below the price, left unfilled
            "best_unfilled_ask": None,  # the one ask left filled completely
            "indicative_price": None,  # only when nothing traded
        }
        own = await call("GET", f"/v1/intervals/{START}/trades", "t-dom-2")
        assert own.body["trades"] == [
            {
                "phase": "auction",
                "order_id": 2,
                "side": "buy",
                "quantity_wh": 2000,
                "price": "400.00",
            }
        ]
        everything = await call("GET", f"/v1/intervals/{START}/trades", "t-oke")
        assert [(t["buyer"], t["seller"], t["quantity_wh"]) for t in everything.body["trades"]] == [
            ("dom-2", "dom-1", 2000)
        ]
        mine = await call("GET", f"/v1/orders?interval_start={START}", "t-dom-2")
        assert [(o["order_id"], o["status"], o["filled_wh"]) for o in mine.body["orders"]] == [
            (2, "cleared", 2000),
            (3, "cancelled", 0),
            (6, "cleared", 0),
        ]
        own = await call("GET", f"/v1/orders?interval_start={START}", "t-dom-1")
        assert [(o["order_id"], o["client_order_id"]) for o in own.body["orders"]] == [(1, "s1")]

        # Delivery, readings from the dso, statements and KPIs.
        g.at(DELIVERED)
        readings = await call(
            "POST",
            "/v1/readings",
            "t-dso",
            {
                "readings": [
                    {
                        "interval_start": START_ISO,
                        "connection_point": "P-1",
                        "import_wh": 0,
                        "export_wh": 2000,
                    },
                    {
                        "interval_start": START,
                        "connection_point": "P-2",
                        "import_wh": 2500,
                        "export_wh": 0,
                    },
                    {
                        "interval_start": START,
                        "connection_point": "P-OKE",
                        "import_wh": 100,
                        "export_wh": 0,
                    },
                ]
            },
        )
        assert readings.status == 200
        assert readings.body == {
            "recorded": 3,
            "intervals": [{"interval_start": START_ISO, "state": "settled"}],
        }

        period = f"from={START_ISO}&to={DELIVERED}"
        seller = (await call("GET", f"/v1/statements?{period}", "t-dom-1")).body
        assert seller["member"] == "dom-1" and seller["intervals"] == 1 and seller["pending"] == []
        # 2000 Wh sold at 400.00 PLN/MWh = 0.80 PLN; without the market 2000 Wh at the
        # floor 250.00 = 0.50 PLN: 30 grosz saved.
        assert (seller["sold_wh"], seller["sold_grosz"], seller["cost_grosz"]) == (2000, 80, -80)
        assert (seller["baseline_grosz"], seller["savings_grosz"]) == (-50, 30)
        # The statement names the journal's head it rests on: the readings' event is in it,
        # and the journal holds that hash at that seq (what a member who kept it can check).
        head = seller["journal"]
        with Journal.open(g.runtime.node.journal.path, read_only=True) as audit:
            stored = {e.seq: e.hash.hex() for e in audit.read() if e.seq >= head["seq"] - 1}
        assert head["seq"] == g.runtime.market.seq and stored[head["seq"]] == head["hash"]
        assert (await g.call("GET", "/healthz")).body["journal"] == head
        buyer = (await call("GET", f"/v1/statements?{period}&member=dom-2", "t-oke")).body
        # 2000 Wh at 400.00 + fee 45.00 on 2000 Wh + 500 Wh short at the cap 900.00.
        assert (buyer["bought_grosz"], buyer["fee_grosz"], buyer["shortfall_grosz"]) == (80, 9, 45)
        assert (buyer["cost_grosz"], buyer["baseline_grosz"], buyer["savings_grosz"]) == (
            134,
            225,
            91,
        )
        # The bill on dom-2's point's tariffs (none stated: G11 at 330.00, 24.00 a month,
        # the supplier at the cap): 2000 Wh local at 400.00 = 80, 500 Wh at 900.00 = 45,
        # distribution on all 2500 Wh taken = 82.5 -> 82, 15 minutes of January's fixed
        # 24.00 = 0.81 -> 1, excise 2500 Wh x 5.00 = 1.25 -> 1: net 209, VAT 48.07 -> 48.
        # Without the market: 2500 Wh x 900.00 = 225 + 82 + 1 + 1 = 309, VAT 71: saving 123.
        lines = {line["kind"]: line["grosz"] for line in buyer["bill"]["lines"]}
        assert lines == {
            "local_bought": 80, "local_sold": 0, "shared_in": 0, "shared_out": 0,
            "supplier_energy": 45, "export_credit": 0,
            "distribution_variable": 82, "cluster_discount": 0, "distribution_fixed": 1,
            "excise": 1,
        }  # fmt: skip
        assert [buyer["bill"][k] for k in ("net_grosz", "vat_grosz", "gross_grosz")] == [
            209, 48, 257,
        ]  # fmt: skip
        assert (buyer["baseline"]["gross_grosz"], buyer["saving_grosz"]) == (380, 123)
        assert [p["point"] for p in buyer["points"]] == ["P-2"]
        page = (await call("GET", f"/v1/statements/members?{period}&limit=2", "t-oke")).body
        assert [s["member"] for s in page["statements"]] == ["oke", "dom-1"]
        rest = f"/v1/statements/members?{period}&cursor={page['next_cursor']}"
        last = (await call("GET", rest, "t-oke")).body
        assert [s["member"] for s in last["statements"]] == ["dom-2", "tauron"]
        assert last["next_cursor"] is None and last["statements"][0] == buyer
        refused = await call("GET", f"/v1/statements/members?{period}", "t-dom-1")
        assert refused.status == 403
        kpis = (await call("GET", f"/v1/kpis?{period}", "t-dom-2")).body
        assert (kpis["intervals"], kpis["traded_wh"], kpis["import_wh"]) == (1, 2000, 2600)
        # 2000 Wh of the 2600 imported were covered inside; 600 Wh crossed the boundary.
        assert kpis["import_covered_locally"] == "0.769231"
        assert (kpis["boundary_import_wh"], kpis["boundary_export_wh"]) == (600, 0)
        # No point of the test cluster states its source: nothing counts as renewable.
        assert (kpis["renewable_export_wh"], kpis["renewable_used_locally"]) == (0, None)
        assert kpis["average_buyer_price"] == "400.0000"
        settled = await call("GET", f"/v1/intervals/{START}", "t-dom-1")
        assert settled.body["state"] == "settled" and settled.body["missing_readings"] == 0
        before = [g.runtime.market.orders(m) for m in ("oke", "dom-1", "dom-2")]

    # Everything acknowledged is in the journal: a restart replays to the same books.
    node = open_market(tmp_path, parse_cluster(CLUSTER))
    try:
        assert [node.market.orders(m) for m in ("oke", "dom-1", "dom-2")] == before
        assert node.market.result(START).clearing.volume == 2000
    finally:
        node.close()


@run
async def test_the_coordinator_publishes_a_band_that_orders_and_settlement_then_use(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        bands = {"bands": [{"interval_start": START_ISO, "floor": "200.00", "cap": 1000}]}
        published = await g.call("POST", "/v1/price-bands", "t-oke", bands)
        assert published.status == 200
        assert published.body["bands"] == [
            {"interval_start": START_ISO, "floor": "200.00", "cap": "1000.00"}
        ]
        interval = await g.call("GET", f"/v1/intervals/{START}", "t-dom-1")
        assert (interval.body["floor"], interval.body["cap"]) == ("200.00", "1000.00")
        # 950.00 was above the cluster's cap (900.00) and is inside the published band.
        accepted = await g.call(
            "POST", "/v1/orders", "t-dom-2", order(connection_point="P-2", side="buy", price=950)
        )
        assert accepted.status == 201
        other = await g.call(
            "POST",
            "/v1/orders",
            "t-dom-2",
            order(connection_point="P-2", side="buy", price=950, interval_start=START + 900),
        )
        assert other.status == 422 and other.body["type"].endswith("/price-out-of-band")
        g.at(START - 300)
        late = await g.call("POST", "/v1/price-bands", "t-oke", bands)
        assert late.status == 409 and late.body["errors"][0]["code"] == "interval-not-open"

    node = open_market(tmp_path, parse_cluster(CLUSTER))  # the band is replayed
    try:
        assert node.market.band(START) == (20_000, 100_000)
        assert node.market.band(START + 900) == (25_000, 90_000)
    finally:
        node.close()


async def _stream_gets_fills(g: Gateway, query: str) -> list[dict]:
    headers = {"Authorization": "Bearer t-dom-2"}
    binary = "msgpack" in query
    async with g.session.ws_connect(g.url + "/v1/stream" + query, headers=headers) as ws:
        await next_messages(ws, binary, {"hello"})
        close = await g.call("POST", f"/v1/intervals/{START}/close", "t-oke")
        assert close.status == 200 and close.body["result"]["volume_wh"] == 1000
        messages = await next_messages(ws, binary, {"interval", "fill"})
    return messages


@pytest.mark.parametrize("query", ["", "?format=msgpack"])
@run
async def test_a_stream_delivers_an_early_clearing_and_only_own_fills(
    tmp_path: Path, query: str
) -> None:
    async with serve(tmp_path) as g:
        await g.call("POST", "/v1/orders", "t-dom-1", order())
        await g.call(
            "POST", "/v1/orders", "t-dom-2", order(connection_point="P-2", side="buy", price=500)
        )
        messages = await _stream_gets_fills(g, query)
        fills = [m for m in messages if m["type"] == "fill"]
        assert [(f["order_id"], f["side"], f["quantity_wh"]) for f in fills] == [(2, "buy", 1000)]
        for _ in range(100):  # the handler's cleanup runs once the close is through
            if g.metrics.registry.get_sample_value("klaster_websocket_streams") == 0:
                break
            await asyncio.sleep(0.01)
        assert g.metrics.registry.get_sample_value("klaster_websocket_streams") == 0


@run
async def test_continuous_trades_reach_the_stream_and_the_trades_of_both_members(
    tmp_path: Path,
) -> None:
    cluster = CLUSTER.replace("continuous_minutes = 0", "continuous_minutes = 10")
    async with serve(tmp_path, cluster_text=cluster) as g:
        await g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=1000))
        buy = order(connection_point="P-2", side="buy", price=500, quantity_wh=500)
        await g.call("POST", "/v1/orders", "t-dom-2", buy)
        headers = {"Authorization": "Bearer t-dom-1"}
        async with g.session.ws_connect(g.url + "/v1/stream", headers=headers) as ws:
            await next_messages(ws, False, {"hello"})
            g.at(START - 900)  # the auction gate: 5 + 10 minutes ahead
            auction = await next_messages(ws, False, {"interval", "fill"})
            assert [m["state"] for m in auction if m["type"] == "interval"] == ["continuous"]
            late = order(connection_point="P-2", side="buy", price=350, quantity_wh=300)
            assert (await g.call("POST", "/v1/orders", "t-dom-2", late)).status == 201
            continuous = await next_messages(ws, False, {"fill"})
        assert continuous[-1] == {
            "type": "fill",
            "interval_start": START_ISO,
            "phase": "continuous",
            "order_id": 1,
            "side": "sell",
            "quantity_wh": 300,
            "price": "300.00",  # the resting order's price
        }
        trades = (await g.call("GET", f"/v1/intervals/{START}/trades", "t-dom-2")).body["trades"]
        assert [(t["phase"], t["order_id"], t["quantity_wh"]) for t in trades] == [
            ("auction", 2, 500),
            ("continuous", 3, 300),
        ]


@run
async def test_a_retry_answers_200_even_while_other_orders_are_booked_meanwhile(
    tmp_path: Path,
) -> None:
    """Issue 10, finding 5: the status of a retried order comes from the market's answer,
    not from the journal moving while the retry waited for durability."""
    async with serve(tmp_path) as g:
        first = await g.call("POST", "/v1/orders", "t-dom-1", order(client_order_id="r1"))
        assert first.status == 201
        for _ in range(5):
            others = [
                g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=1 + i % 10))
                for i in range(20)
            ]
            retry = g.call("POST", "/v1/orders", "t-dom-1", order(client_order_id="r1"))
            batch = g.call("POST", "/v1/orders", "t-dom-1", [order(client_order_id="r1")])
            # In the middle: the retry waits for the commit of orders booked before it while
            # those after it are booked.
            replies = await asyncio.gather(*others[:10], retry, batch, *others[10:])
            again, again_batch = replies[10:12]
            booked = replies[:10] + replies[12:]
            assert {b.status for b in booked} == {201}
            assert (again.status, again.body["order_id"]) == (200, 1)
            assert again_batch.status == 200
