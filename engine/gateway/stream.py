"""GET /v1/stream: a WebSocket of what happens in the market, per member.

Messages are the types of :mod:`engine.api.live` (JSON text frames; msgpack binary frames
with ``?format=msgpack``), told apart by ``"type"``:

- ``hello`` (:class:`~engine.api.live.Hello`) once, when the stream is open;
- ``interval`` (:class:`~engine.api.live.IntervalChanged`) when a gate closes (with the
  clearing result: volume, price) and when readings change an interval's state;
- ``fill`` (:class:`~engine.api.live.Fill`) for each of the member's own trades (auction and
  continuous);
- ``price_bands`` (:class:`~engine.api.live.PriceBandsChanged`) when the coordinator
  publishes bands;
- ``orders_cancelled`` (:class:`~engine.api.live.OrdersCancelled`) to a member whose orders
  a change of the cluster's configuration cancelled (it left, or a point left it).
- ``book`` (:class:`~engine.api.live.BookChanged`) at most once every ``BOOK_S``, naming
  the intervals whose auction books orders entered or left since the last one (the web
  page then fetches the curves it shows; a message per order would flood every stream).

A message leaves only once the event behind it is durable. The :class:`Hub` is the one
market subscriber: it turns each event into messages (only while streams are open) and puts
them on each stream's queue without waiting; a stream that falls ``Limits.stream_queue``
messages behind is closed (code 1013, try again later) rather than let memory grow, and so
is every stream once the journal failed (1011, :mod:`engine.market.runtime`). Clients
only listen; what they send is ignored. Streams are counted in ``klaster_websocket_streams``
and closed when the app shuts down (1001).

A stream's bearer token is checked again every ``TOKEN_CHECK_S`` while it is open (one
lookup per distinct token; the token store answers from its cache unless another process
committed, see :meth:`engine.store.tokens.TokenStore.member_for`): a stream whose token no
longer authenticates (``klaster members revoke`` in any process, or an expired token) is
sent nothing more and closed with 4401 "token revoked or expired" within a second; the
other streams, also the member's streams on its other tokens, stay open. The close codes
are :class:`engine.api.live.StreamClose`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from engine import api
from engine.api.live import CLOSES, StreamClose
from engine.api.wire import to_json, to_msgpack
from engine.gateway import params, views
from engine.gateway.keys import BEARER, HUB, METRICS, RUNTIME, Caller, TokenLookup
from engine.gateway.problems import unprocessable
from engine.gateway.quantities import moment, pln_mwh
from engine.market.events import (
    ClusterChanged,
    Event,
    GateClosed,
    MeterReadingsRecorded,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    OrdersAccepted,
    PriceBandsPublished,
)
from engine.market.market import Market
from engine.market.runtime import Runtime

HEARTBEAT_S = 30.0
PROTOCOL = "klaster"  # the subprotocol chosen for a client that offers it (the web page)
TOKEN_CHECK_S = 0.25  # how often the tokens of open streams are checked again [s]
BOOK_S = 1.0  # at most one ``book`` message a second, naming every book that changed [s]
_OVERFLOW: Any = object()  # the queue's last message for a stream that fell behind
log = logging.getLogger("klaster.gateway")


@dataclass(eq=False)
class Stream:
    caller: Caller
    token: str  # the bearer token the stream was opened with
    ws: web.WebSocketResponse
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    sender: asyncio.Task[None] | None = None


class Hub:
    """Fans market events out to the open streams (see the module docstring)."""

    def __init__(self, runtime: Runtime, queue_size: int, tokens: TokenLookup) -> None:
        self.runtime = runtime
        self.market: Market = runtime.market
        self.queue_size = queue_size
        self.tokens = tokens
        self.streams: set[Stream] = set()
        self._fills_seen: dict[int, int] = {}  # interval -> continuous fills already sent
        self._closing: set[asyncio.Task[None]] = set()  # streams ended, their close pending
        self._books_changed: set[int] = set()  # intervals whose books changed, not yet told
        self._books_seq = 0  # the last event that changed one of them

    def on_event(self, event: Event) -> None:
        """The market's subscriber: called right after the event was applied."""
        seq, kind = event.seq, type(event)
        if kind is OrderAccepted or kind is OrdersAccepted:  # every order: no isinstance
            if self.market.cluster.continuous_minutes > 0:  # only then can an order trade
                self._continuous(seq, event.interval_start)  # (counts fills with no stream)
            if self.streams:
                self._book_changed(seq, event.interval_start)
            return
        if not self.streams:
            return
        match event:
            case OrderCancelled(order_id=order_id) | OrderReplaced(order_id=order_id):
                start = self.market.order_interval(order_id)
                if start is not None:
                    self._book_changed(seq, start)
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
            case ClusterChanged():
                self._cancelled(seq, event)

    def _cancelled(self, seq: int, event: ClusterChanged) -> None:
        """Tell each member whose orders the change cancelled, on its own streams."""
        by_member: dict[str, list[int]] = {}
        ids = self.market.registry.member_ids
        for order_id in event.cancelled.tolist():
            _, _, member = self.market._index.row(order_id - 1)
            by_member.setdefault(ids[int(member)], []).append(order_id)
        reason = "the cluster's configuration changed: " + "; ".join(event.changes)
        when = moment(event.effective_from_s)
        for stream in list(self.streams):
            cancelled = by_member.get(stream.caller.member_id)
            if cancelled:
                self._put(stream, seq, api.OrdersCancelled(cancelled, when, reason))

    def _book_changed(self, seq: int, starts: int | np.ndarray) -> None:
        """Note the intervals whose books changed, told at the next :meth:`flush_books`."""
        if np.ndim(starts) == 0:
            self._books_changed.add(int(starts))
        else:
            self._books_changed.update(np.unique(starts).tolist())
        self._books_seq = seq

    def flush_books(self) -> None:
        """Tell every stream which books changed since the last time (one message)."""
        if not self._books_changed:
            return
        changed = sorted(self._books_changed)
        self._books_changed.clear()
        if self.streams:
            message = api.BookChanged([moment(s) for s in changed])
            self._send_all(self._books_seq, message)

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

    def check_tokens(self) -> None:
        """End every stream whose token no longer names its member (revoked or expired)."""
        live: dict[str, bool] = {}  # token -> still its member's (one lookup per token)
        for stream in list(self.streams):
            token = stream.token
            if token not in live:
                live[token] = self.tokens.member_for(token) == stream.caller.member_id
            if not live[token]:
                self.end(stream, StreamClose.TOKEN_REVOKED)

    def end(self, stream: Stream, code: StreamClose) -> None:
        """Send ``stream`` nothing more and close it with ``code``, in a task of its own: a
        client that does not answer the close must not hold up the others."""
        self.streams.discard(stream)
        if stream.sender is not None:
            stream.sender.cancel()
        task = asyncio.create_task(_close(stream.ws, code), name="stream-close")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_all(self, code: StreamClose = StreamClose.SHUTDOWN) -> None:
        for stream in list(self.streams):
            await _close(stream.ws, code)

    def cancel_closing(self) -> None:
        """Give up closes still waiting for their client (the app is being cleaned up)."""
        for task in list(self._closing):
            task.cancel()


