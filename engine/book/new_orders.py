"""New orders as columns, and their validation.

An :class:`OrderBatch` is what a member submits: one row per order, int64 columns (interval
start [s], connection point code, side 0 = buy / 1 = sell, price [tick], quantity [Wh]) and
optional client order ids. :func:`validate_batch` checks every row against the registry,
the calendar and the price bands, without touching market state, and returns every bad row
(a batch is all or nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
import numpy as np

from engine.model import wording
from engine.model.calendar import Calendar
from engine.model.columns import group_starts
from engine.model.registry import NO_OWNER, TRADING_ROLES, Registry
from engine.model.rejects import Reject, Rejected, column_shape_rejects

MAX_CLIENT_ORDER_ID = 64
MAX_REPORTED_ROWS = 100
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class OrderBatch:
    """Orders of one member, one row each."""

    interval_start: np.ndarray  # int64 [s]
    point: np.ndarray  # int64 connection point code
    side: np.ndarray  # int64: 0 buy, 1 sell
    price: np.ndarray  # int64 [tick]
    quantity: np.ndarray  # int64 [Wh]
    client_order_id: tuple[str | None, ...] | None = None
    _grouped: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return int(self.interval_start.shape[0])

    def grouped(self, length_s: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows by interval (intervals of ``length_s`` [s]): the distinct starts [s]
        and each row's index into them; computed once, as validation and the point limits
        both ask (:func:`~engine.model.columns.group_starts`)."""
        found = self._grouped.get(length_s)
        if found is None:
            found = self._grouped[length_s] = group_starts(self.interval_start, length_s)
        return found

    def take(self, rows: np.ndarray) -> OrderBatch:
        """The batch of ``rows`` only (row indices, in this order)."""
        ids = self.client_order_id
        return OrderBatch(
            *(getattr(self, name)[rows] for name in FIELDS),
            None if ids is None else tuple(ids[int(r)] for r in rows),
        )

    @classmethod
    def one(
        cls,
        interval_start: int,
        point: int,
        side: int,
        price: int,
        quantity: int,
        client_order_id: str | None = None,
    ) -> OrderBatch:
        def col(v: int) -> np.ndarray:
            return np.array([v], np.int64)

        ids = None if client_order_id is None else (client_order_id,)
        return cls(col(interval_start), col(point), col(side), col(price), col(quantity), ids)


FIELDS = ("interval_start", "point", "side", "price", "quantity")


class NewOrder(msgspec.Struct, frozen=True):
    """One order, as plain ints: the single-order path skips numpy altogether (a struct:
    built in ~0.1 us, where a frozen dataclass takes ~1.5 us, on every ``POST /v1/orders``)."""

    interval_start: int  # [s]
    point: int  # connection point code
    side: int  # 0 buy, 1 sell
    price: int  # [tick]
    quantity: int  # [Wh]
    client_order_id: str | None = None

    def content(self) -> tuple[int, int, int, int, int]:
        return (self.interval_start, self.point, self.side, self.price, self.quantity)


