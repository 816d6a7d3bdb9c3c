"""Orders (what a member submits, what it gets back, its orders as listed) and the price
bands the coordinator publishes for them.

A single order and a list of orders go to ``POST /v1/orders``; columns (one array per
field, vectorised on the server) to ``POST /v1/orders/batch``. A repeated
``client_order_id`` with the same content is answered with the first acknowledgement.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from engine.api.values import (
    Count,
    Instant,
    InstantColumn,
    InstantIn,
    OrderId,
    Price,
    PriceInput,
    Side,
    SideCell,
    Wh,
    WhColumn,
)

ClientOrderId = Annotated[
    str,
    Meta(
        description="the client's own id, unique per member",
        extra_json_schema={"minLength": 1, "maxLength": 64},
    ),
]
OrderStatus = Literal["active", "cancelled", "cleared", "continuous"]
Quantity = Annotated[int, Meta(ge=-(2**63 - 1), le=2**63 - 1, extra_json_schema={"minimum": 1})]


class NewOrder(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One order: sell or buy ``quantity_wh`` [Wh] at ``price`` [PLN/MWh] or better,
    delivered in the interval starting at ``interval_start``."""

    interval_start: InstantIn
    connection_point: str
    side: Side
    price: PriceInput
    quantity_wh: Annotated[Quantity, Meta(description="[Wh], > 0")]
    client_order_id: ClientOrderId | None = None


class OrderColumns(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Orders as columns, one array per field, all of one length (all or nothing)."""

    interval_start: list[InstantIn]
    connection_point: list[str]
    side: list[SideCell]
    price: list[Annotated[float | str, Meta(description="[PLN/MWh]")]]
    quantity_wh: list[Annotated[int, Meta(description="[Wh]")]]
    client_order_id: list[str | None] | None = None


class OrderColumnsMsgpack(OrderColumns, frozen=True, forbid_unknown_fields=True):
    """OrderColumns in msgpack, where the int64 columns may also be msgpack
    ``bin``: raw little-endian int64 values, 8 bytes a row, as many rows as the other
    columns (read without decoding each value: the fast form for large batches)."""

    interval_start: InstantColumn  # type: ignore[assignment]
    quantity_wh: WhColumn  # type: ignore[assignment]


class OrderChange(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A new price [PLN/MWh] and/or quantity [Wh] for an active order (at least one)."""

    price: PriceInput | UnsetType = UNSET
    quantity_wh: Quantity | UnsetType = UNSET


class OrderAccepted(Struct, frozen=True):
    """One order booked (201) or a retry of a known ``client_order_id`` (200)."""

    order_id: OrderId
    client_order_id: str | None


class OrdersAccepted(Struct, frozen=True):
    """A batch booked, one id per row in the order sent (a retried row keeps its id)."""

    order_ids: tuple[OrderId, ...]


class Cancelled(Struct, frozen=True):
    order_id: OrderId
    status: Literal["cancelled"]


class Replaced(Struct, frozen=True):
    """The replacement's new id (it queues anew) and the id it replaced."""

    order_id: OrderId
    replaced_order_id: OrderId


class Order(Struct, frozen=True):
    """One of a member's orders."""

    order_id: OrderId
    interval_start: Instant
    connection_point: str
    side: Side
    price: Price
    quantity_wh: Wh
    status: OrderStatus
    filled_wh: Annotated[int, Meta(description="[Wh], null before clearing")] | None = None
    client_order_id: str | None = None


class Orders(Struct, frozen=True):
    """A page of the caller's orders, oldest (lowest order id) first. Ask for the next page
    with ``cursor=next_cursor``; ``next_cursor`` is null on the last page. A page may hold
    fewer than ``limit`` orders (even none) and still have a next one: walk until null."""

    orders: list[Order]
    next_cursor: Annotated[OrderId, Meta(description="the cursor of the next page")] | None = None


class Band(Struct, frozen=True, forbid_unknown_fields=True):
    """A price band for one interval [PLN/MWh]: orders must price within it."""

    interval_start: InstantIn
    floor: PriceInput
    cap: PriceInput


class Bands(Struct, frozen=True, forbid_unknown_fields=True):
    bands: list[Band]


class PublishedBand(Struct, frozen=True):
    interval_start: Instant
    floor: Price
    cap: Price


class BandsPublished(Struct, frozen=True):
    published: Count
    bands: list[PublishedBand]
