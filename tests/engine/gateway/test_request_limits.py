"""Hostile and broken requests on a raw socket against the real gateway on loopback: bodies
too large (declared, chunked, actually sent), too slow, headers the HTTP parser refuses, and
Authorization bytes that are not ASCII. Each test says what the client sees (status, media
type) and whether the server let go of the connection, or kept draining (aiohttp's default
lingers 10 s) or waiting (forever) instead. Time bounds are generous: they tell "at once"
from "after 10 s" and "never", they are not benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.api.openapi import document
from engine.gateway import Limits
from engine.store.tokens import TokenStore
from tests.gateway_support import order, run, serve

PROBLEM = "application/problem+json"
WAIT_S = 8.0  # longest wait for an answer or for the server to close: < aiohttp's 10 s linger
AT_ONCE_S = 2.0  # an answer that did not wait for the body
CLOSED_SOON_S = 5.0  # the server let go of the connection (our linger: 1 s)
TIB = 1 << 40


@dataclass
class Exchange:
    """What the client saw of one request on its own connection."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    answered_s: float  # from sending the head to the answer's head arriving [s]
    closed_s: float | None  # ... to the server closing; None if it did not [s]

    def problem(self, status: int, slug: str) -> dict[str, object]:
        assert self.status == status, (self.status, self.body)
        assert self.headers["content-type"].startswith(PROBLEM)
        body = json.loads(self.body)
        assert body["type"].endswith(f"/{slug}") and body["status"] == status, body
        return body


def head(method: str, path: str, *lines: bytes) -> bytes:
    return b"\r\n".join([f"{method} {path} HTTP/1.1".encode(), b"Host: klaster", *lines, b"", b""])


