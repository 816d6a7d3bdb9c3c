"""Order handlers: submit (one, a list, columns), cancel, replace, list own orders.

The pipeline of a submission, top to bottom: decode the body into its type, convert units
at the edge (the usual single order in one step, :mod:`engine.gateway.single_order`), let
the market validate and book (all or nothing), count the orders (once per request), await
durability, acknowledge. A repeated ``client_order_id`` with the same content gets the
first answer again with 200 (nothing new booked); with other content 409.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
from aiohttp import web

from engine import api
from engine.api.routes import MAX_ORDERS_PAGE, ORDERS_PAGE
from engine.api.wire import Decoders
from engine.book.new_orders import OrderBatch
from engine.gateway import commands, params, single_order, validation, views
from engine.gateway.encoding import Loose, decode_typed, read_body, read_raw, read_typed, respond
from engine.gateway.keys import CALLER, METRICS, RUNTIME
from engine.gateway.problems import from_batch, from_rejected, unprocessable
from engine.gateway.quantities import price_ticks
from engine.market.market import BatchAccepted
from engine.model.rejects import Rejected

ORDERS: Decoders[api.NewOrder | list[api.NewOrder]] = Decoders(api.NewOrder | list[api.NewOrder])
COLUMNS = Decoders(api.OrderColumnsMsgpack, exact_numbers=False)  # floats: numpy checks them
JSON_COLUMNS = Decoders(api.OrderColumns, exact_numbers=False)


async def submit(request: web.Request) -> web.Response:
    """POST /v1/orders: one order object, or a list of them (one all-or-nothing batch).

    The single order is the hot path (thousands of requests a second): one typed decode,
    no numpy."""
    who = request[CALLER]
    app = request.app
    runtime = app[RUNTIME]
    market = runtime.market
    raw, json_body = await read_raw(request)
    tick = market.cluster.tick_pln_mwh
    codes = market.registry.point_code
    usual = single_order.decode(raw, json_body, codes, tick)
    if usual is not None:  # straight into the command
        order, point = usual
    else:  # any other body: decoded into the API's types, refused field by field
        body = decode_typed(raw, json_body, ORDERS)
        if type(body) is Loose:
            body = commands.loose_order(body)
        if type(body) is not api.NewOrder:
            batch, points = commands.order_rows(body, codes, tick)
            return await _submit_batch(request, who.member_id, batch, points)
        order, point = commands.new_order(body, codes, tick), body.connection_point
    done = market.submit(who.member_id, order)
    rejected = isinstance(done, Rejected)
    metrics = app[METRICS]
    if metrics is not None:
        buy = order.side == 0
        metrics.record_orders(int(buy), int(not buy), not rejected)
    if rejected:
        raise from_rejected(done, [point])
    await runtime.durable(done.seq)
    status = 200 if done.repeat else 201  # 200: a retry, nothing new was booked
    return respond(request, api.OrderAccepted(done.order_id, order.client_order_id), status)


async def submit_columns(request: web.Request) -> web.Response:
    """POST /v1/orders/batch: one array per field, vectorised."""
    who = params.caller(request)
    market = params.market(request)
    json_body = request.content_type == "application/json"
    cols = await read_typed(request, JSON_COLUMNS if json_body else COLUMNS)
    batch, points = commands.order_columns(
        cols, market.registry.point_code, market.cluster.tick_pln_mwh
    )
    return await _submit_batch(request, who.member_id, batch, points)


async def _submit_batch(
    request: web.Request, member_id: str, batch: OrderBatch, points: list[str]
) -> web.Response:
    market = params.market(request)
    done = market.submit_batch(member_id, batch)
    metrics = request.app[METRICS]
    if metrics is not None:
        sells = int(np.count_nonzero(batch.side == 1))
        metrics.record_orders(len(batch) - sells, sells, isinstance(done, BatchAccepted))
    if not isinstance(done, BatchAccepted):
        raise from_batch(done, points)
    await request.app[RUNTIME].durable(done.seq)
    status = 200 if done.repeat else 201  # the market says, not seq moving while we waited
    return respond(request, api.OrdersAccepted(tuple(done.order_ids.tolist())), status)


async def cancel(request: web.Request) -> web.Response:
    """DELETE /v1/orders/{order_id}: take an own, still active order out of its book."""
    who = params.caller(request)
    order_id = params.order_id(request)
    done = params.market(request).cancel(who.member_id, order_id)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    return respond(request, api.Cancelled(order_id, "cancelled"))


async def replace(request: web.Request) -> web.Response:
    """PATCH /v1/orders/{order_id}: new price and/or quantity; the order gets a new id (it
    queues anew)."""
    who = params.caller(request)
    order_id = params.order_id(request)
    market = params.market(request)
    body = await read_body(request)
    if not isinstance(body, dict):
        raise unprocessable("body", "the body must be an object with price and/or quantity_wh")
    if not body:
        raise unprocessable("price", "send price and/or quantity_wh")
    change = validation.one(body, api.OrderChange, "body")
    tick = market.cluster.tick_pln_mwh
    price = None if change.price is api.UNSET else price_ticks(change.price, tick)
    quantity = None if change.quantity_wh is api.UNSET else change.quantity_wh
    done = market.replace(who.member_id, order_id, price, quantity)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    return respond(request, api.Replaced(done.order_id, order_id))


async def list_own(request: web.Request) -> web.Response:
    """GET /v1/orders[?interval_start=&status=&cursor=&limit=]: a page of the caller's
    orders, oldest first, and the cursor of the next page (null on the last)."""
    who = params.caller(request)
    market = params.market(request)
    start: int | None = None
    if "interval_start" in request.query:
        start = params.instant(request, "interval_start")
    status = params.choice(request, "status", get_args(api.OrderStatus))
    after = params.order_id_after(request, "cursor")
    limit = params.count(request, "limit", ORDERS_PAGE, MAX_ORDERS_PAGE)
    page = market.order_page(who.member_id, after, limit, start, status)
    tick = market.cluster.tick_pln_mwh
    rows = [views.order(row, tick) for row in page.orders]
    return respond(request, api.Orders(rows, page.next_cursor))
