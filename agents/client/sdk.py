"""An async client for the klaster gateway (``engine/gateway``), on aiohttp.

``KlasterClient`` speaks msgpack by default (JSON with ``codec="json"``), sends the bearer
token, builds its requests from the API's types and decodes the answers into them
(:mod:`engine.api`, re-exported with the client's few additions by
:mod:`agents.client.results`). Units on our side:
prices PLN/MWh as ``Decimal``, ``int`` or ``str`` (a float is refused: no float money),
energy int Wh, instants aware ``datetime`` or int seconds since the epoch.

Errors: every problem+json answer (RFC 9457) raises :class:`KlasterError`. A 429 is retried
after the server's ``Retry-After`` [s], at most ``max_retries`` times, then raised. A
retried order submission is safe only with a ``client_order_id`` (the server answers a
repeat with the first acknowledgement, ``duplicate=True``); a 429 itself books nothing.

Failover: given several base URLs (a leader and its standbys, ``klaster serve --standby``),
the client talks to the one that last answered, and moves to the next when a server
answers 503 ``not-leader`` or ``journal-failed`` (nothing was booked there) or, for a
request that is safe to repeat, when the connection fails (refused, reset, dropped): a
GET, or an order with a ``client_order_id`` (a repeat is answered with the first
acknowledgement). An order without one is not resent after a lost connection: it may have
been booked, so the error is raised. It keeps trying, round robin with a short pause, for
``failover_seconds``; one URL behind a load balancer gets the same retries.

Own orders come a page at a time (:meth:`KlasterClient.order_page`, with a cursor);
:meth:`KlasterClient.iter_orders` walks every page, :meth:`KlasterClient.orders` collects
them.

The live stream: ``async with client.stream() as events: async for message in events``
yields the WebSocket's messages as the API's types (``Hello``, ``IntervalChanged``,
``Fill``, ``PriceBandsChanged``, ``BookChanged`` of :mod:`engine.api.live`) and closes the
socket on exit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp
import msgpack
import numpy as np

from agents.client.results import (
    BatchAck,
    Cancelled,
    Depth,
    GateClosure,
    Interval,
    Kpis,
    Order,
    OrderAck,
    ReadingsAck,
    Replaced,
    Statement,
    Trade,
    from_wire,
)
from engine import api
from engine.api.wire import Decoders, to_builtins, to_json, to_msgpack

_STREAM: Decoders[api.StreamMessage] = Decoders(api.StreamMessage)

JSON = "application/json"
MSGPACK = "application/msgpack"
PROBLEM_JSON = "application/problem+json"
DEFAULT_RETRY_AFTER_S = 1.0  # when a 429 carries no usable Retry-After
FAILOVER_PAUSE_S = 0.05  # between a server that failed and the next one, doubling to 1 s
NOT_LEADING = frozenset({"not-leader", "journal-failed"})  # 503s that booked nothing
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Instant = datetime | int  # aware datetime or int seconds since the epoch
LE_INT64 = np.dtype("<i8")  # a bin column: raw little-endian int64
INT64_MAX = 2**63 - 1
Price = Decimal | int | str  # PLN/MWh, exact


class KlasterError(Exception):
    """A refusal from the gateway: the fields of its problem details (RFC 9457)."""

    def __init__(
        self,
        status: int,
        type: str,  # the problem type's URI (RFC 9457 names it so)
        title: str,
        detail: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.field = field
        self.errors = errors or []  # per row, for batches: {row, field, code, detail}
        self.retry_after = retry_after

    @property
    def code(self) -> str:
        """The problem type's last segment: ``price-out-of-band``, ``rate-limited``."""
        return self.type.rsplit("/", 1)[-1]

    @classmethod
    def from_answer(
        cls, status: int, reason: str, body: Any, retry_after: float | None = None
    ) -> KlasterError:
        if not isinstance(body, dict):  # not problem details (a proxy's page, say)
            text = body.decode(errors="replace")[:200] if isinstance(body, bytes) else None
            return cls(status, "about:blank", reason, text, retry_after=retry_after)
        return cls(
            status,
            str(body.get("type", "about:blank")),
            str(body.get("title", reason)),
            body.get("detail"),
            body.get("field"),
            body.get("errors"),
            retry_after=retry_after,
        )


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order to submit (see :meth:`KlasterClient.submit_orders`)."""

    interval_start: Instant
    connection_point: str
    side: Literal["buy", "sell"]
    price: Price  # [PLN/MWh]
    quantity_wh: int
    client_order_id: str | None = None

    def typed(self) -> api.NewOrder:
        """The order as the API's type (instant in seconds, price exact)."""
        return api.NewOrder(
            instant(self.interval_start),
            self.connection_point,
            self.side,
            api.PriceInput(price_text(self.price)),
            self.quantity_wh,
            self.client_order_id,
        )

    def wire(self) -> dict[str, Any]:
        """The order as it goes on the wire."""
        return to_builtins(self.typed())


