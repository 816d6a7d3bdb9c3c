"""GET /v1/stream: a WebSocket of what happens in the market, per member.

Messages are the types of :mod:`engine.api.live` (JSON text frames; msgpack binary frames
with ``?format=msgpack``), told apart by ``"type"``:

- ``hello`` (:class:`~engine.api.live.Hello`) once, when the stream is open;
- ``interval`` (:class:`~engine.api.live.IntervalChanged`) when a gate closes (with the
  clearing result: volume, price) and when readings change an interval's state;
- ``fill`` (:class:`~engine.api.live.Fill`) for each of the member's own trades (auction and
  continuous);
- ``price_bands`` (:class:`~engine.api.live.PriceBandsChanged`) when the coordinator
  publishes bands.

A message leaves only once the event behind it is durable. The :class:`Hub` is the one
market subscriber: it turns each event into messages (only while streams are open) and puts
them on each stream's queue without waiting; a stream that falls ``Limits.stream_queue``
messages behind is closed (code 1013, try again later) rather than let memory grow, and so
is every stream once the journal failed (:mod:`engine.market.runtime`). Clients
only listen; what they send is ignored. Streams are counted in ``klaster_websocket_streams``
and closed when the app shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSCloseCode, WSMsgType, web

from engine import api
from engine.api.wire import to_json, to_msgpack
from engine.gateway import params, views
from engine.gateway.keys import HUB, METRICS, RUNTIME, Caller
from engine.gateway.problems import unprocessable
from engine.gateway.quantities import moment, pln_mwh
from engine.market.events import (
    Event,
    GateClosed,
    MeterReadingsRecorded,
    OrderAccepted,
    OrdersAccepted,
    PriceBandsPublished,
)
from engine.market.market import Market
from engine.market.runtime import Runtime

HEARTBEAT_S = 30.0
_OVERFLOW: Any = object()  # the queue's last message for a stream that fell behind


@dataclass(eq=False)
class Stream:
    caller: Caller
    ws: web.WebSocketResponse
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)


class Hub:
    """Fans market events out to the open streams (see the module docstring)."""

    def __init__(self, runtime: Runtime, queue_size: int) -> None:
        self.runtime = runtime
        self.market: Market = runtime.market
        self.queue_size = queue_size
        self.streams: set[Stream] = set()
        self._fills_seen: dict[int, int] = {}  # interval -> continuous fills already sent

    def on_event(self, event: Event) -> None:
        """The market's subscriber: called right after the event was applied."""
        seq = event.seq
        if isinstance(event, OrderAccepted | OrdersAccepted):
            if self.market.cluster.continuous_minutes > 0:  # only then can an order trade
                self._continuous(seq, event.interval_start)  # (counts fills with no stream)
            return
        if not self.streams:
            return
        match event:
            case GateClosed(interval_start=start):
                self._interval(seq, start)
                self._fills(seq, start, views.trade_list(self.market, start, None), "auction")
            case MeterReadingsRecorded():
                for start in np.unique(event.interval_start).tolist():
                    self._interval(seq, start)
            case PriceBandsPublished():
                tick = self.market.cluster.tick_pln_mwh
                bands = [
                    api.PublishedBand(moment(s), pln_mwh(f, tick), pln_mwh(c, tick))
                    for s, f, c in zip(
                        event.interval_start.tolist(),
                        event.floor.tolist(),
                        event.cap.tolist(),
                        strict=True,
                    )
                ]
                self._send_all(seq, api.PriceBandsChanged(bands))

    def _interval(self, seq: int, start: int) -> None:
        state = str(views.interval_state(self.market, start))
        message = api.IntervalChanged(moment(start), state, views.clearing(self.market, start))
        self._send_all(seq, message)

    def _continuous(self, seq: int, starts: int | np.ndarray) -> None:
        """New continuous trades after an order arrived in a continuous book."""
        unique = [int(starts)] if np.ndim(starts) == 0 else np.unique(starts).tolist()
        for start in unique:
            fills = self.market.continuous_fills(start)
            seen = self._fills_seen.get(start, 0)
            if len(fills) > seen:
                self._fills_seen[start] = len(fills)
                if not self.streams:
                    continue
                tick = self.market.cluster.tick_pln_mwh
                ids = self.market.registry.member_ids
                rows = [
                    api.Trade(
                        phase="continuous",
                        buyer=ids[f.buyer],
                        seller=ids[f.seller],
                        buyer_order_id=f.buyer_order_id,
                        seller_order_id=f.seller_order_id,
                        quantity_wh=f.quantity,
                        buyer_price=pln_mwh(f.price, tick),
                        seller_price=pln_mwh(f.price, tick),
                    )
                    for f in fills[seen:]
                ]
                self._fills(seq, start, rows, "continuous")

    def _fills(self, seq: int, start: int, rows: list[api.Trade], phase: str) -> None:
        """Each side of each trade (both sides' view) to its own member's streams."""
        by_member: dict[str, list[api.Fill]] = {}
        when = moment(start)
        for t in rows:
            q = t.quantity_wh
            bought = api.Fill(when, phase, t.buyer_order_id, "buy", q, t.buyer_price)
            sold = api.Fill(when, phase, t.seller_order_id, "sell", q, t.seller_price)
            by_member.setdefault(t.buyer, []).append(bought)
            by_member.setdefault(t.seller, []).append(sold)
        for stream in list(self.streams):
            for message in by_member.get(stream.caller.member_id, ()):
                self._put(stream, seq, message)

    def _send_all(self, seq: int, message: api.StreamMessage) -> None:
        for stream in list(self.streams):
            self._put(stream, seq, message)

    def _put(self, stream: Stream, seq: int, message: api.StreamMessage) -> None:
        if stream.queue.qsize() >= self.queue_size:
            stream.queue.put_nowait((0, _OVERFLOW))
            self.streams.discard(stream)  # nothing more for it: it is closing
            return
        stream.queue.put_nowait((seq, message))

    async def close_all(
        self, code: int = WSCloseCode.GOING_AWAY, message: bytes = b"server shutdown"
    ) -> None:
        for stream in list(self.streams):
            await stream.ws.close(code=code, message=message)


