"""What a standby answers while another process leads its cluster (``klaster serve
--standby``, :mod:`engine.cli.standby`).

- ``/healthz``: 200, the process is alive, with the journal's head the standby replayed to
  (the same body as a leader's);
- ``/readyz``: 503 ``not-ready``: a standby takes no traffic (a load balancer or a client
  that routes on ``/readyz`` sends everything to the leader);
- anything else: 503 ``not-leader``, naming the leader's session as PostgreSQL reports it
  and ``Retry-After: 1``: nothing was done. A standby answers no reads either: its state
  trails the leader's by the time a notification takes, and an answer from it could say an
  acknowledged order is missing.

Every answer carries ``Klaster-Role: standby``; the leader's gateway is the ordinary one
(:func:`engine.gateway.create_app`), which takes over the port at promotion.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from engine import api
from engine.api.wire import to_json
from engine.gateway import views
from engine.gateway.problems import Problem
from engine.store.chain import Head

ROLE_HEADER = "Klaster-Role"
RETRY_S = 1  # Retry-After of not-leader [s]: a takeover takes about this long


def standby_app(
    cluster_id: str, head: Callable[[], Head], leader: Callable[[], str]
) -> web.Application:
    """The standby's app: ``head()`` is the replayed journal's head, ``leader()`` names the
    session that holds the writer lock."""
    role = {ROLE_HEADER: "standby"}

    async def healthz(_request: web.Request) -> web.Response:
        body = to_json(api.Health("ok", views.journal_head(head())))
        return web.Response(body=body, content_type="application/json", headers=role)

    async def readyz(_request: web.Request) -> web.Response:
        detail = f"a standby of cluster {cluster_id}, replayed to seq {head().seq}"
        return Problem(503, "not-ready", detail, headers=role).response()

    async def elsewhere(_request: web.Request) -> web.Response:
        detail = (
            f"this server is a standby of cluster {cluster_id}; {leader()} leads it: send the "
            f"request there, or again here in {RETRY_S} s in case this one took over"
        )
        headers = {**role, "Retry-After": str(RETRY_S)}
        return Problem(503, "not-leader", detail, headers=headers).response()

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_route("*", "/{tail:.*}", elsewhere)
    return app
