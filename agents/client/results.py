"""What the client SDK hands back: small frozen dataclasses read from the gateway's answers.

Units are the API's (see ``engine/gateway/openapi.py``): energy int Wh (``*_wh``), money int
grosz (``*_grosz``), prices PLN/MWh as exact :class:`~decimal.Decimal` (never float),
ratios ``Decimal`` with 6 decimals, instants aware UTC :class:`~datetime.datetime`.

:func:`from_wire` builds any of them from a decoded answer by the field annotations; keys
the class does not know are ignored (the server may add fields), missing optional ones are
``None``. A field whose wire name is a Python keyword (``from``) says so in its metadata.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def _wire(name: str) -> Any:
    """A field read from the wire key ``name`` (for keywords such as ``from``)."""
    return field(metadata={"wire": name})


@dataclass(frozen=True, slots=True)
class OrderAck:
    order_id: int
    client_order_id: str | None = None
    duplicate: bool = False  # True: a retry of a known client_order_id, nothing new booked


@dataclass(frozen=True, slots=True)
class BatchAck:
    order_ids: tuple[int, ...]
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Cancelled:
    order_id: int
    status: str


@dataclass(frozen=True, slots=True)
class Replaced:
    order_id: int  # the new id: a replaced order queues anew
    replaced_order_id: int


@dataclass(frozen=True, slots=True)
class Order:
    order_id: int
    interval_start: datetime
    connection_point: str
    side: str  # "buy" | "sell"
    price: Decimal  # [PLN/MWh]
    quantity_wh: int
    status: str  # "active" | "cancelled" | "cleared" | "continuous"
    filled_wh: int | None = None  # None before clearing
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    mechanism: str
    volume_wh: int
    price: Decimal | None = None
    buyer_price: Decimal | None = None
    seller_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Indicative:
    volume_wh: int
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    interval_start: datetime
    state: str  # planned | open | continuous | cleared | delivered | settled
    opens_at: datetime | None = None
    gate_closes_at: datetime | None = None
    delivered_at: datetime | None = None
    floor: Decimal | None = None
    cap: Decimal | None = None
    indicative: Indicative | None = None  # while open (single-interval answers only)
    result: Result | None = None  # once the gate has closed
    missing_readings: int | None = None  # once delivered


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    quantity_wh: int


@dataclass(frozen=True, slots=True)
class Depth:
    interval_start: datetime
    bids: tuple[Level, ...]  # best (highest) first
    asks: tuple[Level, ...]  # best (lowest) first


@dataclass(frozen=True, slots=True)
class Trade:
    """A member sees its own side (order_id, side, price); the coordinator both sides."""

    phase: str  # "auction" | "continuous"
    quantity_wh: int
    order_id: int | None = None
    side: str | None = None
    price: Decimal | None = None
    buyer: str | None = None
    seller: str | None = None
    buyer_order_id: int | None = None
    seller_order_id: int | None = None
    buyer_price: Decimal | None = None
    seller_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GateClosure:
    interval_start: datetime
    state: str
    result: Result | None = None


@dataclass(frozen=True, slots=True)
class IntervalState:
    interval_start: datetime
    state: str


@dataclass(frozen=True, slots=True)
class ReadingsAck:
    recorded: int
    intervals: tuple[IntervalState, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    member: str
    from_: datetime = _wire("from")
    to: datetime = _wire("to")
    intervals: int = 0
    pending: tuple[datetime, ...] = ()  # delivered intervals still missing readings
    bought_wh: int = 0
    sold_wh: int = 0
    shortfall_wh: int = 0
    surplus_wh: int = 0
    bought_grosz: int = 0
    sold_grosz: int = 0
    fee_grosz: int = 0
    shortfall_grosz: int = 0
    surplus_grosz: int = 0
    cost_grosz: int = 0
    baseline_grosz: int = 0
    savings_grosz: int = 0


@dataclass(frozen=True, slots=True)
class Kpis:
    from_: datetime = _wire("from")
    to: datetime = _wire("to")
    intervals: int = 0
    pending: tuple[datetime, ...] = ()
    import_wh: int = 0
    export_wh: int = 0
    local_use_wh: int = 0
    traded_wh: int = 0
    self_sufficiency: Decimal | None = None  # ratio
    self_consumption: Decimal | None = None
    traded_share: Decimal | None = None
    average_buyer_price: Decimal | None = None  # [PLN/MWh]
    average_seller_price: Decimal | None = None
    average_cap: Decimal | None = None
    average_floor: Decimal | None = None
    savings_grosz: int = 0


def parse_instant(value: str | int) -> datetime:
    """``2026-01-01T01:00:00Z`` (or int seconds) -> an aware UTC datetime."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    if hint is datetime:
        return parse_instant(value)
    if hint is Decimal:
        return Decimal(str(value))  # str: exact even if a server ever sent a number
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_convert(item, v) for v in value)
    if is_dataclass(hint):
        return from_wire(hint, value)  # type: ignore[arg-type]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_wire(cls: type[T], data: dict[str, Any], **extra: Any) -> T:
    """Build ``cls`` from a decoded answer ``data`` (plus ``extra`` fields as they are)."""
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key = f.metadata.get("wire", f.name)
        if key in data:
            kwargs[f.name] = _convert(hints[f.name], data[key])
        elif f.default is MISSING and f.name not in extra:
            kwargs[f.name] = None  # a required field the server left out: say so as None
    kwargs.update(extra)
    return cls(**kwargs)
