"""A server of several clusters: one app per cluster, mounted at ``/v1/clusters/{id}``.

Each cluster's app is :func:`engine.gateway.app.create_app` with ``mounted=True``: its own
runtime (market, journal, group commit), token store, stream hub and rate limiter, and the
cluster-addressed routes only. The platform's own routes are the server's, not a cluster's:
``/``, ``/web/{name}``, ``GET /v1/clusters``, the OpenAPI document, ``/healthz`` and
``/readyz`` (every cluster's journal head) and ``/metrics`` (one registry, the market's
metrics labelled by ``cluster``). A ``/v1/...`` path without a cluster is 404 here: a server
of several clusters has no default one.

The platform's middleware is the outermost layer of every request, the clusters' included
(aiohttp runs a parent app's middlewares around a sub-app's): it only turns the 404 of a
path no app matched into a problem (``unknown-cluster`` for an id it does not host) and
answers its own routes' problems, format and metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from aiohttp import web

from engine.api.openapi import document
from engine.api.routes import CLUSTERS_PATH, ROUTES
from engine.gateway import health, index, page
from engine.gateway.app import create_app
from engine.gateway.encoding import respond
from engine.gateway.keys import FORMAT, HOSTED, LIMITS, METRICS, READY, Limits, TokenLookup
from engine.gateway.middlewares import (
    CLUSTER_PATHS,
    PAGE_FILES,
    PAGE_PATHS,
    Handler,
    Middleware,
    http_problem,
    response_format,
    unknown_cluster,
)
from engine.gateway.problems import PROBLEM_TYPE, Problem, journal_failed
from engine.market.metrics import Metrics
from engine.market.runtime import Runtime

#: The platform's own routes (by operation), served at the root app.
OWN = {
    "index": index.index,
    "web_file": page.web_file,
    "clusters": index.clusters,
    "healthz": health.healthz,
    "readyz": health.readyz,
    "metrics": health.metrics,
}


def create_platform(
    hosted: Sequence[tuple[Runtime, TokenLookup]],
    metrics: Metrics | None = None,
    *,
    limits: Limits = Limits(),  # noqa: B008 (frozen: one shared default is safe)
    ready: Callable[[], bool] | None = None,
) -> web.Application:
    """Serve the markets of ``hosted`` (started runtimes and their token stores) under
    ``/v1/clusters/{id}/``; ``metrics`` made with ``by_cluster=True``."""
    runtimes = {runtime.market.cluster.id: runtime for runtime, _ in hosted}
    app = web.Application(
        middlewares=[_platform(runtimes, metrics)],
        client_max_size=limits.max_body_bytes,
        handler_args={"lingering_time": limits.linger_seconds},
    )
    app[HOSTED] = runtimes
    app[METRICS] = metrics
    app[LIMITS] = limits
    app[READY] = ready if ready is not None else (lambda: True)
    spec = document(with_metrics=metrics is not None)

    async def openapi(request: web.Request) -> web.Response:
        return respond(request, spec)

    own = {**OWN, "openapi": openapi}
    for route in ROUTES:
        if route.operation in own and (metrics is not None or not route.with_metrics):
            app.router.add_route(route.method, route.path, own[route.operation])
    for runtime, tokens in hosted:
        cluster_id = runtime.market.cluster.id
        others = [t for r, t in hosted if r is not runtime]
        app.add_subapp(
            f"{CLUSTERS_PATH}/{cluster_id}",
            create_app(
                runtime,
                tokens,
                None if metrics is None else metrics.for_cluster(cluster_id),
                limits=limits,
                ready=ready,
                mounted=True,
                elsewhere=_AnyOf(others),
            ),
        )
    return app


class _AnyOf:
    """The member a token belongs to in any of several token stores (the other clusters':
    only asked about a token its own cluster refused)."""

    def __init__(self, stores: Sequence[TokenLookup]) -> None:
        self.stores = stores

    def member_for(self, token: str) -> str | None:
        return next((m for s in self.stores if (m := s.member_for(token)) is not None), None)

    def expired_at(self, token: str) -> int | None:
        return None


def _platform(runtimes: dict[str, Runtime], metrics: Metrics | None) -> Middleware:
    record = None if metrics is None else metrics.record_request
    record_problem = None if metrics is None else metrics.record_problem

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        resource = request.match_info.route.resource
        if path.startswith(CLUSTER_PATHS) and resource is not None:
            return await handler(request)  # a cluster's app: its own middleware does the rest
        started = time.perf_counter()
        try:
            response = await _own(request, handler, path, runtimes)
        except Problem as problem:
            response = problem.response()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _unmatched(path, runtimes) if exc.status == 404 else http_problem(exc)
        if record is not None and record_problem is not None:
            if response.status >= 400 and (slug := response.get(PROBLEM_TYPE)) is not None:
                record_problem(slug)
            route = resource.canonical if resource is not None else "unmatched"
            record(route, request.method, response.status, time.perf_counter() - started)
        return response

    return middleware


async def _own(
    request: web.Request, handler: Handler, path: str, runtimes: dict[str, Runtime]
) -> web.StreamResponse:
    """The platform's own routes: a failed journal fails the probes; the format from Accept."""
    if path in ("/healthz", "/readyz"):
        for runtime in runtimes.values():
            if runtime.failure is not None:
                raise journal_failed()
    if path not in PAGE_PATHS and not path.startswith(PAGE_FILES):
        request[FORMAT] = response_format(request)
    return await handler(request)


def _unmatched(path: str, runtimes: dict[str, Runtime]) -> web.Response:
    """A 404 of a path no app has: a cluster this server does not host, or no such route."""
    if path.startswith(CLUSTER_PATHS):
        if path.removeprefix(CLUSTER_PATHS).partition("/")[0] not in runtimes:
            return unknown_cluster(path).response()
    elif path.startswith("/v1/") and path != CLUSTERS_PATH:
        where = f"{CLUSTER_PATHS}{{cluster_id}}{path[3:]:.80}"
        detail = f"this server hosts several clusters: address one, {where}"
        return Problem(404, "not-found", detail).response()
    return Problem(404, "not-found", "no such resource").response()
