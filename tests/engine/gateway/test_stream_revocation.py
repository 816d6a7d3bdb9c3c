"""A revoked token reaches the streams it opened: they close with 4401 "token revoked or
expired" (the documented close code) within a second, and nobody else's stream does; first
in process, then ``klaster members revoke`` in another process against ``klaster serve``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import pytest

from engine.api import StreamClose
from engine.api.openapi import document
from tests.gateway_support import START, TOKENS, DictTokens, run, serve
from tests.serving import Server, an_open_interval, start_server, wait_ready

CLOSE_WAIT_S = 3.0  # generous: the gateway checks every 0.25 s and must close within 1 s
QUIET_S = 1.0  # how long a stream that must stay open is watched for a close


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def open_stream(
    session: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url + "/v1/stream", headers=bearer(token))
    assert (await ws.receive_json())["type"] == "hello"
    return ws


async def closed_for_a_revoked_token(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The next frame closes ``ws`` with the documented code and reason."""
    message = await asyncio.wait_for(ws.receive(), CLOSE_WAIT_S)
    assert message.type == aiohttp.WSMsgType.CLOSE, message
    assert message.data == StreamClose.TOKEN_REVOKED == 4401
    assert message.extra == "token revoked or expired"
    documented = document(with_metrics=True)["paths"]["/v1/stream"]["get"]
    assert documented["x-websocket-close-codes"]["4401"]["reason"] == message.extra


async def still_open(*streams: aiohttp.ClientWebSocketResponse) -> None:
    await asyncio.sleep(QUIET_S)  # several checks of the tokens go by
    for ws in streams:
        assert not ws.closed and ws.close_code is None


async def interval_message(ws: aiohttp.ClientWebSocketResponse) -> None:
    assert (await asyncio.wait_for(ws.receive_json(), CLOSE_WAIT_S))["type"] == "interval"


@run
async def test_a_stream_whose_token_goes_away_closes_with_4401_and_the_others_keep_listening(
    tmp_path: Path,
) -> None:
    tokens = DictTokens(dict(TOKENS))
    async with serve(tmp_path, tokens=tokens) as g:
        dom1 = await open_stream(g.session, g.url, "t-dom-1")
        dom2 = await open_stream(g.session, g.url, "t-dom-2")
        assert g.metrics.registry.get_sample_value("klaster_websocket_streams") == 2
        del tokens.tokens["t-dom-1"]
        await closed_for_a_revoked_token(dom1)
        await still_open(dom2)
        assert (await g.call("POST", f"/v1/intervals/{START}/close", "t-oke")).status == 200
        await interval_message(dom2)  # still hears the market
        assert g.metrics.registry.get_sample_value("klaster_websocket_streams") == 1
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await g.session.ws_connect(g.url + "/v1/stream", headers=bearer("t-dom-1"))
        assert refused.value.status == 401


async def revoke(data: Path, *args: str) -> None:
    """``klaster members revoke ARGS`` in its own process, as an operator would run it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine", "members", "revoke", *args, "--data", str(data),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


async def add_token(data: Path, member: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine", "members", "add", member, "--data", str(data),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    return stdout.decode().strip()


async def _revoke_while_streaming(server: Server, data: Path) -> None:
    first = server.tokens["dom-01"]
    second = await add_token(data, "dom-01")  # issued while the server runs
    async with aiohttp.ClientSession() as session:
        on_first = await open_stream(session, server.url, first)
        on_second = await open_stream(session, server.url, second)
        other_member = await open_stream(session, server.url, server.tokens["dom-02"])

        await revoke(data, "dom-01", f"--token-id={first[:8]}")  # an id may start with "-"
        await closed_for_a_revoked_token(on_first)
        await still_open(on_second, other_member)
        coordinator = server.tokens["oke"]
        async with session.post(
            f"{server.url}/v1/intervals/{an_open_interval()}/close", headers=bearer(coordinator)
        ) as closed:
            assert closed.status == 200
        await interval_message(on_second)
        await interval_message(other_member)

        await revoke(data, "dom-02")
        await closed_for_a_revoked_token(other_member)
        await still_open(on_second)
        await on_second.close()


@pytest.mark.slow
def test_klaster_members_revoke_in_another_process_closes_that_tokens_streams_at_once(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    try:
        wait_ready(server)
        asyncio.run(asyncio.wait_for(_revoke_while_streaming(server, data), 120))
    finally:
        assert server.stop() == 0, server.log.read_text()
