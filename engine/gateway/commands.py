"""Request bodies -> the engine's commands: orders (one, a list, columns), readings, bands.

Bodies arrive as the API's types (:mod:`engine.api`); this module converts their units
(:mod:`engine.gateway.quantities`) into the engine's integers. A body that did not decode
as its type arrives :class:`~engine.gateway.encoding.Loose`, and is checked against the
same type row by row (:mod:`engine.gateway.validation`) so that the problem names every
bad row. Connection point ids the cluster does not know become code -1, which the engine
refuses row by row like any other value.

Every function returns the command with the connection point ids as sent (so problems can
name them) or raises :class:`~engine.gateway.problems.Problem`.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np

from engine import api
from engine.book.new_orders import NewOrder, OrderBatch
from engine.gateway import validation
from engine.gateway.encoding import Loose
from engine.gateway.problems import Problem, row_problems
from engine.gateway.quantities import (
    RowErrors,
    column,
    instant,
    instant_column,
    int_column,
    price_column,
    price_ticks,
)
from engine.gateway.validation import check_rows
from engine.market.bands import BandBatch
from engine.settlement.metering import ReadingBatch

SIDES = {"buy": 0, "sell": 1}


def new_order(order: api.NewOrder, point_codes: dict[str, int], tick: Decimal) -> NewOrder:
    """One order -> the engine's NewOrder (the hot path: plain ints, no numpy)."""
    return NewOrder(  # positional: keywords cost a third more on the hot path
        instant(order.interval_start, "interval_start"),
        point_codes.get(order.connection_point, -1),
        SIDES[order.side],
        price_ticks(order.price, tick),
        order.quantity_wh,
        order.client_order_id,
    )


def loose_order(body: Loose) -> api.NewOrder | list[Any]:
    """A body of ``POST /v1/orders`` that did not decode as an order or a list of orders:
    a list comes back as it is (:func:`order_rows` names its bad rows); anything else is
    checked as one order (the problem with it is raised)."""
    if isinstance(body.value, list):
        return body.value
    return validation.one(body.value, api.NewOrder, "order")


def order_rows(
    rows: list[Any], point_codes: dict[str, int], tick: Decimal
) -> tuple[OrderBatch, list[str]]:
    """A list of orders (typed, or rows as decoded without a type) -> one batch (all or
    nothing); every bad row is named."""
    check_rows(rows, "orders")
    errors = RowErrors()
    if all(type(o) is api.NewOrder for o in rows):
        typed: list[api.NewOrder | None] = rows
    else:
        typed = validation.rows(rows, api.NewOrder, "order", errors)
    orders: list[NewOrder] = []
    points: list[str] = []
    for row, obj in enumerate(typed):
        if obj is None:
            continue
        try:
            orders.append(new_order(obj, point_codes, tick))
        except Problem as problem:
            errors.add_problem(row, problem)
            continue
        points.append(obj.connection_point)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    table = np.array([o.content() for o in orders], np.int64).reshape(-1, 5).T.copy()
    ids = tuple(o.client_order_id for o in orders)
    batch = OrderBatch(*table, None if all(c is None for c in ids) else ids)
    return batch, points


def order_columns(
    cols: api.OrderColumns | Loose | dict[str, Any], point_codes: dict[str, int], tick: Decimal
) -> tuple[OrderBatch, list[str]]:
    """Columns (typed, or decoded without a type) -> one batch (all or nothing), vectorised;
    every bad row is named. ``interval_start`` and ``quantity_wh`` may also come as msgpack
    ``bin``: raw little-endian int64, 8 bytes a row (read with no per-value decoding)."""
    if not isinstance(cols, api.OrderColumns):
        value = cols.value if isinstance(cols, Loose) else cols
        cols = validation.unchecked(value, api.OrderColumnsMsgpack, "batch")
    starts_in = column(cols.interval_start, "interval_start", None, int64=True)
    check_rows(starts_in, "interval_start")
    n = len(starts_in)
    errors = RowErrors()
    starts = instant_column(starts_in, "interval_start", errors)
    point_ids = column(cols.connection_point, "connection_point", n)
    points = _point_column(point_ids, point_codes, errors)
    # An unknown side is -1: the engine refuses it row by row (BAD_SIDE).
    sides = _codes(column(cols.side, "side", n), SIDES)
    prices = price_column(column(cols.price, "price", n), tick, "price", errors)
    quantities = int_column(
        column(cols.quantity_wh, "quantity_wh", n, int64=True), "quantity_wh", errors
    )
    ids = None
    if cols.client_order_id is not None:
        ids_in = column(cols.client_order_id, "client_order_id", n)
        for row, cid in enumerate(ids_in):
            if cid is not None and not isinstance(cid, str):
                errors.add(row, "client_order_id", "bad-client-order-id", "must be a string")
        ids = tuple(ids_in)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    return OrderBatch(starts, points, sides, prices, quantities, ids), point_ids