async def exchange(
    url: str,
    request_head: bytes,
    chunks: Iterable[bytes] = (),
    pause_s: float = 0.0,
    close_wait_s: float = WAIT_S,
) -> Exchange:
    """Send ``request_head``, then ``chunks`` (``pause_s`` apart) without ever ending the body
    on our own; read the answer and wait up to ``close_wait_s`` for the server to close."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
                if pause_s:
                    await asyncio.sleep(pause_s)

    started = time.monotonic()
    writer.write(request_head)
    sending = asyncio.create_task(send())
    try:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
        except TimeoutError:
            raise AssertionError(f"no answer within {WAIT_S} s") from None
        answered = time.monotonic() - started
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in filter(None, lines):
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        closed: float | None = None
        with contextlib.suppress(TimeoutError):
            try:
                while await asyncio.wait_for(reader.read(65536), close_wait_s):
                    pass  # nothing more should come; read to EOF
            except ConnectionResetError:
                pass  # a reset is a close too
            closed = time.monotonic() - started
        return Exchange(int(status_line.split()[1]), headers, body, answered, closed)
    finally:
        sending.cancel()
        writer.close()


def assert_let_go(ex: Exchange) -> None:
    """Answered at once, said so (Connection: close), and closed soon after."""
    assert ex.answered_s < AT_ONCE_S, ex.answered_s
    assert ex.headers.get("connection", "").lower() == "close", ex.headers
    assert ex.closed_s is not None, f"the connection was still open after {WAIT_S} s"
    assert ex.closed_s < CLOSED_SOON_S, ex.closed_s


ORDER_HEAD = (b"Authorization: Bearer t-dom-1", b"Content-Type: application/json")


# --- bodies ----------------------------------------------------------------------------------


@run
async def test_a_declared_terabyte_with_no_body_is_413_at_once_and_the_connection_closed(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        before = g.snapshot()
        ex = await exchange(
            g.url, head("POST", "/v1/orders", *ORDER_HEAD, b"Content-Length: %d" % TIB)
        )
        body = ex.problem(413, "body-too-large")
        assert str(16 * 1024 * 1024) in str(body["detail"])
        assert_let_go(ex)
        assert g.snapshot() == before
        assert (await g.call("GET", "/v1/clock", "t-dom-1")).status == 200  # still serving


@run
async def test_a_50_mb_body_is_413_before_it_is_read_and_not_drained_for_10_s(
    tmp_path: Path,
) -> None:
    size = 50 * 1000 * 1000
    async with serve(tmp_path) as g:
        chunks = (b"x" * 1_000_000 for _ in range(size // 1_000_000))
        ex = await exchange(
            g.url, head("POST", "/v1/orders", *ORDER_HEAD, b"Content-Length: %d" % size), chunks
        )
        ex.problem(413, "body-too-large")
        assert_let_go(ex)


@run
async def test_a_chunked_body_is_read_up_to_the_limit_then_413_and_closed(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path, limits=Limits(max_body_bytes=1024)) as g:
        chunks = [b"100\r\n" + b"x" * 256 + b"\r\n"] * 16  # 4 KiB, and never the last chunk
        ex = await exchange(
            g.url,
            head("POST", "/v1/orders", *ORDER_HEAD, b"Transfer-Encoding: chunked"),
            chunks,
        )
        ex.problem(413, "body-too-large")
        assert_let_go(ex)


@run
async def test_a_body_trickling_in_is_408_once_its_time_is_up_and_the_connection_closed(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path, limits=Limits(body_seconds=0.5)) as g:
        before = g.snapshot()
        trickle = [b"{"] + [b" "] * 199  # 200 bytes, one every 0.1 s: 20 s in all
        ex = await exchange(
            g.url,
            head("POST", "/v1/orders", *ORDER_HEAD, b"Content-Length: 200"),
            trickle,
            pause_s=0.1,
        )
        body = ex.problem(408, "request-timeout")
        assert "0.5 s" in str(body["detail"])
        assert ex.headers["connection"].lower() == "close"
        assert ex.closed_s is not None and ex.closed_s < CLOSED_SOON_S
        assert g.snapshot() == before


@run
async def test_a_refusal_that_leaves_a_huge_body_unread_closes_instead_of_draining_10_s(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        ex = await exchange(
            g.url,
            head("POST", "/v1/orders", b"Content-Type: application/json",
                 b"Content-Length: %d" % TIB),
        )  # fmt: skip
        ex.problem(401, "unauthorized")
        assert ex.answered_s < AT_ONCE_S
        assert ex.closed_s is not None and ex.closed_s < CLOSED_SOON_S


@run
async def test_a_compressed_body_that_grows_above_the_limit_is_413(tmp_path: Path) -> None:
    # Declared within the limit and all of it arrived with the head: the limit still counts
    # the body as decompressed, as aiohttp's own reader counts it.
    async with serve(tmp_path, limits=Limits(max_body_bytes=4096)) as g:
        before = g.snapshot()
        grown = json.dumps({**order(), "padding": " " * 100_000}).encode()
        body = gzip.compress(grown)
        assert len(body) < 4096 < len(grown)
        lines = (b"Content-Encoding: gzip", b"Content-Length: %d" % len(body))
        ex = await exchange(g.url, head("POST", "/v1/orders", *ORDER_HEAD, *lines) + body)
        ex.problem(413, "body-too-large")
        assert_let_go(ex)
        assert g.snapshot() == before
        small = gzip.compress(json.dumps(order()).encode())
        lines = (b"Content-Encoding: gzip", b"Content-Length: %d" % len(small))
        ex = await exchange(
            g.url, head("POST", "/v1/orders", *ORDER_HEAD, *lines) + small, close_wait_s=0.2
        )
        assert ex.status == 201, ex.body


@run
async def test_a_body_within_the_limits_still_keeps_the_connection_alive(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        body = json.dumps(order()).encode()
        ex = await exchange(
            g.url,
            head("POST", "/v1/orders", *ORDER_HEAD, b"Content-Length: %d" % len(body)),
            [body],
            close_wait_s=1.5,  # longer than the linger
        )
        assert ex.status == 201, ex.body
        assert ex.headers.get("connection", "").lower() != "close"
        assert ex.closed_s is None  # kept alive for the next request


# --- headers the HTTP parser refuses -----------------------------------------------------------

PARSER_REFUSALS = [
    pytest.param(
        head("GET", "/v1/clock", b"Authorization: Bearer " + b"a" * 9000),
        id="a header line above 8190 bytes",
    ),
    pytest.param(
        head("GET", "/v1/clock", *(b"X-%d: 1" % i for i in range(200))),
        id="more than 128 headers",
    ),
    pytest.param(
        head("GET", "/v1/clock", b"Authorization: Bearer \x01"),
        id="a control character in Authorization",
    ),
    pytest.param(head("GET", "/v1/clock?" + "a" * 9000), id="a request line above 8190 bytes"),
]


@pytest.mark.parametrize("request_head", PARSER_REFUSALS)
@run
async def test_what_the_http_parser_refuses_is_400_text_plain_as_documented_and_the_server_stays(
    tmp_path: Path, request_head: bytes
) -> None:
    """aiohttp answers these before any of the app's code runs (no hook for the app to shape
    the answer: aio-libs/aiohttp#3287), so they are the one refusal that is not a problem."""
    assert "400 text/plain" in document(with_metrics=True)["info"]["description"]
    async with serve(tmp_path) as g:
        ex = await exchange(g.url, request_head)
        assert ex.status == 400 and ex.headers["content-type"].startswith("text/plain")
        assert ex.closed_s is not None and ex.closed_s < CLOSED_SOON_S
        assert (await g.call("GET", "/v1/clock", "t-dom-1")).status == 200


# --- Authorization bytes that pass the parser ------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [b"Bearer \xff\xfe", b"Bearer t-d\xc3\xa9", b"Bearer \xc3\xa9" * 20, b"\xff \xff"],
    ids=["invalid UTF-8", "UTF-8", "long UTF-8", "scheme not ASCII"],
)
@run
async def test_authorization_that_is_not_ascii_is_401_with_the_real_token_store(
    tmp_path: Path, credentials: bytes
) -> None:
    with TokenStore.open(tmp_path / "tokens") as store:
        token = store.issue("dom-1")
        async with serve(tmp_path / "data", tokens=store) as g:
            request_head = head("GET", "/v1/clock", b"Authorization: " + credentials)
            ex = await exchange(g.url, request_head, close_wait_s=0.0)
            ex.problem(401, "unauthorized")
            assert ex.headers["www-authenticate"].startswith("Bearer")
            assert (await g.call("GET", "/v1/clock", token)).status == 200
