"""What the WebSocket ``/v1/stream`` sends: one message type each, told apart by ``"type"``.

A message leaves only once the event behind it is durable; a member hears the cluster's
intervals and bands and only its own fills. JSON text frames, or msgpack binary frames with
``?format=msgpack`` (instants and prices as strings, as in JSON).

When the server ends a stream, the close frame's code says why (:class:`StreamClose`) and
its reason text says it in words (:data:`CLOSES`); the document lists both under
``x-websocket-close-codes``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

from msgspec import Struct

from engine.api.timetable import Result
from engine.api.trading import PublishedBand
from engine.api.values import Instant, OrderId, Price, Side, Wh


class Hello(Struct, frozen=True, tag="hello", tag_field="type"):
    """Once, when the stream is open: who listens, and the market's clock."""

    member: str
    now: Instant


class IntervalChanged(Struct, frozen=True, tag="interval", tag_field="type"):
    """A gate closed (with its clearing result), or readings changed an interval's state."""

    interval_start: Instant
    state: str
    result: Result | None


class Fill(Struct, frozen=True, tag="fill", tag_field="type"):
    """One of the member's own trades [Wh at PLN/MWh], in the auction or continuous."""

    interval_start: Instant
    phase: Literal["auction", "continuous"]
    order_id: OrderId
    side: Side
    quantity_wh: Wh
    price: Price


class PriceBandsChanged(Struct, frozen=True, tag="price_bands", tag_field="type"):
    """The coordinator published price bands [PLN/MWh]."""

    bands: list[PublishedBand]


class OrdersCancelled(Struct, frozen=True, tag="orders_cancelled", tag_field="type"):
    """The coordinator changed the cluster's configuration from ``effective_from`` on, and
    these orders of the member's no longer fit it (the member, or the connection point they
    name, is not the member's in their interval; their price is outside the interval's new
    band; they pass their point's new limit, taken whole in arrival order): they are
    cancelled."""

    order_ids: list[OrderId]
    effective_from: Instant
    reason: str


class BookChanged(Struct, frozen=True, tag="book", tag_field="type"):
    """Orders arrived in, or left, the auction books of these intervals since the last such
    message (at most one a second): ``GET /v1/intervals/{start}/book`` has the new curves."""

    intervals: list[Instant]


StreamMessage = Hello | IntervalChanged | Fill | PriceBandsChanged | OrdersCancelled | BookChanged
"""Any message of the stream (decode with this union: the ``type`` picks the struct)."""


class StreamClose(IntEnum):
    """Why the server closed a stream: the close frame's code (RFC 6455, section 7.4)."""

    SHUTDOWN = 1001  # "going away"
    JOURNAL_FAILED = 1011  # "internal error": the market can no longer make anything durable
    FELL_BEHIND = 1013  # "try again later"
    TOKEN_REVOKED = 4401  # private range: 4000 + the HTTP status a request would get


CLOSES: dict[StreamClose, tuple[str, str]] = {
    StreamClose.SHUTDOWN: (
        "server shutdown",
        "the server stops; reconnect once it is back",
    ),
    StreamClose.FELL_BEHIND: (
        "stream fell behind",
        "the client read too slowly and the messages waiting for it reached the limit; "
        "reconnect and read faster",
    ),
    StreamClose.JOURNAL_FAILED: (
        "journal failed",
        "the server could not write its journal and stops; reconnect once it is restarted",
    ),
    StreamClose.TOKEN_REVOKED: (
        "token revoked or expired",
        "the stream's bearer token no longer authenticates (klaster members revoke): the "
        "stream closes within a second; reconnecting needs a live token",
    ),
}
"""Each close code -> (the close frame's reason text, what it means for the client)."""