def readings(body: Any, point_codes: dict[str, int]) -> tuple[ReadingBatch, list[str]]:
    """``{"readings": [{...}, ...]}`` or columns (decoded without a type) -> a batch."""
    if isinstance(body, dict) and "readings" in body and len(body) == 1:
        objs = body["readings"]
        check_rows(objs, "readings")
        errors = RowErrors()
        typed = validation.rows(objs, api.Reading, "reading", errors)
        table = np.zeros((4, len(objs)), np.int64)
        points: list[str] = []
        for row, r in enumerate(typed):
            if r is None:
                continue
            try:
                start = instant(r.interval_start, "interval_start")
            except Problem as problem:
                errors.add_problem(row, problem)
                continue
            point = point_codes.get(r.connection_point, -1)
            table[:, row] = (start, point, r.import_wh, r.export_wh)
            points.append(r.connection_point)
        if errors.count:
            raise row_problems(errors.sorted(), errors.count)
        return ReadingBatch(*table), points
    cols = validation.unchecked(body, api.ReadingColumns, "readings")
    check_rows(cols.interval_start, "interval_start")
    n = len(cols.interval_start)
    errors = RowErrors()
    starts_in = column(cols.interval_start, "interval_start", n)
    starts = instant_column(starts_in, "interval_start", errors)
    point_ids = column(cols.connection_point, "connection_point", n)
    codes = _point_column(point_ids, point_codes, errors)
    imports = int_column(column(cols.import_wh, "import_wh", n), "import_wh", errors)
    exports = int_column(column(cols.export_wh, "export_wh", n), "export_wh", errors)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    return ReadingBatch(starts, codes, imports, exports), point_ids


def bands(body: Any, tick: Decimal) -> BandBatch:
    """``{"bands": [{"interval_start", "floor", "cap"}, ...]}`` -> a band batch."""
    validation.check_fields(body, api.Bands, "body")
    objs = body["bands"]
    check_rows(objs, "bands")
    errors = RowErrors()
    typed = validation.rows(objs, api.Band, "band", errors)
    table = np.zeros((3, len(objs)), np.int64)
    for row, b in enumerate(typed):
        if b is None:
            continue
        try:
            table[:, row] = (
                instant(b.interval_start, "interval_start"),
                price_ticks(b.floor, tick, "floor"),
                price_ticks(b.cap, tick, "cap"),
            )
        except Problem as problem:
            errors.add_problem(row, problem)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    return BandBatch(*table)


def _codes(values: list[Any], table: dict[str, int], *, uniform: bool = False) -> np.ndarray:
    """Map ids to codes, -1 for anything not in ``table``: ``map`` over ``dict.get`` runs
    in C, where a generator of the same lookups cost ~5 ms per 10,000 rows. ``uniform``:
    the column is likely one id (a batch for one connection point): then it is one lookup
    and a fill, once a set of the column has shown it."""
    try:
        if uniform and len(values) > 64 and len(distinct := set(values)) == 1:
            (only,) = distinct
            code = table.get(only, -1) if type(only) is str else -1
            return np.full(len(values), code, np.int64)
        return np.fromiter(map(table.get, values, repeat(-1)), np.int64, len(values))
    except TypeError:  # an unhashable value (a list, a map): look row by row
        return np.fromiter(
            (table.get(v, -1) if type(v) is str else -1 for v in values), np.int64, len(values)
        )


def _point_column(values: list[Any], point_codes: dict[str, int], errors: RowErrors) -> np.ndarray:
    """Connection point ids -> codes (-1 for an id the cluster does not know)."""
    codes = _codes(values, point_codes, uniform=True)
    for row in np.flatnonzero(codes == -1).tolist():
        if type(values[row]) is not str:
            errors.add(row, "connection_point", "bad-value", "connection_point must be a string id")
    return codes
