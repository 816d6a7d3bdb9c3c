"""Order handlers: submit (one, a list, columns), cancel, replace, list own orders.

The pipeline of a submission, top to bottom: decode the body, convert units at the edge,
let the market validate and book (all or nothing), count the orders (once per request),
await durability, acknowledge. A repeated ``client_order_id`` with the same content gets
the first answer again with 200 (nothing new booked); with other content 409.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from aiohttp import web

from engine.book.new_orders import OrderBatch
from engine.gateway import commands, params, views
from engine.gateway.encoding import JSON, encode, json_string, read_body, respond
from engine.gateway.keys import CALLER, FORMAT, METRICS, RUNTIME
from engine.gateway.problems import from_batch, from_rejected, unprocessable
from engine.gateway.quantities import parse_energy, parse_price
from engine.market.market import BatchAccepted
from engine.model.rejects import Rejected


async def submit(request: web.Request) -> web.Response:
    """POST /v1/orders: one order object, or a list of them (one all-or-nothing batch).

    The single order is the hot path (thousands of requests a second): no numpy, no dict
    for the answer, which is written straight to bytes (:func:`_accepted`)."""
    who = request[CALLER]
    app = request.app
    runtime = app[RUNTIME]
    market = runtime.market
    body = await read_body(request)
    tick = market.cluster.tick_pln_mwh
    if isinstance(body, list):
        batch, points = commands.order_rows(body, market.registry.point_code, tick)
        return await _submit_batch(request, who.member_id, batch, points)
    order, point = commands.new_order(body, market.registry.point_code, tick)
    before = market.seq
    done = market.submit(who.member_id, order)
    rejected = isinstance(done, Rejected)
    metrics = app[METRICS]
    if metrics is not None:
        buy = order.side == 0
        metrics.record_orders(int(buy), int(not buy), not rejected)
    if rejected:
        raise from_rejected(done, [point])
    await runtime.durable(done.seq)
    status = 201 if market.seq != before else 200  # 200: a retry, nothing new was booked
    return _accepted(request, done.order_id, order.client_order_id, status)


def _accepted(
    request: web.Request, order_id: int, client_order_id: str | None, status: int
) -> web.Response:
    """``{"order_id": ..., "client_order_id": ...}`` in the negotiated media type: the very
    bytes :func:`~engine.gateway.encoding.respond` would write, without building a dict."""
    media = request.get(FORMAT, JSON)
    if media == JSON:
        cid = b"null" if client_order_id is None else json_string(client_order_id)
        body = b'{"order_id":%d,"client_order_id":%b}' % (order_id, cid)
    else:
        body = encode(media, {"order_id": order_id, "client_order_id": client_order_id})
    return web.Response(body=body, status=status, content_type=media)


async def submit_columns(request: web.Request) -> web.Response:
    """POST /v1/orders/batch: one array per field, vectorised."""
    who = params.caller(request)
    market = params.market(request)
    body = await read_body(request, exact=False)  # floats: converted by numpy, exactly
    batch, points = commands.order_columns(
        body, market.registry.point_code, market.cluster.tick_pln_mwh
    )
    return await _submit_batch(request, who.member_id, batch, points)


async def _submit_batch(
    request: web.Request, member_id: str, batch: OrderBatch, points: list[str]
) -> web.Response:
    market = params.market(request)
    before = market.seq
    done = market.submit_batch(member_id, batch)
    metrics = request.app[METRICS]
    if metrics is not None:
        sells = int(np.count_nonzero(batch.side == 1))
        metrics.record_orders(len(batch) - sells, sells, isinstance(done, BatchAccepted))
    if not isinstance(done, BatchAccepted):
        raise from_batch(done, points)
    await request.app[RUNTIME].durable(done.seq)
    status = 201 if market.seq != before else 200
    return respond(request, {"order_ids": done.order_ids.tolist()}, status)


async def cancel(request: web.Request) -> web.Response:
    """DELETE /v1/orders/{order_id}: take an own, still active order out of its book."""
    who = params.caller(request)
    order_id = params.order_id(request)
    done = params.market(request).cancel(who.member_id, order_id)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    return respond(request, {"order_id": order_id, "status": "cancelled"})


async def replace(request: web.Request) -> web.Response:
    """PATCH /v1/orders/{order_id}: new price and/or quantity; the order gets a new id (it
    queues anew)."""
    who = params.caller(request)
    order_id = params.order_id(request)
    market = params.market(request)
    body = await read_body(request)
    if not isinstance(body, dict):
        raise unprocessable("body", "the body must be an object with price and/or quantity_wh")
    unknown = [k for k in body if k not in ("price", "quantity_wh")]
    if unknown:
        raise unprocessable(str(unknown[0]), f"unknown field {str(unknown[0])!r}")
    if not body:
        raise unprocessable("price", "send price and/or quantity_wh")
    price = parse_price(body["price"], market.cluster.tick_pln_mwh) if "price" in body else None
    quantity = parse_energy(body["quantity_wh"], "quantity_wh") if "quantity_wh" in body else None
    done = market.replace(who.member_id, order_id, price, quantity)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    return respond(request, {"order_id": done.order_id, "replaced_order_id": order_id})


async def list_own(request: web.Request) -> web.Response:
    """GET /v1/orders[?interval_start=]: the caller's orders, oldest first."""
    who = params.caller(request)
    market = params.market(request)
    start: int | None = None
    if "interval_start" in request.query:
        start = params.instant(request, "interval_start")
    tick = market.cluster.tick_pln_mwh
    rows: list[dict[str, Any]] = [
        views.order(row, tick) for row in market.orders(who.member_id, start)
    ]
    return respond(request, {"orders": rows})