@dataclass(frozen=True, slots=True)
class Reading:
    """A meter reading of one connection point over one interval [Wh]."""

    interval_start: Instant
    connection_point: str
    import_wh: int
    export_wh: int

    def typed(self) -> api.Reading:
        return api.Reading(
            instant(self.interval_start), self.connection_point, self.import_wh, self.export_wh
        )


def instant(value: Instant) -> int:
    """An aware datetime or int seconds -> int seconds since the epoch."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"interval_start must be an aware datetime, was naive {value}")
        return int(value.timestamp())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"an instant must be an aware datetime or int seconds, was {value!r}")


def price_text(value: Price) -> str:
    """A price [PLN/MWh] as the exact decimal string the API reads (never via float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"price must be finite, was {value}")
        return format(value, "f")  # never exponent notation such as 1E+2
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"price must be Decimal, int or str [PLN/MWh], was {type(value).__name__}")


def _problem_code(body: Any) -> str | None:
    """The last segment of a problem's ``type`` (``not-leader``), None if it is none."""
    kind = body.get("type") if isinstance(body, dict) else None
    return kind.rsplit("/", 1)[-1] if isinstance(kind, str) else None


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:  # missing, or an HTTP date: the gateway sends seconds
        return DEFAULT_RETRY_AFTER_S