async def stream(request: web.Request) -> web.WebSocketResponse:
    who = params.caller(request)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "msgpack"):
        raise unprocessable("format", f'format must be "json" or "msgpack", was {fmt!r:.20}')
    hub = request.app[HUB]
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, protocols=(PROTOCOL,))
    await ws.prepare(request)
    s = Stream(who, request[BEARER], ws)
    metrics = request.app[METRICS]
    if metrics is not None:
        metrics.streams.inc()
    runtime = request.app[RUNTIME]
    now = moment(runtime.market.clock.now_us() // 1_000_000)
    s.queue.put_nowait((0, api.Hello(who.member_id, now)))
    s.sender = sender = asyncio.create_task(_send(runtime, s, fmt == "msgpack"), name="stream-send")
    hub.streams.add(s)
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
                await _close(s.ws, StreamClose.FELL_BEHIND)
                return
            if seq and not await _durable(runtime, seq):
                await _close(s.ws, StreamClose.JOURNAL_FAILED)
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


async def _close(ws: web.WebSocketResponse, code: StreamClose) -> None:
    await ws.close(code=code, message=CLOSES[code][0].encode())


async def _watch_tokens(hub: Hub) -> None:
    """Check the tokens of the open streams every ``TOKEN_CHECK_S`` (see the docstring)."""
    while True:
        await asyncio.sleep(TOKEN_CHECK_S)
        if not hub.streams:
            continue
        try:
            hub.check_tokens()
        except Exception:  # the store failed (busy, I/O): try again at the next check
            log.exception("checking the tokens of open streams failed")


async def _tell_books(hub: Hub) -> None:
    """Every ``BOOK_S``, tell the open streams which auction books changed."""
    while True:
        await asyncio.sleep(BOOK_S)
        hub.flush_books()


async def hub_context(app: web.Application):  # noqa: ANN201 (an async generator)
    """cleanup_ctx: subscribe the hub to the market, check the tokens of open streams and
    close every stream if the journal fails, for the app's lifetime."""
    hub = app[HUB]
    unsubscribe = hub.market.subscribe(hub.on_event)
    watchers = [
        asyncio.create_task(_watch_tokens(hub), name="stream-tokens"),
        asyncio.create_task(_close_when_failed(hub), name="stream-journal"),
        asyncio.create_task(_tell_books(hub), name="stream-books"),
    ]
    yield
    for watcher in watchers:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    hub.cancel_closing()
    unsubscribe()


async def _close_when_failed(hub: Hub) -> None:
    await hub.runtime.wait_failed()
    await hub.close_all(StreamClose.JOURNAL_FAILED)


async def close_streams(app: web.Application) -> None:
    """on_shutdown: close every open stream so the server can stop."""
    await app[HUB].close_all()
