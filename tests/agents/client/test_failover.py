"""The SDK with several base URLs: it moves on from a standby's 503 ``not-leader`` and,
for a request safe to repeat, from a server it cannot reach, and never resends an order
without a ``client_order_id`` after a lost connection (the real standby answers are
``engine.gateway.standby``'s; the leader is the real gateway on loopback)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agents.client.sdk import KlasterClient, KlasterError
from engine.gateway.standby import standby_app
from engine.store.chain import EMPTY_HEAD
from tests.gateway_support import START, run, serve


@asynccontextmanager
async def a_standby() -> AsyncIterator[str]:
    """A standby's answers on a loopback port; yields its URL."""
    app = standby_app("zywiec", lambda: EMPTY_HEAD, lambda: "klaster writer of zywiec (test)")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def a_closed_port() -> str:
    """The URL of a loopback port nobody listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@run
async def test_a_standby_sends_the_client_on_to_the_leader(tmp_path: Path) -> None:
    async with serve(tmp_path) as g, a_standby() as standby:
        client = KlasterClient([standby, g.url], "t-dom-1", codec="json")
        async with client:
            ack = await client.submit_order(START, "P-1", "sell", "300", 100)  # no client id
            assert ack.order_id == 1 and not ack.duplicate
            assert client.base_url == g.url  # it stays with the one that answered
            assert [o.order_id for o in await client.orders(START)] == [1]


@run
async def test_a_lost_server_is_skipped_for_repeatable_requests_only(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        dead = a_closed_port()
        async with KlasterClient([dead, g.url], "t-dom-1") as client:
            with pytest.raises(aiohttp.ClientConnectionError):  # may have been booked: raise
                await client.submit_order(START, "P-1", "sell", "300", 100)
            assert client.base_url == dead
            ack = await client.submit_order(START, "P-1", "sell", "300", 100, "o-1")
            assert (ack.order_id, ack.duplicate) == (1, False)
        async with KlasterClient([dead, g.url], "t-dom-1") as client:
            me = await client.me()  # a GET is safe to repeat
            assert me.member_id == "dom-1" and client.base_url == g.url
            again = await client.submit_order(START, "P-1", "sell", "300", 100, "o-1")
            assert (again.order_id, again.duplicate) == (1, True)  # booked once


@run
async def test_only_standbys_give_up_after_failover_seconds_with_the_problem() -> None:
    async with a_standby() as one, a_standby() as two:
        client = KlasterClient([one, two], "t-dom-1", failover_seconds=0.3)
        async with client:
            with pytest.raises(KlasterError) as refused:
                await client.submit_order(START, "P-1", "sell", "300", 100, "o-1")
    assert refused.value.status == 503 and refused.value.code == "not-leader"


def test_no_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one base URL"):
        KlasterClient([], "t")