def validate_batch(
    batch: OrderBatch,
    member: int,
    registry: Registry,
    calendar: Calendar,
    band: Callable[[int], tuple[int, int]],
    now_s: int,
    tick: Decimal,
) -> list[Rejected]:
    """Return every reason to refuse rows of ``batch`` from member code ``member``; prices
    [tick] are named in PLN/MWh (``tick`` [PLN/MWh]), instants in RFC 3339
    (:mod:`engine.model.wording`)."""
    if registry.member_roles[member] not in TRADING_ROLES:
        role = registry.member_roles[member]
        return [Rejected(Reject.ROLE_FORBIDDEN, "member", f"a {role} member cannot trade")]
    if not registry.active[member]:
        message = wording.not_in_cluster(registry.member_ids[member])
        return [Rejected(Reject.ROLE_FORBIDDEN, "member", message)]
    malformed = column_shape_rejects(batch, FIELDS, "orders")
    if malformed:
        return malformed
    n = len(batch)
    if batch.client_order_id is not None and len(batch.client_order_id) != n:
        return [Rejected(Reject.BAD_VALUE, "client_order_id", f"must have {n} entries")]

    rejects: list[Rejected] = []

    def refuse(mask: np.ndarray, code: Reject, field: str, message: Callable[[int], str]) -> None:
        for row in np.flatnonzero(mask)[:MAX_REPORTED_ROWS]:
            rejects.append(Rejected(code, field, message(int(row)), int(row)))

    side, price, quantity = batch.side, batch.price, batch.quantity
    start, point = batch.interval_start, batch.point
    refuse((side != 0) & (side != 1), Reject.BAD_SIDE, "side", lambda r: "side must be buy or sell")
    refuse(
        quantity <= 0,
        Reject.BAD_QUANTITY,
        "quantity",
        lambda r: f"quantity must be > 0 Wh, was {quantity[r]}",
    )
    n_points = registry.owner.shape[0]
    known = (point >= 0) & (point < n_points)
    refuse(
        ~known,
        Reject.UNKNOWN_CONNECTION_POINT,
        "connection_point",
        lambda r: f"no connection point with code {point[r]}",
    )
    safe_point = np.where(known, point, 0)
    theirs = known & (registry.owner[safe_point] == member)
    refuse(
        known & ~theirs,
        Reject.NOT_YOUR_CONNECTION_POINT,
        "connection_point",
        lambda r: _not_yours(registry, int(point[r]), member),
    )
    limit = np.where(
        side == 0, registry.max_import_wh[safe_point], registry.max_export_wh[safe_point]
    )
    refuse(
        theirs & (quantity > limit),
        Reject.QUANTITY_ABOVE_LIMIT,
        "quantity",
        lambda r: wording.quantity_above_limit(
            quantity[r], limit[r], registry.point_ids[point[r]], side[r]
        ),
    )
    aligned = start % calendar.length_s == 0
    refuse(
        ~aligned,
        Reject.BAD_INTERVAL,
        "interval_start",
        lambda r: wording.not_an_interval_start(start[r], calendar),
    )
    # Open: the auction takes orders, or continuous trading runs (between the gates).
    is_open = (calendar.opens_at(start) <= now_s) & (now_s < calendar.final_gate(start))
    refuse(
        aligned & ~is_open,
        Reject.INTERVAL_NOT_OPEN,
        "interval_start",
        lambda r: wording.interval_not_open(start[r], calendar, now_s),
    )
    # Bands per distinct interval: a batch spans few intervals.
    distinct, which = batch.grouped(calendar.length_s)
    bands = np.array([band(s) for s in distinct.tolist()], np.int64).reshape(-1, 2)
    floor, cap = bands[which, 0], bands[which, 1]
    refuse(
        (price < floor) | (price > cap),
        Reject.PRICE_OUT_OF_BAND,
        "price",
        lambda r: wording.price_out_of_band(price[r], floor[r], cap[r], tick),
    )
    if batch.client_order_id is not None:
        seen: set[str] = set()
        for row, cid in enumerate(batch.client_order_id):
            if cid is None:
                continue
            if not isinstance(cid, str) or not 1 <= len(cid) <= MAX_CLIENT_ORDER_ID:
                rejects.append(
                    Rejected(
                        Reject.BAD_CLIENT_ORDER_ID,
                        "client_order_id",
                        f"client_order_id must be 1..{MAX_CLIENT_ORDER_ID} characters",
                        row,
                    )
                )
            elif cid in seen:
                rejects.append(
                    Rejected(
                        Reject.BAD_CLIENT_ORDER_ID,
                        "client_order_id",
                        f"client_order_id {cid!r} appears twice in the batch",
                        row,
                    )
                )
            seen.add(cid)
    rejects.sort(key=lambda r: r.row if r.row is not None else -1)
    return rejects


