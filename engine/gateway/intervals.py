"""Interval handlers: the calendar, one interval (indicative while open, result after the
gate), its aggregated depth, its trades, and the coordinator's early gate closure.

Reads first let the market catch up with the clock (``advance``: a gate the clock has
passed is closed and cleared) and wait until that is durable, so nothing shown can be lost.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.gateway import params, views
from engine.gateway.encoding import respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import from_rejected
from engine.gateway.quantities import format_instant, format_price
from engine.market.market import Market
from engine.model.calendar import IntervalState
from engine.model.rejects import Rejected

MAX_CALENDAR = 31 * 96  # a month of 15-minute intervals


async def caught_up(request: web.Request) -> Market:
    """The market, with every gate the clock has passed closed and durable."""
    market = params.market(request)
    before = market.seq
    market.close_due_gates()
    if market.seq != before:
        await request.app[RUNTIME].durable(market.seq)
    return market


async def calendar(request: web.Request) -> web.Response:
    """GET /v1/intervals[?from=&count=]: intervals from ``from`` (default: the one being
    delivered now) with their states and gate times."""
    params.caller(request)
    market = await caught_up(request)
    cal = market.calendar
    now = market.clock.now_us() // 1_000_000
    first = cal.start_of(params.instant(request, "from", default=cal.start_of(now)))
    n = params.count(
        request, "count", default=min(cal.horizon + 1, MAX_CALENDAR), maximum=MAX_CALENDAR
    )
    rows = [views.calendar_entry(market, first + i * cal.length_s) for i in range(n)]
    return respond(request, {"now": format_instant(now), "intervals": rows})


async def interval(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}: state, band, the indicative auction while open, the
    result once the gate has closed, and how many readings are missing once delivered."""
    params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    body: dict[str, Any] = views.calendar_entry(market, start)
    state = views.interval_state(market, start)
    if state == IntervalState.OPEN:
        indicative = market.indicative(start)
        tick = market.cluster.tick_pln_mwh
        body["indicative"] = {
            "volume_wh": int(indicative.volume),
            "price": views.price(indicative.price, tick),
        }
    body["result"] = views.result(market, start)
    if state in (IntervalState.DELIVERED, IntervalState.SETTLED):
        body["missing_readings"] = len(market.readings.missing_points(start))
    return respond(request, body)


async def depth(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}/depth: open quantity per price, bids best first."""
    params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    tick = market.cluster.tick_pln_mwh
    bids, asks = market.depth(start)

    def levels(side: list[tuple[int, int]]) -> list[dict[str, Any]]:
        return [{"price": format_price(p, tick), "quantity_wh": int(q)} for p, q in side]

    return respond(
        request,
        {"interval_start": format_instant(start), "bids": levels(bids), "asks": levels(asks)},
    )


async def trades(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}/trades: the caller's own trades (every trade, both sides,
    for the coordinator); empty before the gate closes."""
    who = params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    member = None if who.role == "coordinator" else who.code
    return respond(
        request,
        {
            "interval_start": format_instant(start),
            "state": str(views.interval_state(market, start)),
            "trades": views.trades(market, start, member),
        },
    )


async def close(request: web.Request) -> web.Response:
    """POST /v1/intervals/{start}/close (coordinator): close the auction gate now."""
    who = params.caller(request, "coordinator")
    start = params.interval(request)
    market = await caught_up(request)  # earlier gates the clock has passed close first
    done = market.close_gate(who.member_id, start)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    body = {
        "interval_start": format_instant(start),
        "state": str(views.interval_state(market, start)),
        "result": views.result(market, start),
    }
    return respond(request, body)
