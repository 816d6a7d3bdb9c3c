"""What the WebSocket ``/v1/stream`` sends: one message type each, told apart by ``"type"``.

A message leaves only once the event behind it is durable; a member hears the cluster's
intervals and bands and only its own fills. JSON text frames, or msgpack binary frames with
``?format=msgpack`` (instants and prices as strings, as in JSON).
"""

from __future__ import annotations

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


StreamMessage = Hello | IntervalChanged | Fill | PriceBandsChanged
"""Any message of the stream (decode with this union: the ``type`` picks the struct)."""
