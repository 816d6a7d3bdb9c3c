"""The market's clock: ``GET /v1/clock`` (any member) and ``POST /v1/clock`` (coordinator).

A server started with ``klaster serve --scenario FILE`` runs on a simulated clock that only
moves when the coordinator sets it (``{"now": instant}``): a simulation drives a live
server through whole days in seconds. Gates the move passes close at once, earliest
first, and are durable before the answer. The clock never goes back (409
``clock-backwards``); on the wall clock the POST is 409 ``clock-not-simulated``.
"""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.gateway import params, validation
from engine.gateway.encoding import read_body, respond
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import Problem
from engine.gateway.quantities import instant, moment
from engine.model import wording
from engine.model.clock import SimulatedClock

US = 1_000_000


def _answer(request: web.Request) -> web.Response:
    clock = params.market(request).clock
    now = clock.now_us() // US
    simulated = isinstance(clock, SimulatedClock)
    return respond(request, api.Clock(moment(now), simulated))


async def read(request: web.Request) -> web.Response:
    """GET /v1/clock: the market's time and whether it is simulated."""
    params.caller(request)
    return _answer(request)


async def set_time(request: web.Request) -> web.Response:
    """POST /v1/clock (coordinator, simulated clock only): move the clock forward."""
    body = await read_body(request)
    if not isinstance(body, dict) or set(body) != {"now"}:
        raise Problem(422, "bad-value", 'the body must be {"now": instant}', "now")
    # In the instants' range, so every timestamp the clock gives a journal event fits it.
    t = instant(validation.one(body, api.ClockChange, "body").now, "now")
    market = params.market(request)
    clock = market.clock
    if not isinstance(clock, SimulatedClock):
        detail = "the server runs on the wall clock; only a simulated clock can be set"
        raise Problem(409, "clock-not-simulated", detail, "now")
    now = clock.now_us() // US
    if t < now:
        detail = f"the clock is at {wording.instant(now)} and never goes back"
        raise Problem(409, "clock-backwards", detail, "now")
    clock.advance_to(t * US)
    before = market.seq
    market.close_due_gates()
    if market.seq != before:
        await request.app[RUNTIME].durable(market.seq)
    return _answer(request)