class KlasterClient:
    """One member's connection to a gateway (see the module docstring).

    Use as ``async with KlasterClient(url, token) as client``; a given ``session`` is used
    and left open, otherwise the client opens one and closes it on exit.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        token: str,
        *,
        codec: Literal["msgpack", "json"] = "msgpack",
        session: aiohttp.ClientSession | None = None,
        max_retries: int = 5,
        failover_seconds: float = 30.0,
    ) -> None:
        if codec not in ("msgpack", "json"):
            raise ValueError(f'codec must be "msgpack" or "json", was {codec!r}')
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("give at least one base URL")
        self.base_urls = [url.rstrip("/") for url in urls]
        """The servers, tried in turn; :attr:`base_url` is the one in use."""
        self._current = 0
        self.failover_seconds = failover_seconds
        self.codec = codec
        self.max_retries = max_retries
        self._media = MSGPACK if codec == "msgpack" else JSON
        self._auth = {"Authorization": f"Bearer {token}"}
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> Self:
        self.session  # noqa: B018 (open the owned session inside the running loop)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """The server the client talks to now (the last one that answered)."""
        return self.base_urls[self._current]

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- the wire ---------------------------------------------------------------------------

    def _encode(self, body: Any) -> bytes:
        """An API type or builtins (bytes as msgpack bin) in the client's codec."""
        return to_msgpack(body) if self._media == MSGPACK else to_json(body)

    @staticmethod
    def _decode(content_type: str, payload: bytes) -> Any:
        if content_type in (JSON, PROBLEM_JSON):
            return json.loads(payload)
        if content_type == MSGPACK:
            return msgpack.unpackb(payload, raw=False)
        return payload

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str | int] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> tuple[int, Any]:
        """Send one request; return (status, decoded answer) or raise :class:`KlasterError`.

        A 429 is retried after ``Retry-After`` [s], up to ``max_retries`` times. A 503 of a
        server that does not lead, and a lost connection when the request is ``idempotent``
        (default: a safe method), go to the next server (see the module docstring)."""
        headers = {**self._auth, "Accept": self._media}
        data = None
        if body is not None:
            data = self._encode(body)
            headers["Content-Type"] = self._media
        repeatable = method in SAFE_METHODS if idempotent is None else idempotent
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.failover_seconds
        pause = FAILOVER_PAUSE_S
        retries = 0
        while True:
            try:
                async with self.session.request(
                    method, self.base_url + path, data=data, params=params, headers=headers
                ) as r:
                    status, reason, payload = r.status, r.reason or "", await r.read()
                    decoded = self._decode(r.content_type, payload)
                    wait = _retry_after(r.headers) if status == 429 else None
            except aiohttp.ClientConnectionError:
                if not repeatable or loop.time() + pause > give_up_at:
                    raise
            else:
                if status < 400:
                    return status, decoded
                if status == 429 and retries < self.max_retries:
                    retries += 1
                    await asyncio.sleep(wait or 0.0)  # outside the response: connection free
                    continue
                not_leading = status == 503 and _problem_code(decoded) in NOT_LEADING
                if not not_leading or loop.time() + pause > give_up_at:
                    raise KlasterError.from_answer(status, reason, decoded, wait)
            # a lost connection or a server that does not lead: the next one, after a pause
            self._current = (self._current + 1) % len(self.base_urls)
            await asyncio.sleep(pause)
            pause = min(2 * pause, 1.0)

    # -- who is calling ---------------------------------------------------------------------

    async def me(self) -> api.Me:
        """The token's member: its role and cluster, the connection points its orders may
        name with their limits per interval [Wh] (and [kW] as configured), the price band
        of the interval being delivered now [PLN/MWh] and the market's rules."""
        _, body = await self.request("GET", "/v1/me")
        return from_wire(api.Me, body)

    # -- orders -----------------------------------------------------------------------------

    async def submit_order(
        self,
        interval_start: Instant,
        connection_point: str,
        side: Literal["buy", "sell"],
        price: Price,
        quantity_wh: int,
        client_order_id: str | None = None,
    ) -> OrderAck:
        """Submit one order: ``price`` [PLN/MWh], ``quantity_wh`` [Wh]."""
        order = NewOrder(
            interval_start, connection_point, side, price, quantity_wh, client_order_id
        )
        status, body = await self.request(
            "POST", "/v1/orders", order.typed(), idempotent=client_order_id is not None
        )
        return from_wire(OrderAck, body, duplicate=status == 200)

    async def submit_orders(self, orders: Iterable[NewOrder]) -> BatchAck:
        """Submit orders as one all-or-nothing batch."""
        typed = [o.typed() for o in orders]
        repeatable = bool(typed) and all(o.client_order_id is not None for o in typed)
        status, body = await self.request("POST", "/v1/orders", typed, idempotent=repeatable)
        return from_wire(BatchAck, body, duplicate=status == 200)

    async def submit_batch(
        self,
        interval_start: Sequence[Instant],
        connection_point: Sequence[str],
        side: Sequence[str],
        price: Sequence[Price],
        quantity_wh: Sequence[int],
        client_order_id: Sequence[str | None] | None = None,
    ) -> BatchAck:
        """Submit a columnar batch (one sequence per field, all the same length).

        ``interval_start`` [s] and ``quantity_wh`` given as numpy integer arrays go, in
        msgpack, as bin columns of raw little-endian int64 (no per-value encoding on either
        side); anything else as arrays."""
        columns = api.OrderColumnsMsgpack(
            interval_start=api.Int64Column(self._int64_column(interval_start, instant)),
            connection_point=list(connection_point),
            side=list(side),
            price=[price_text(p) for p in price],
            quantity_wh=api.Int64Column(self._int64_column(quantity_wh, int)),
            client_order_id=None if client_order_id is None else list(client_order_id),
        )
        repeatable = client_order_id is not None and all(c is not None for c in client_order_id)
        status, body = await self.request(
            "POST", "/v1/orders/batch", to_builtins(columns), idempotent=repeatable
        )
        return from_wire(BatchAck, body, duplicate=status == 200)

    def _int64_column(self, values: Any, convert: Any) -> Any:
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and values.ndim == 1:
            if values.dtype.kind == "u" and values.size and values.max() > INT64_MAX:
                raise ValueError(f"values above int64 cannot be sent, was {values.max()}")
            column = values.astype(LE_INT64, copy=False)
            return column.tobytes() if self.codec == "msgpack" else column.tolist()
        return [convert(v) for v in values]

    async def cancel(self, order_id: int) -> Cancelled:
        _, body = await self.request("DELETE", f"/v1/orders/{int(order_id)}")
        return from_wire(Cancelled, body)

    async def replace(
        self, order_id: int, price: Price | None = None, quantity_wh: int | None = None
    ) -> Replaced:
        """Give an order a new price and/or quantity; it gets a new id (and queues anew)."""
        if price is None and quantity_wh is None:
            raise ValueError("replace needs a price and/or a quantity_wh")
        change = api.OrderChange(
            api.UNSET if price is None else api.PriceInput(price_text(price)),
            api.UNSET if quantity_wh is None else quantity_wh,
        )
        _, body = await self.request("PATCH", f"/v1/orders/{int(order_id)}", change)
        return from_wire(Replaced, body)

    async def order_page(
        self,
        interval_start: Instant | None = None,
        status: api.OrderStatus | None = None,
        cursor: int | None = None,
        limit: int | None = None,
    ) -> api.Orders:
        """One page of the caller's own orders, oldest first (of one interval and in one
        status if given): ``orders`` and ``next_cursor``, the ``cursor`` of the page after
        it (None on the last page; a page may be short, even empty, before the last)."""
        params: dict[str, str | int] = {}
        if interval_start is not None:
            params["interval_start"] = instant(interval_start)
        if status is not None:
            params["status"] = status
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        _, body = await self.request("GET", "/v1/orders", params=params)
        return from_wire(api.Orders, body)

    async def iter_orders(
        self,
        interval_start: Instant | None = None,
        status: api.OrderStatus | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Order]:
        """Every one of the caller's own orders, oldest first, fetched a page at a time
        (``page_size`` orders, the server's default if None)."""
        cursor: int | None = None
        while True:
            page = await self.order_page(interval_start, status, cursor, page_size)
            for order in page.orders:
                yield order
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def orders(
        self, interval_start: Instant | None = None, status: api.OrderStatus | None = None
    ) -> list[Order]:
        """All of the caller's own orders, oldest first (every page of :meth:`iter_orders`)."""
        return [order async for order in self.iter_orders(interval_start, status)]

    # -- intervals --------------------------------------------------------------------------

    async def interval(self, start: Instant) -> Interval:
        _, body = await self.request("GET", f"/v1/intervals/{instant(start)}")
        return from_wire(Interval, body)

    async def intervals(
        self, from_: Instant | None = None, count: int | None = None
    ) -> list[Interval]:
        """The calendar from ``from_`` (default: the interval being delivered now)."""
        params: dict[str, int] = {}
        if from_ is not None:
            params["from"] = instant(from_)
        if count is not None:
            params["count"] = count
        _, body = await self.request("GET", "/v1/intervals", params=params)
        return [from_wire(Interval, row) for row in body["intervals"]]  # the fields it has

    async def depth(self, start: Instant) -> Depth:
        _, body = await self.request("GET", f"/v1/intervals/{instant(start)}/depth")
        return from_wire(Depth, body)

    async def trades(self, start: Instant) -> list[Trade]:
        """Own trades of the interval (every trade, both sides, for the coordinator)."""
        _, body = await self.request("GET", f"/v1/intervals/{instant(start)}/trades")
        return from_wire(api.Trades, body).trades

    async def close_gate(self, start: Instant) -> GateClosure:
        """Coordinator: close the interval's auction gate now and clear it."""
        _, body = await self.request("POST", f"/v1/intervals/{instant(start)}/close")
        return from_wire(GateClosure, body)

    async def send_readings(self, rows: Iterable[Reading]) -> ReadingsAck:
        """DSO or coordinator: meter readings, all or nothing."""
        readings = api.ReadingRows([r.typed() for r in rows])
        _, body = await self.request("POST", "/v1/readings", readings)
        return from_wire(ReadingsAck, body)

    # -- reports ----------------------------------------------------------------------------

    async def statement(self, from_: Instant, to: Instant, member: str | None = None) -> Statement:
        """A statement over [from_, to): own, or ``member``'s for the coordinator."""
        params: dict[str, str | int] = {"from": instant(from_), "to": instant(to)}
        if member is not None:
            params["member"] = member
        _, body = await self.request("GET", "/v1/statements", params=params)
        return from_wire(Statement, body)

    async def kpis(self, from_: Instant, to: Instant) -> Kpis:
        params = {"from": instant(from_), "to": instant(to)}
        _, body = await self.request("GET", "/v1/kpis", params=params)
        return from_wire(Kpis, body)

    # -- the configuration ------------------------------------------------------------------

    async def change_cluster(
        self,
        config: dict[str, Any],
        files: dict[str, str] | None = None,
        effective_from: Instant | None = None,
    ) -> api.ClusterChanged:
        """Coordinator: put the configuration ``config`` (the TOML document; ``files``: the
        files it names, as text by name) in force from the interval ``effective_from`` on
        (None: the first that may still change)."""
        start = None if effective_from is None else instant(effective_from)
        change = api.ClusterChange(config, files or {}, start)
        _, body = await self.request("POST", "/v1/cluster/changes", change)
        return from_wire(api.ClusterChanged, body)

    # -- the clock --------------------------------------------------------------------------

    async def clock(self) -> int:
        """The market's time [s since the epoch]."""
        _, body = await self.request("GET", "/v1/clock")
        return instant(from_wire(api.Clock, body).now)

    async def set_clock(self, now: Instant) -> int:
        """Coordinator, on a simulated clock: move it forward to ``now``; the new time [s]."""
        _, body = await self.request("POST", "/v1/clock", api.ClockChange(instant(now)))
        return instant(from_wire(api.Clock, body).now)

    # -- the stream -------------------------------------------------------------------------

    def stream(self) -> EventStream:
        """The live stream; use ``async with client.stream() as events``."""
        return EventStream(self)