async def stream(request: web.Request) -> web.WebSocketResponse:
    who = params.caller(request)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "msgpack"):
        raise unprocessable("format", f'format must be "json" or "msgpack", was {fmt!r:.20}')
    hub = request.app[HUB]
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    await ws.prepare(request)
    s = Stream(who, ws)
    hub.streams.add(s)
    metrics = request.app[METRICS]
    if metrics is not None:
        metrics.streams.inc()
    runtime = request.app[RUNTIME]
    now = moment(runtime.market.clock.now_us() // 1_000_000)
    s.queue.put_nowait((0, api.Hello(who.member_id, now)))
    sender = asyncio.create_task(_send(runtime, s, fmt == "msgpack"), name="stream-send")
    try:
        async for message in ws:  # clients only listen; this sees pings and the close
            if message.type == WSMsgType.ERROR:
                break
    finally:
        hub.streams.discard(s)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        if metrics is not None:
            metrics.streams.dec()
    return ws


async def _send(runtime: Runtime, s: Stream, binary: bool) -> None:
    with contextlib.suppress(ConnectionError):
        while True:
            seq, message = await s.queue.get()
            if message is _OVERFLOW:
                await s.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"stream fell behind")
                return
            if seq and not await _durable(runtime, seq):
                await s.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"journal failed")
                return
            if binary:
                await s.ws.send_bytes(to_msgpack(message))
            else:
                await s.ws.send_str(to_json(message).decode())


async def _durable(runtime: Runtime, seq: int) -> bool:
    """Wait until event ``seq`` is durable (tell nothing that could still be lost); False
    if the journal failed instead (then nothing more can be told)."""
    try:
        await runtime.durable(seq)
    except Exception:
        if runtime.failure is None:
            raise
        return False
    return True


async def hub_context(app: web.Application):  # noqa: ANN201 (an async generator)
    """cleanup_ctx: subscribe the hub to the market for the app's lifetime, and close every
    stream if the journal fails meanwhile."""
    hub = app[HUB]
    unsubscribe = hub.market.subscribe(hub.on_event)
    watch = asyncio.ensure_future(_close_when_failed(hub))
    yield
    watch.cancel()
    unsubscribe()


async def _close_when_failed(hub: Hub) -> None:
    await hub.runtime.wait_failed()
    await hub.close_all(WSCloseCode.TRY_AGAIN_LATER, b"journal failed")


async def close_streams(app: web.Application) -> None:
    """on_shutdown: close every open stream so the server can stop."""
    await app[HUB].close_all()
