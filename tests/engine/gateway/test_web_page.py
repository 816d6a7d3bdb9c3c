"""What the web page needs from the gateway, over loopback: ``GET /`` answers the page to a
browser and the API's index to a client, the page's files with their media types, ETags
and 304s, the auction's curves before and after the gate, the members list for the
coordinator only, the stream's ``book`` message, and a stream opened with the token as a
subprotocol (a browser cannot set Authorization on a WebSocket)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from engine.gateway.page import POLICY, files
from tests.engine.gateway.test_day import next_messages
from tests.gateway_support import START, START_ISO, order, run, serve

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@run
async def test_a_browser_gets_the_page_and_a_client_the_index(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        page = await g.call("GET", "/", accept=BROWSER)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        assert b'<script type="module" src="/web/app.js">' in page.body
        assert page.headers["Content-Security-Policy"] == POLICY
        for accept in ("*/*", "application/json", "text/html;q=0.5, application/json"):
            index = await g.call("GET", "/", accept=accept)
            assert index.status == 200 and index.body["openapi"] == "/v1/openapi.json", accept
        refused = await g.call("GET", "/", accept="image/png")
        assert refused.status == 406 and refused.body["type"].endswith("/not-acceptable")


@run
async def test_the_page_files_are_served_with_their_types_and_etags(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        served = files()
        assert {"index.html", "app.js", "style.css", "icon.svg"} <= set(served)
        for name, found in served.items():
            reply = await g.call("GET", f"/web/{name}")
            assert reply.status == 200 and reply.body == found.body, name
            assert reply.headers["Content-Type"].split(";")[0] == found.media
            assert reply.headers["ETag"] == found.etag
            headers = {"If-None-Match": found.etag}
            async with g.session.get(f"{g.url}/web/{name}", headers=headers) as again:
                assert again.status == 304
        for name in ("nothing.js", "..%2Fpage.py", "page.py"):
            missing = await g.call("GET", f"/web/{name}")
            assert missing.status == 404 and missing.body["type"].endswith("/not-found"), name


@run
async def test_the_book_shows_the_curves_while_open_and_as_cleared_after_the_gate(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        orders = [
            ("t-dom-1", order(price="300.00", quantity_wh=1000)),
            ("t-dom-1", order(price="320.00", quantity_wh=500)),
            ("t-dom-2", order(connection_point="P-2", side="buy", price="400.00", quantity_wh=800)),
        ]
        for token, body in orders:
            assert (await g.call("POST", "/v1/orders", token, body)).status == 201
        small = order(price="310.00", quantity_wh=1)
        cancelled = await g.call("POST", "/v1/orders", "t-dom-1", small)
        await g.call("DELETE", f"/v1/orders/{cancelled.body['order_id']}", "t-dom-1")
        book = await g.call("GET", f"/v1/intervals/{START_ISO}/book", "t-dom-1")
        assert book.status == 200
        expected = {
            "interval_start": START_ISO,
            "at_gate": False,
            "bids": [{"price": "400.00", "quantity_wh": 800}],
            "asks": [
                {"price": "300.00", "quantity_wh": 1000},
                {"price": "320.00", "quantity_wh": 500},
            ],
        }
        assert book.body == expected
        closed = await g.call("POST", f"/v1/intervals/{START}/close", "t-oke")
        assert closed.status == 200 and closed.body["result"]["volume_wh"] == 800
        after = await g.call("GET", f"/v1/intervals/{START_ISO}/book", "t-oke")
        assert after.body == expected | {"at_gate": True}  # the curves the result lies on
        depth = await g.call("GET", f"/v1/intervals/{START_ISO}/depth", "t-oke")
        assert depth.body["bids"] == [] and depth.body["asks"] == []  # nothing open any more
        not_a_start = await g.call("GET", "/v1/intervals/2026-01-01T01:07:00Z/book", "t-oke")
        assert not_a_start.status == 404


@run
async def test_only_the_coordinator_lists_the_members(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        listed = await g.call("GET", "/v1/members", "t-oke")
        assert listed.status == 200
        members = {m["member_id"]: m for m in listed.body["members"]}
        assert {"oke", "dom-1", "dom-2", "tauron"} <= set(members)
        assert members["tauron"]["connection_points"] == []
        point = members["dom-1"]["connection_points"][0]
        assert point["id"] == "P-1" and point["max_import_wh"] > 0
        me = await g.call("GET", "/v1/me", "t-dom-1")
        assert me.body["connection_points"] == members["dom-1"]["connection_points"]
        refused = await g.call("GET", "/v1/members", "t-dom-1")
        assert refused.status == 403 and refused.body["type"].endswith("/role-forbidden")


@run
async def test_the_stream_says_which_books_changed_at_most_once_a_second(tmp_path: Path) -> None:
    # The token as a subprotocol, as the page sends it; the answer names "klaster".
    protocols = ("klaster", "bearer.t-dom-2")
    async with (
        serve(tmp_path) as g,
        g.session.ws_connect(g.url + "/v1/stream", protocols=protocols) as ws,
    ):
        assert ws.protocol == "klaster"
        hello = await next_messages(ws, False, {"hello"})
        assert hello[0]["member"] == "dom-2"
        first = await g.call("POST", "/v1/orders", "t-dom-1", order(quantity_wh=10))
        for price in ("301.00", "302.00"):
            await g.call("POST", "/v1/orders", "t-dom-1", order(price=price, quantity_wh=10))
        books = await next_messages(ws, False, {"book"})
        assert books[-1] == {"type": "book", "intervals": [START_ISO]}
        await g.call("DELETE", f"/v1/orders/{first.body['order_id']}", "t-dom-1")
        again = await next_messages(ws, False, {"book"})
        assert again[-1]["intervals"] == [START_ISO]
        with pytest.raises(TimeoutError):  # nothing changed: nothing more is said
            await next_messages(ws, False, {"book"}, timeout=1.5)


@run
async def test_a_stream_with_a_bad_token_as_subprotocol_is_refused(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with g.session.ws_connect(
                g.url + "/v1/stream", protocols=("klaster", "bearer.nobody")
            ):
                pass
        assert refused.value.status == 401
        async with g.session.get(g.url + "/v1/stream") as plain:  # no token at all
            assert plain.status == 401
            assert json.loads(await plain.read())["type"].endswith("/unauthorized")
        await asyncio.sleep(0)
