"""Fault injection: the journal's disk fills up under a real gateway on loopback.

SQLite is told it may not grow the journal file by another page (``PRAGMA max_page_count``:
its own "database or disk is full", raised from inside the group commit's write, exactly as
on a full disk). Orders keep arriving in concurrent waves. The request whose change could
not be written gets 503 ``journal-failed`` (problem+json, Retry-After), so does every one
after it, reads included (the market's memory holds orders the disk does not), the probes
say so, open streams are closed (1011), the runtime stops without raising, and a restart on
the same directory holds exactly the orders that were acknowledged (201) and none of the
refused ones."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType

from engine.api.live import StreamClose
from engine.store.journal import Journal
from tests.gateway_support import START, Gateway, Reply, order, run, serve

PROBLEM = "application/problem+json"
WAVE = 16  # orders sent at once: a group commit takes several of them


def journal_failed(reply: Reply) -> None:
    assert reply.status == 503, (reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith(PROBLEM)
    assert reply.body["type"] == "https://klaster.invalid/problems/journal-failed", reply.body
    assert int(reply.headers["Retry-After"]) > 0


async def wave(g: Gateway, first: int) -> dict[str, Reply]:
    """WAVE sell orders of dom-1 at once, by client order id."""
    ids = [f"o{n}" for n in range(first, first + WAVE)]
    orders = [order(client_order_id=c, quantity_wh=10) for c in ids]
    replies = await asyncio.gather(*(g.call("POST", "/v1/orders", "t-dom-1", o) for o in orders))
    return dict(zip(ids, replies, strict=True))


def fill_the_disk(g: Gateway) -> None:
    """From now on SQLite may not grow the journal file: the next page it needs fails."""
    # A private handle on purpose: the fault is injected into the real writer connection.
    conn = g.runtime.node.journal._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0] == pages


@run
async def test_a_full_disk_is_503_acknowledges_nothing_more_and_a_restart_holds_what_was(
    tmp_path: Path,
) -> None:
    acknowledged: dict[str, int] = {}  # client order id -> order id, for every 201
    refused: list[str] = []
    async with serve(tmp_path) as g:
        headers = {"Authorization": "Bearer t-dom-1"}
        stream = await g.session.ws_connect(g.url + "/v1/stream", headers=headers)
        assert (await stream.receive_json())["type"] == "hello"
        for cid, reply in (await wave(g, 0)).items():
            assert reply.status == 201, reply.body
            acknowledged[cid] = reply.body["order_id"]

        fill_the_disk(g)
        sent = WAVE
        while not refused:
            assert sent < 100 * WAVE, "the journal never filled up"
            for cid, reply in (await wave(g, sent)).items():
                if reply.status == 201:
                    acknowledged[cid] = reply.body["order_id"]
                else:
                    journal_failed(reply)
                    refused.append(cid)
            sent += WAVE

        for args in (
            ("POST", "/v1/orders", "t-dom-1", order(client_order_id="after")),
            ("POST", "/v1/orders", "t-dom-1", order(client_order_id=refused[0], quantity_wh=10)),
            ("GET", "/v1/orders", "t-dom-1"),
            ("GET", f"/v1/intervals/{START}", "t-dom-1"),
            ("DELETE", "/v1/orders/1", "t-dom-1"),
            ("POST", f"/v1/intervals/{START}/close", "t-oke"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
        ):
            journal_failed(await g.call(*args))
        assert (await g.call("GET", "/v1/openapi.json")).status == 200
        assert b"klaster_" in (await g.call("GET", "/metrics", accept="*/*")).body
        closed = await stream.receive(timeout=10)
        assert (closed.type, closed.data) == (WSMsgType.CLOSE, StreamClose.JOURNAL_FAILED)
        with_failure = g.runtime.failure
    assert with_failure is not None and "full" in str(with_failure)

    with Journal.open(tmp_path / "journal.sqlite") as journal:
        report = journal.verify()
    assert report.ok and report.events == 2 + len(acknowledged)  # the configuration first
    async with serve(tmp_path) as again:
        listed = await again.call("GET", "/v1/orders", "t-dom-1")
        assert listed.status == 200
        held = {o["client_order_id"]: o["order_id"] for o in listed.body["orders"]}
        assert held == acknowledged
        assert not set(refused) & set(held)
        retried = await again.call(
            "POST", "/v1/orders", "t-dom-1", order(client_order_id=refused[0], quantity_wh=10)
        )
        assert retried.status == 201  # a refused order was never booked: its retry books it


@run
async def test_a_request_waiting_on_the_failed_commit_gets_503_not_500(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        fill_the_disk(g)
        body: Any = [order(client_order_id=f"b{n}", quantity_wh=1) for n in range(400)]
        reply = await g.call("POST", "/v1/orders", "t-dom-1", body)  # pages beyond the limit
        journal_failed(reply)
        journal_failed(await g.call("GET", "/v1/orders", "t-dom-2"))
    async with serve(tmp_path) as again:
        assert (await again.call("GET", "/v1/orders", "t-dom-1")).body["orders"] == []
