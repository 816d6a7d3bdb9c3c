"""Interval handlers: the calendar, one interval (indicative while open, result after the
gate), its aggregated depth, its auction's curves, its trades, and the coordinator's early
gate closure.

Reads first let the market catch up with the clock (``close_due_gates``: a gate the clock has
passed is closed and cleared) and wait until that is durable, so nothing shown can be lost.
"""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from engine import api
from engine.api.routes import MAX_CALENDAR
from engine.gateway import params, views
from engine.gateway.encoding import respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import from_rejected
from engine.gateway.quantities import moment, pln_mwh
from engine.market.market import Market
from engine.model.rejects import Rejected


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
    return respond(request, api.Calendar(moment(now), rows))


async def interval(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}: state, band, the indicative auction while open, the
    result once the gate has closed, and how many readings are missing once delivered."""
    params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    return respond(request, views.interval(market, start))


async def depth(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}/depth: open quantity per price, bids best first."""
    params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    tick = market.cluster.tick_pln_mwh
    bids, asks = market.depth(start)
    return respond(request, api.Depth(moment(start), _levels(bids, tick), _levels(asks, tick)))


async def book(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}/book: the auction's supply and demand levels, now while
    open, as cleared once the gate closed."""
    params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    tick = market.cluster.tick_pln_mwh
    at_gate, bids, asks = market.auction_levels(start)
    levels = _levels(bids, tick), _levels(asks, tick)
    return respond(request, api.AuctionBook(moment(start), at_gate, *levels))


def _levels(side: list[tuple[int, int]], tick: Decimal) -> tuple[api.Level, ...]:
    return tuple(api.Level(pln_mwh(p, tick), int(q)) for p, q in side)


async def trades(request: web.Request) -> web.Response:
    """GET /v1/intervals/{start}/trades: the caller's own trades (every trade, both sides,
    for the coordinator); empty before the gate closes."""
    who = params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)
    member = None if who.role == "coordinator" else who.code
    state = str(views.interval_state(market, start))
    listed = views.trade_list(market, start, member)
    return respond(request, api.Trades(moment(start), state, listed))  # type: ignore[arg-type]


async def close(request: web.Request) -> web.Response:
    """POST /v1/intervals/{start}/close (coordinator): close the auction gate now."""
    who = params.caller(request)
    start = params.interval(request)
    market = await caught_up(request)  # earlier gates the clock has passed close first
    done = market.close_gate(who.member_id, start)
    if isinstance(done, Rejected):
        raise from_rejected(done)
    await request.app[RUNTIME].durable(done.seq)
    state = str(views.interval_state(market, start))
    closure = api.GateClosure(moment(start), state, views.clearing(market, start))  # type: ignore[arg-type]
    return respond(request, closure)
