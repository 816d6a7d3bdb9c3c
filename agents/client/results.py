"""What the client SDK hands back: the API's own response types (:mod:`engine.api`).

Units are the API's: energy int [Wh] (``*_wh``), money int [grosz] (``*_grosz``), prices
exact :class:`~decimal.Decimal` [PLN/MWh] (never float), ratios ``Decimal`` with 6
decimals, instants aware UTC :class:`~datetime.datetime`. A field an answer leaves out is
``UNSET`` (falsy), one it sends as null is ``None``.

The only additions are the client's own: whether an acknowledgement was a retry
(``duplicate``). :func:`from_wire` builds any of them from a decoded answer; keys a type
does not know are ignored (the server may add fields).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from engine import api
from engine.api import (
    Cancelled,
    Depth,
    GateClosure,
    Indicative,
    Interval,
    Kpis,
    Level,
    Order,
    Replaced,
    Result,
    Statement,
    Trade,
)
from engine.api.wire import convert

T = TypeVar("T")

IntervalState = api.IntervalStatus  # an interval a request touched, and its state now
ReadingsAck = api.ReadingsRecorded


class OrderAck(api.OrderAccepted, frozen=True):
    duplicate: bool = False  # True: a retry of a known client_order_id, nothing new booked


class BatchAck(api.OrdersAccepted, frozen=True):
    duplicate: bool = False


def parse_instant(value: str | int) -> datetime:
    """``2026-01-01T01:00:00Z`` (or int seconds) -> an aware UTC datetime."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def from_wire(cls: type[T], data: Any, **extra: Any) -> T:
    """Build ``cls`` from a decoded answer ``data`` (plus ``extra`` fields as they are)."""
    value = convert(data, cls)
    return msgspec.structs.replace(value, **extra) if extra else value  # type: ignore[type-var]


__all__ = [
    "BatchAck",
    "Cancelled",
    "Depth",
    "GateClosure",
    "Indicative",
    "Interval",
    "IntervalState",
    "Kpis",
    "Level",
    "Order",
    "OrderAck",
    "ReadingsAck",
    "Replaced",
    "Result",
    "Statement",
    "Trade",
    "from_wire",
    "parse_instant",
]
