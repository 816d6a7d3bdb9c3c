"""Unauthenticated probes: ``/healthz`` (the process answers), ``/readyz`` (the runtime is
started and the ``ready`` callable says so: compiled kernels warm), ``/metrics``
(Prometheus' text format, only when the app was given metrics). Both health answers carry
the journal's durable head (seq, hash), to publish, per hosted cluster. Once the journal failed,
``/healthz`` and ``/readyz`` are 503 ``journal-failed`` (the gateway's middleware): the
process can no longer do its job, and a liveness probe should restart it."""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from engine import api
from engine.gateway import views
from engine.gateway.encoding import respond
from engine.gateway.keys import HOSTED, METRICS, READY
from engine.gateway.problems import Problem
from engine.market.metrics import CONTENT_TYPE


async def healthz(request: web.Request) -> web.Response:
    return respond(request, _health(request, "ok"))


async def readyz(request: web.Request) -> web.Response:
    for cluster_id, runtime in request.app[HOSTED].items():
        if not runtime.started:
            raise Problem(503, "not-ready", f"the market runtime of {cluster_id} is not running")
    if not request.app[READY]():
        raise Problem(503, "not-ready", "warming up")
    return respond(request, _health(request, "ready"))


def _health(request: web.Request, status: Literal["ok", "ready"]) -> api.Health:
    heads = {cid: views.journal_head(r.head) for cid, r in request.app[HOSTED].items()}
    if len(heads) == 1:
        return api.Health(status, *heads.values())  # as a server of one always answered
    return api.Health(status, clusters=heads)


async def metrics(request: web.Request) -> web.Response:
    registry = request.app[METRICS]
    assert registry is not None  # the route exists only with metrics
    response = web.Response(body=registry.exposition())
    response.headers["Content-Type"] = CONTENT_TYPE  # with its version parameter
    return response