class EventStream:
    """The WebSocket ``/v1/stream`` as an async iterator of typed messages
    (:data:`engine.api.StreamMessage`: ``Hello``, ``IntervalChanged``, ``Fill``,
    ``PriceBandsChanged``, ``BookChanged``).

    Connects on entry (or on the first message), closes on exit; iteration ends when the
    server closes the socket, and then :attr:`close_code` and :attr:`close_reason` say why
    (:class:`engine.api.StreamClose`: the server stopped, the client read too slowly, the
    journal failed, the token was revoked or expired).
    """

    def __init__(self, client: KlasterClient) -> None:
        self._client = client
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.close_code: int | None = None  # the server's close frame's code, once closed
        self.close_reason = ""

    async def connect(self) -> None:
        if self._ws is not None:
            return
        c = self._client
        fmt = "msgpack" if c.codec == "msgpack" else "json"
        try:
            self._ws = await c.session.ws_connect(
                c.base_url + "/v1/stream", params={"format": fmt}, headers=c._auth
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise KlasterError(
                exc.status, "about:blank", exc.message or "handshake failed"
            ) from exc

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> api.StreamMessage:
        await self.connect()
        assert self._ws is not None
        message = await self._ws.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            return _STREAM.json.decode(message.data)
        if message.type == aiohttp.WSMsgType.BINARY:
            return _STREAM.msgpack.decode(message.data)
        if message.type == aiohttp.WSMsgType.ERROR:
            await self.close()
            raise ConnectionError(f"stream failed: {message.data}")
        # CLOSE, CLOSING, CLOSED: the server ended the stream
        self.close_code = self._ws.close_code
        if message.type == aiohttp.WSMsgType.CLOSE:
            self.close_code, self.close_reason = message.data, message.extra or ""
        await self.close()
        raise StopAsyncIteration
