"""The real gateway app on a loopback port, for the ``test_gateway_*`` tests.

``serve()`` opens a :class:`~engine.market.runtime.Runtime` on a temporary data directory with a
:class:`~engine.model.clock.SimulatedClock` (so the test moves time and so drives gate closures),
starts it, serves ``create_app`` with aiohttp's ``AppRunner`` + ``TCPSite`` on 127.0.0.1
port 0, and hands back a :class:`Gateway` whose :meth:`Gateway.call` speaks JSON or msgpack
through a real ``aiohttp.ClientSession``. Inside ``with recording() as replies``, every
reply of every :meth:`Gateway.call` is kept (with its method and path) in ``replies``.
:class:`LiveGateway` runs one ``serve()`` on a loop of its own for synchronous clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import msgpack
from aiohttp import web
from prometheus_client import CollectorRegistry

from engine.config.cluster import parse_cluster
from engine.gateway import Limits, TokenLookup, create_app
from engine.market.metrics import Metrics
from engine.market.recovery import open_market
from engine.market.runtime import Runtime
from engine.model.clock import SimulatedClock
from tests.clusters import small_cluster_toml

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
START = T0 + 3600  # 2026-01-01T01:00:00Z: open at T0, its gate closes at START - 300
START_ISO = "2026-01-01T01:00:00Z"
JSON = "application/json"
MSGPACK = "application/msgpack"

CLUSTER = small_cluster_toml(continuous=0)
T = TypeVar("T")

TOKENS = {"t-oke": "oke", "t-dom-1": "dom-1", "t-dom-2": "dom-2", "t-dso": "tauron"}


class DictTokens:
    """A token lookup from a dict (the real store hashes tokens; the gateway does not care)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def member_for(self, token: str) -> str | None:
        return self.tokens.get(token)

    def expired_at(self, token: str) -> int | None:
        return None  # these tokens never expire


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any  # decoded JSON or msgpack; bytes for anything else
    method: str = ""
    path: str = ""  # as requested, with its query


_recorders: list[list[Reply]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[Reply]]:
    """Keep every reply that :meth:`Gateway.call` gets while the block runs."""
    replies: list[Reply] = []
    _recorders.append(replies)
    try:
        yield replies
    finally:
        _recorders.remove(replies)


@dataclass
class Gateway:
    url: str
    session: aiohttp.ClientSession
    clock: SimulatedClock
    runtime: Runtime
    metrics: Metrics
    app: web.Application

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        *,
        encoding: str = JSON,
        accept: str | None = None,
        raw: bytes | None = None,
        content_type: str | None = None,
    ) -> Reply:
        """One request: ``body`` encoded as ``encoding`` (or ``raw`` bytes as they are),
        answer decoded by its Content-Type."""
        headers = {"Accept": accept or encoding}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode() if encoding == JSON else msgpack.packb(body)
        if data is not None:
            headers["Content-Type"] = content_type or encoding
        async with self.session.request(method, self.url + path, data=data, headers=headers) as r:
            payload = await r.read()
            ctype = r.headers.get("Content-Type", "").split(";")[0]
            decoded: Any = payload
            if ctype in (JSON, "application/problem+json"):
                decoded = json.loads(payload)
            elif ctype == MSGPACK:
                decoded = msgpack.unpackb(payload)
            reply = Reply(r.status, r.headers, decoded, method, path)
            for replies in _recorders:
                replies.append(reply)
            return reply

    def at(self, t_s: int) -> None:
        """Move the market's clock to ``t_s`` [s]."""
        self.clock.advance_to(t_s * 1_000_000)

    def snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        """The market's seq and every member's orders: what a refusal must leave as it was."""
        market = self.runtime.market
        return market.seq, [market.orders(m) for m in market.registry.member_ids]


@contextlib.asynccontextmanager
async def serve(
    data_dir: Path,
    *,
    limits: Limits = Limits(),  # noqa: B008
    ready: Callable[[], bool] | None = None,
    metrics: bool = True,
    cluster_text: str = CLUSTER,
    tokens: TokenLookup | None = None,
) -> AsyncIterator[Gateway]:
    """Serve the gateway on a loopback port (see the module docstring); ``tokens``: the token
    lookup (default: :data:`TOKENS`)."""
    clock = SimulatedClock(T0 * 1_000_000)
    runtime = Runtime(open_market(data_dir, parse_cluster(cluster_text), clock), tick_seconds=0.01)
    registry_metrics = Metrics(CollectorRegistry())
    await runtime.start()
    app = create_app(
        runtime,
        DictTokens(TOKENS) if tokens is None else tokens,
        registry_metrics if metrics else None,
        limits=limits,
        ready=ready,
    )
    try:
        async with on_loopback(app) as (url, session):
            yield Gateway(url, session, clock, runtime, registry_metrics, app)
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def on_loopback(app: web.Application) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """Serve ``app`` on a free loopback port: its URL and a client session."""
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as session:
            yield f"http://{host}:{port}", session
    finally:
        await runner.cleanup()


class LiveGateway:
    """The gateway of ``serve()`` on its own event loop, in a thread, for synchronous
    clients (schemathesis, hypothesis): one server for many examples."""

    def __init__(self, data: Path, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._serving = serve(data, **options)
        self.gateway: Gateway = self._on_loop(self._serving.__aenter__())
        self.url = self.gateway.url

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(60)

    def call(self, *args: Any, **kwargs: Any) -> Reply:
        """:meth:`Gateway.call`, waited for."""
        return self._on_loop(self.gateway.call(*args, **kwargs))

    def journal_head(self) -> tuple[int, int, bytes]:
        """The journal as the market writes it: (last appended seq, last durable seq, the
        hash of the last durable event), read on the server's loop."""

        async def head() -> tuple[int, int, bytes]:
            journal = self.gateway.runtime.node.journal
            return journal.last_seq, journal.durable_seq, journal.head_hash

        return self._on_loop(head())

    def close(self) -> None:
        self._on_loop(self._serving.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __enter__(self) -> LiveGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop (no pytest plugin needed)."""

    @functools.wraps(test)  # pytest reads the test's parameters through __wrapped__
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout=60))

    return wrapper


def order(**overrides: Any) -> dict[str, Any]:
    """A valid sell order of dom-1 for START, with ``overrides``."""
    base = {
        "interval_start": START_ISO,
        "connection_point": "P-1",
        "side": "sell",
        "price": "300.00",
        "quantity_wh": 1000,
    }
    base.update(overrides)
    return base
