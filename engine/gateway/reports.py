"""Statements and KPIs over a period ``?from=&to=`` (half-open, at most a year).

- GET /v1/statements: the caller's own statement; the coordinator may ask for any member's
  with ``?member=`` (anyone else asking for another member: 403). Intervals of the period
  that are delivered count; those with missing readings are listed in ``pending`` and left
  out of the totals. A statement carries the journal's durable head it rests on, to keep
  with it (see :class:`engine.api.Statement`).
- GET /v1/kpis: the cluster's KPIs, for every authenticated member: they are aggregates
  over the whole cluster (no member's own figures), the kind a cluster publishes anyway.
"""

from __future__ import annotations

from aiohttp import web

from engine.gateway import params, views
from engine.gateway.encoding import respond
from engine.gateway.intervals import caught_up
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import Problem
from engine.settlement.settle import statement as settle_statement


async def statements(request: web.Request) -> web.Response:
    who = params.caller(request)
    market = await caught_up(request)
    member_id = request.query.get("member", who.member_id)
    if member_id != who.member_id:
        if who.role != "coordinator":
            raise Problem(403, "role-forbidden", "only the coordinator sees other statements")
        if member_id not in market.registry.member_code:
            raise Problem(404, "unknown-member", f"no member {member_id!r:.60}", "member")
    start, end = params.period(request)
    runtime = request.app[RUNTIME]
    # Rest on nothing that could still be lost: events may arrive while a commit is awaited,
    # so wait again until the state's last event is durable (each round is one group commit).
    while runtime.head.seq < market.seq:
        await runtime.durable(market.seq)
    # From here on no await: the state and the durable head below belong together.
    starts, settled = market.settlement(start, end)
    code = market.registry.member_code[member_id]
    s = settle_statement(settled, code, tick_pln_mwh=market.cluster.tick_pln_mwh)
    return respond(request, views.statement(member_id, s, starts, start, end, runtime.head))


async def kpis(request: web.Request) -> web.Response:
    params.caller(request)
    market = await caught_up(request)
    start, end = params.period(request)
    starts, _ = market.settlement(start, end)
    k = market.kpis(start, end)
    tick = market.cluster.tick_pln_mwh
    return respond(request, views.kpis(k, starts, tick, start, end))
