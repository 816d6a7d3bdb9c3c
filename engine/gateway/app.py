"""The app factory: routes, middlewares and the app's resources, wired in one place.

The routes are the API's route table (:mod:`engine.api.routes`), each bound to its handler
here by operation; a route that names ``roles`` refuses anyone else with 403 before its
handler runs.

``create_app(runtime, tokens, metrics)`` serves the market of a *started* runtime (the
caller starts it before serving and stops it after the app's cleanup, as ``klaster serve``
does), at ``/v1/...`` and at ``/v1/clusters/{its id}/...`` alike. Mutating handlers
acknowledge only after ``await runtime.durable(seq)``.

A server of several clusters (:func:`engine.gateway.platform.create_platform`) mounts one
such app per cluster, built with ``mounted=True``: only the cluster-addressed routes,
relative to the prefix ``/v1/clusters/{id}`` it is mounted at.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from engine.api.openapi import document
from engine.api.routes import CLUSTER_ROUTES, CLUSTERS_PATH, IN_CLUSTER, routes
from engine.gateway import (
    audit,
    configuration,
    controls,
    health,
    index,
    intervals,
    market_clock,
    me,
    orders,
    page,
    readings,
    reports,
)
from engine.gateway.encoding import respond
from engine.gateway.keys import (
    CALLER,
    HOSTED,
    HUB,
    LIMITS,
    METRICS,
    READY,
    RUNTIME,
    TOKENS,
    Limits,
    TokenLookup,
)
from engine.gateway.middlewares import Handler, gateway
from engine.gateway.problems import Problem
from engine.gateway.ratelimit import RateLimiter
from engine.gateway.stream import Hub, close_streams, hub_context, stream
from engine.market.metrics import Metrics
from engine.market.runtime import Runtime

#: The route table's operations (:data:`engine.api.routes.ROUTES`) -> their handlers.
HANDLERS: dict[str, Handler] = {
    "index": index.index,
    "web_file": page.web_file,
    "me": me.me,
    "members": me.members,
    "submit_orders": orders.submit,
    "list_orders": orders.list_own,
    "submit_columns": orders.submit_columns,
    "cancel_order": orders.cancel,
    "replace_order": orders.replace,
    "calendar": intervals.calendar,
    "interval": intervals.interval,
    "depth": intervals.depth,
    "book": intervals.book,
    "trades": intervals.trades,
    "close_gate": intervals.close,
    "record_readings": readings.record,
    "statement": reports.statements,
    "statement_page": reports.statement_page,
    "kpis": reports.kpis,
    "publish_bands": controls.publish_bands,
    "read_cluster": configuration.read,
    "change_cluster": configuration.change,
    "register": configuration.register,
    "read_audit": audit.read,
    "run_audit": audit.run,
    "read_clock": market_clock.read,
    "set_clock": market_clock.set_time,
    "stream": stream,
    "healthz": health.healthz,
    "readyz": health.readyz,
    "metrics": health.metrics,
    "clusters": index.clusters,
}


def create_app(
    runtime: Runtime,
    tokens: TokenLookup,
    metrics: Metrics | None = None,
    *,
    limits: Limits = Limits(),  # noqa: B008 (frozen: one shared default is safe)
    ready: Callable[[], bool] | None = None,
    mounted: bool = False,
    elsewhere: TokenLookup | None = None,
) -> web.Application:
    """Build the HTTP API of ``runtime``'s market.

    ``tokens`` maps bearer tokens to member ids; ``metrics`` adds ``/metrics`` and request,
    order and stream metrics; ``ready`` (default: always) is what ``/readyz`` asks besides
    the runtime running (``klaster serve`` says ready once the kernels are compiled).
    ``mounted``: the app of one cluster among several, to mount at ``/v1/clusters/{id}``
    (see the module docstring); ``elsewhere``: the other clusters' tokens (403
    ``wrong-cluster`` for one of them instead of 401).
    """
    middleware = gateway(tokens, runtime, _limiter(limits), metrics, elsewhere)
    app = web.Application(
        middlewares=[middleware],
        client_max_size=limits.max_body_bytes,
        # A body answered without being read (413, 408, 401) is drained this long, not 10 s.
        handler_args={"lingering_time": limits.linger_seconds},
    )
    app[RUNTIME] = runtime
    app[TOKENS] = tokens
    app[METRICS] = metrics
    app[LIMITS] = limits
    app[READY] = ready if ready is not None else _always
    app[HOSTED] = {runtime.market.cluster.id: runtime}
    app[HUB] = Hub(runtime, limits.stream_queue, tokens)
    app.cleanup_ctx.append(hub_context)
    app.on_shutdown.append(close_streams)  # before handlers are cancelled: streams end cleanly

    spec = document(with_metrics=metrics is not None)

    async def openapi(request: web.Request) -> web.Response:
        return respond(request, spec)

    handlers = {**HANDLERS, "openapi": openapi}
    table = CLUSTER_ROUTES if mounted else routes(with_metrics=metrics is not None)
    prefix = f"{CLUSTERS_PATH}/{{cluster_id}}" if mounted else ""
    for route in table:
        handler = handlers[route.operation.removesuffix(IN_CLUSTER)]
        if route.roles:
            handler = _only(route.roles, handler)
        app.router.add_route(route.method, route.path.removeprefix(prefix), handler)
    return app


def _only(roles: tuple[str, ...], handler: Handler) -> Handler:
    """``handler`` for callers with one of ``roles`` only (403 for anyone else, before the
    handler reads anything)."""
    allowed = " or ".join(roles)

    async def guarded(request: web.Request) -> web.StreamResponse:
        role = request[CALLER].role
        if role not in roles:
            raise Problem(403, "role-forbidden", f"only the {allowed} may do this, not a {role}")
        return await handler(request)

    return guarded


def _limiter(limits: Limits) -> RateLimiter:
    return RateLimiter(limits.rate_per_s, limits.burst)


def _always() -> bool:
    return True
