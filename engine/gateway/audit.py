"""``GET /v1/audit`` and ``POST /v1/audit`` (the coordinator's): the last check of the
journal's hash chain and checkpoint, and checking it again.

``klaster serve`` checks the whole chain as it starts (a journal failing it is not served),
so the first answer is that check; a POST checks the durable journal again up to its head
of the moment, in a thread with a reader of its own, while the market goes on
(:meth:`engine.market.runtime.Runtime.reaudit`). A check finding a fault answers 200 with
``ok`` false: the check ran; what it found is the answer.
"""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.gateway.encoding import respond
from engine.gateway.keys import RUNTIME
from engine.gateway.quantities import moment
from engine.market.recovery import Audit

US = 1_000_000


async def read(request: web.Request) -> web.Response:
    """GET /v1/audit: the last check (roles are enforced by the route table)."""
    return respond(request, _view(request.app[RUNTIME].audit))


async def run(request: web.Request) -> web.Response:
    """POST /v1/audit: check again and answer the new result."""
    return respond(request, _view(await request.app[RUNTIME].reaudit()))


def _view(audit: Audit) -> api.Audit:
    report = audit.report
    return api.Audit(
        checked_at=moment(audit.checked_us // US),  # whole seconds, as every instant
        ok=report.ok,
        events=report.events,
        journal=api.JournalHead(report.events, report.head_hash.hex()),
        first_bad_seq=report.first_bad_seq,
        problem=None if report.ok else f"{report.problem}: {report.detail}",
    )
