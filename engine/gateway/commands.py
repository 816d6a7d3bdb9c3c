"""Request bodies -> the engine's commands: orders (one, a list, columns), readings, bands.

Field names and units are the API's (:mod:`engine.gateway.quantities`): ``interval_start``,
``connection_point`` (the string id), ``side`` (``"buy"``/``"sell"``), ``price``
[PLN/MWh], ``quantity_wh`` [Wh], ``client_order_id``; readings ``import_wh``,
``export_wh`` [Wh]; bands ``floor``, ``cap`` [PLN/MWh]. Objects with unknown fields are
refused (a misspelt field must not be silently ignored). Connection point ids the cluster
does not know become code -1, which the engine refuses row by row like any other value.

Every function returns the command with the connection point ids as sent (so problems can
name them) or raises :class:`~engine.gateway.problems.Problem`.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np

from engine.book.new_orders import NewOrder, OrderBatch
from engine.gateway.problems import Problem, row_problems, unprocessable
from engine.gateway.quantities import (
    RowErrors,
    column,
    instant_column,
    int_column,
    parse_energy,
    parse_instant,
    parse_price,
    price_column,
)
from engine.market.bands import BandBatch
from engine.settlement.metering import ReadingBatch

ORDER_FIELDS = ("interval_start", "connection_point", "side", "price", "quantity_wh")
OPTIONAL_ORDER_FIELDS = ("client_order_id",)
READING_FIELDS = ("interval_start", "connection_point", "import_wh", "export_wh")
BAND_FIELDS = ("interval_start", "floor", "cap")
SIDES = {"buy": 0, "sell": 1}
MAX_ROWS = 1_000_000  # rows of one request (the body limit is the real bound)


def _fields(obj: Any, required: tuple[str, ...], optional: tuple[str, ...], what: str) -> None:
    if not isinstance(obj, dict):
        raise unprocessable(what, f"{what} must be an object, was {type(obj).__name__}")
    for name in required:
        if name not in obj:
            raise unprocessable(name, f"{name} is required")
    unknown = [k for k in obj if k not in required and k not in optional]
    if unknown:
        raise unprocessable(str(unknown[0]), f"unknown field {str(unknown[0])!r} in {what}")


def _side(value: Any) -> int:
    side = SIDES.get(value) if isinstance(value, str) else None
    if side is None:
        raise unprocessable("side", f'side must be "buy" or "sell", was {value!r:.40}')
    return side


def _client_order_id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise unprocessable("client_order_id", "client_order_id must be a string")


def _point(value: Any, point_codes: dict[str, int]) -> tuple[int, str]:
    if not isinstance(value, str):
        raise unprocessable("connection_point", "connection_point must be a string id")
    return point_codes.get(value, -1), value


def new_order(body: Any, point_codes: dict[str, int], tick: Decimal) -> tuple[NewOrder, str]:
    """One order object -> (NewOrder, the connection point id as sent)."""
    _fields(body, ORDER_FIELDS, OPTIONAL_ORDER_FIELDS, "order")
    point, point_id = _point(body["connection_point"], point_codes)
    order = NewOrder(
        interval_start=parse_instant(body["interval_start"], "interval_start"),
        point=point,
        side=_side(body["side"]),
        price=parse_price(body["price"], tick),
        quantity=parse_energy(body["quantity_wh"], "quantity_wh"),
        client_order_id=_client_order_id(body.get("client_order_id")),
    )
    return order, point_id


def order_rows(
    rows: list[Any], point_codes: dict[str, int], tick: Decimal
) -> tuple[OrderBatch, list[str]]:
    """A list of order objects -> one batch (all or nothing)."""
    _check_rows(rows, "orders")
    errors = RowErrors()
    orders: list[NewOrder] = []
    points: list[str] = []
    for row, obj in enumerate(rows):
        try:
            order, point_id = new_order(obj, point_codes, tick)
        except Problem as problem:
            errors.add_problem(row, problem)
            continue
        orders.append(order)
        points.append(point_id)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    table = np.array([o.content() for o in orders], np.int64).reshape(-1, 5).T.copy()
    ids = tuple(o.client_order_id for o in orders)
    batch = OrderBatch(*table, None if all(c is None for c in ids) else ids)
    return batch, points


def order_columns(
    body: Any, point_codes: dict[str, int], tick: Decimal
) -> tuple[OrderBatch, list[str]]:
    """Columns (one array per field) -> one batch (all or nothing), vectorised.

    ``interval_start`` and ``quantity_wh`` may also come as msgpack ``bin``: raw
    little-endian int64, 8 bytes a row (read with no per-value decoding at all)."""
    _fields(body, ORDER_FIELDS, OPTIONAL_ORDER_FIELDS, "batch")
    starts_in = column(body, "interval_start", None, int64=True)
    _check_rows(starts_in, "interval_start")
    n = len(starts_in)
    errors = RowErrors()
    starts = instant_column(starts_in, "interval_start", errors)
    point_ids = column(body, "connection_point", n)
    points = _point_column(point_ids, point_codes, errors)
    sides_in = column(body, "side", n)
    # An unknown side is -1: the engine refuses it row by row (BAD_SIDE).
    sides = _codes(sides_in, SIDES)
    prices = price_column(column(body, "price", n), tick, "price", errors)
    quantities = int_column(column(body, "quantity_wh", n, int64=True), "quantity_wh", errors)
    ids = None
    if body.get("client_order_id") is not None:
        ids_in = column(body, "client_order_id", n)
        for row, cid in enumerate(ids_in):
            if cid is not None and not isinstance(cid, str):
                errors.add(row, "client_order_id", "bad-client-order-id", "must be a string")
        ids = tuple(ids_in)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    return OrderBatch(starts, points, sides, prices, quantities, ids), point_ids


def readings(body: Any, point_codes: dict[str, int]) -> tuple[ReadingBatch, list[str]]:
    """``{"readings": [{...}, ...]}`` or columns -> a reading batch."""
    if isinstance(body, dict) and "readings" in body and len(body) == 1:
        rows = body["readings"]
        _check_rows(rows, "readings")
        errors = RowErrors()
        table = np.zeros((4, len(rows)), np.int64)
        points: list[str] = []
        for row, obj in enumerate(rows):
            try:
                _fields(obj, READING_FIELDS, (), "reading")
                point, point_id = _point(obj["connection_point"], point_codes)
                table[:, row] = (
                    parse_instant(obj["interval_start"], "interval_start"),
                    point,
                    parse_energy(obj["import_wh"], "import_wh"),
                    parse_energy(obj["export_wh"], "export_wh"),
                )
                points.append(point_id)
            except Problem as problem:
                errors.add_problem(row, problem)
        if errors.count:
            raise row_problems(errors.sorted(), errors.count)
        return ReadingBatch(*table), points
    _fields(body, READING_FIELDS, (), "readings")
    n = len(column(body, "interval_start", None))
    _check_rows(body["interval_start"], "interval_start")
    errors = RowErrors()
    starts = instant_column(column(body, "interval_start", n), "interval_start", errors)
    point_ids = column(body, "connection_point", n)
    codes = _point_column(point_ids, point_codes, errors)
    imports = int_column(column(body, "import_wh", n), "import_wh", errors)
    exports = int_column(column(body, "export_wh", n), "export_wh", errors)
    if errors.count:
        raise row_problems(errors.sorted(), errors.count)
    return ReadingBatch(starts, codes, imports, exports), point_ids


def bands(body: Any, tick: Decimal) -> BandBatch:
    """``{"bands": [{"interval_start", "floor", "cap"}, ...]}`` -> a band batch."""
    _fields(body, ("bands",), (), "body")
    rows = body["bands"]
    _check_rows(rows, "bands")
    errors = RowErrors()
    table = np.zeros((3, len(rows)), np.int64)
    for row, obj in enumerate(rows):
        try:
            _fields(obj, BAND_FIELDS, (), "band")
            table[:, row] = (
                parse_instant(obj["interval_start"], "interval_start"),
                parse_price(obj["floor"], tick, "floor"),
                parse_price(obj["cap"], tick, "cap"),
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


def _check_rows(rows: Any, field: str) -> None:
    if not isinstance(rows, list | np.ndarray):
        raise unprocessable(field, f"{field} must be an array")
    if not len(rows):
        raise unprocessable(field, f"{field} must not be empty", "empty-batch")
    if len(rows) > MAX_ROWS:
        raise unprocessable(field, f"{field} may have at most {MAX_ROWS} rows")