def validate_one(
    order: NewOrder,
    member: int,
    registry: Registry,
    calendar: Calendar,
    band: Callable[[int], tuple[int, int]],
    now_s: int,
    tick: Decimal,
) -> Rejected | None:
    """The first reason to refuse a single order, checking in the same order and with the
    same words as :func:`validate_batch` (a test holds the two together). Plain ints and
    the registry's lists throughout: it runs once per order of the single-order path."""
    role = registry.member_roles[member]
    if role not in TRADING_ROLES:
        return Rejected(Reject.ROLE_FORBIDDEN, "member", f"a {role} member cannot trade")
    if not registry.in_force[member]:
        message = wording.not_in_cluster(registry.member_ids[member])
        return Rejected(Reject.ROLE_FORBIDDEN, "member", message)
    start, point, side = order.interval_start, order.point, order.side
    price, quantity = order.price, order.quantity
    if not (
        type(start) is type(point) is type(side) is type(price) is type(quantity) is int
        and _INT64_MIN <= start <= _INT64_MAX
        and _INT64_MIN <= point <= _INT64_MAX
        and _INT64_MIN <= side <= _INT64_MAX
        and _INT64_MIN <= price <= _INT64_MAX
        and _INT64_MIN <= quantity <= _INT64_MAX
    ):  # the first field that is no int64 names the refusal
        for name in FIELDS:
            value = getattr(order, name)
            if type(value) is not int or not _INT64_MIN <= value <= _INT64_MAX:
                return Rejected(Reject.BAD_VALUE, name, f"{name} must be 1 int64 values")
    if side != 0 and side != 1:
        return Rejected(Reject.BAD_SIDE, "side", "side must be buy or sell", 0)
    if quantity <= 0:
        return Rejected(
            Reject.BAD_QUANTITY, "quantity", f"quantity must be > 0 Wh, was {quantity}", 0
        )
    owners = registry.owner_of
    if not 0 <= point < len(owners):
        message = f"no connection point with code {point}"
        return Rejected(Reject.UNKNOWN_CONNECTION_POINT, "connection_point", message, 0)
    if owners[point] != member:
        message = _not_yours(registry, point, member)
        return Rejected(Reject.NOT_YOUR_CONNECTION_POINT, "connection_point", message, 0)
    limit = (registry.import_limit if side == 0 else registry.export_limit)[point]
    if quantity > limit:
        message = wording.quantity_above_limit(quantity, limit, registry.point_ids[point], side)
        return Rejected(Reject.QUANTITY_ABOVE_LIMIT, "quantity", message, 0)
    length = calendar.length_s
    if start % length:
        message = wording.not_an_interval_start(start, calendar)
        return Rejected(Reject.BAD_INTERVAL, "interval_start", message, 0)
    # Open: from opens_at to the final gate (Calendar's arithmetic, inline).
    if not start - calendar.horizon * length <= now_s < start - calendar.gate_closure_s:
        message = wording.interval_not_open(start, calendar, now_s)
        return Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", message, 0)
    floor, cap = band(start)
    if not floor <= price <= cap:
        message = wording.price_out_of_band(price, floor, cap, tick)
        return Rejected(Reject.PRICE_OUT_OF_BAND, "price", message, 0)
    cid = order.client_order_id
    if cid is not None and (not isinstance(cid, str) or not 1 <= len(cid) <= MAX_CLIENT_ORDER_ID):
        message = f"client_order_id must be 1..{MAX_CLIENT_ORDER_ID} characters"
        return Rejected(Reject.BAD_CLIENT_ORDER_ID, "client_order_id", message, 0)
    return None


def _not_yours(registry: Registry, point: int, member: int) -> str:
    """Why a member's order may not name ``point``: another member's, or not in force."""
    owner = int(registry.owner[point])
    if owner == NO_OWNER:
        return wording.point_not_in_cluster(registry.point_ids[point])
    return (
        f"connection point {registry.point_ids[point]} belongs to member "
        f"{registry.member_ids[owner]}, not {registry.member_ids[member]}"
    )
