"""Statements and KPIs over a period ``?from=&to=`` (half-open, at most a year).

- GET /v1/statements: the caller's own statement; the coordinator may ask for any member's
  with ``?member=`` (anyone else asking for another member: 403). Intervals of the period
  that are delivered count; those with missing readings are listed in ``pending`` and left
  out of the totals. A statement carries the journal's durable head it rests on, to keep
  with it (see :class:`engine.api.Statement`).
- GET /v1/statements/members (the coordinator): every member's statement, a page of
  ``limit`` members at a time in member order; ``cursor`` is the last member id of the page
  before (``next_cursor``), null on the last page.
- GET /v1/kpis: the cluster's KPIs, for every authenticated member: they are aggregates
  over the whole cluster (no member's own figures), the kind a cluster publishes anyway.
"""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.api.routes import MAX_STATEMENTS_PAGE, STATEMENTS_PAGE
from engine.gateway import params, views
from engine.gateway.encoding import respond
from engine.gateway.intervals import caught_up
from engine.gateway.keys import RUNTIME
from engine.gateway.problems import Problem, unprocessable
from engine.settlement.bills import member_statement
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
    await _durable(request)
    # From here on no await: the state and the durable head below belong together.
    return respond(request, _statements(request, [member_id], start, end)[0])


async def statement_page(request: web.Request) -> web.Response:
    params.caller(request, "coordinator")
    market = await caught_up(request)
    start, end = params.period(request)
    limit = params.count(request, "limit", STATEMENTS_PAGE, MAX_STATEMENTS_PAGE)
    ids = market.registry.member_ids
    after = request.query.get("cursor")
    if after is not None and after not in market.registry.member_code:
        raise unprocessable("cursor", f"cursor must be a member id, was {after!r:.60}")
    first = 0 if after is None else market.registry.member_code[after] + 1
    page = list(ids[first : first + limit])
    await _durable(request)
    # From here on no await: the state and the durable head below belong together.
    rows = _statements(request, page, start, end) if page else []
    more = first + limit < len(ids)
    return respond(request, api.StatementPage(tuple(rows), page[-1] if more and page else None))


async def _durable(request: web.Request) -> None:
    """Rest on nothing that could still be lost: events may arrive while a commit is
    awaited, so wait again until the state's last event is durable (one group commit a
    round)."""
    runtime, market = request.app[RUNTIME], params.market(request)
    while runtime.head.seq < market.seq:
        await runtime.durable(market.seq)


def _statements(request: web.Request, members: list[str], start: int, end: int) -> list:
    """The statements of ``members`` over [start, end), with the durable head, no await."""
    market, head = params.market(request), request.app[RUNTIME].head
    starts, settled = market.settlement(start, end)
    _, points = market.point_statements(start, end)
    tick = market.cluster.tick_pln_mwh
    out = []
    for member_id in members:
        code = market.registry.member_code[member_id]
        s = settle_statement(settled, code, tick_pln_mwh=tick)
        billed = member_statement(points, member_id)
        length = market.cluster.interval_seconds
        out.append(views.statement(member_id, s, starts, start, end, head, billed, length))
    return out


async def kpis(request: web.Request) -> web.Response:
    params.caller(request)
    market = await caught_up(request)
    start, end = params.period(request)
    starts, _ = market.settlement(start, end)
    k = market.kpis(start, end)
    tick = market.cluster.tick_pln_mwh
    return respond(request, views.kpis(k, starts, tick, start, end))
