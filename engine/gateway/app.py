"""The app factory: routes, middlewares and the app's resources, wired in one place.

``create_app(runtime, tokens, metrics)`` serves the market of a *started* runtime (the
caller starts it before serving and stops it after the app's cleanup, as ``klaster serve``
does). Mutating handlers acknowledge only after ``await runtime.durable(seq)``.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from engine.gateway import controls, health, intervals, market_clock, orders, readings, reports
from engine.gateway.encoding import respond
from engine.gateway.keys import HUB, LIMITS, METRICS, READY, RUNTIME, TOKENS, Limits, TokenLookup
from engine.gateway.middlewares import gateway
from engine.gateway.openapi import document
from engine.gateway.ratelimit import RateLimiter
from engine.gateway.stream import Hub, close_streams, hub_context, stream
from engine.market.metrics import Metrics
from engine.market.runtime import Runtime


def create_app(
    runtime: Runtime,
    tokens: TokenLookup,
    metrics: Metrics | None = None,
    *,
    limits: Limits = Limits(),  # noqa: B008 (frozen: one shared default is safe)
    ready: Callable[[], bool] | None = None,
) -> web.Application:
    """Build the HTTP API of ``runtime``'s market.

    ``tokens`` maps bearer tokens to member ids; ``metrics`` adds ``/metrics`` and request,
    order and stream metrics; ``ready`` (default: always) is what ``/readyz`` asks besides
    the runtime running (``klaster serve`` says ready once the kernels are compiled).
    """
    middleware = gateway(tokens, runtime.market.registry, _limiter(limits), metrics)
    app = web.Application(middlewares=[middleware], client_max_size=limits.max_body_bytes)
    app[RUNTIME] = runtime
    app[TOKENS] = tokens
    app[METRICS] = metrics
    app[LIMITS] = limits
    app[READY] = ready if ready is not None else _always
    app[HUB] = Hub(runtime, limits.stream_queue)
    app.cleanup_ctx.append(hub_context)
    app.on_shutdown.append(close_streams)  # before handlers are cancelled: streams end cleanly

    spec = document(with_metrics=metrics is not None)

    async def openapi(request: web.Request) -> web.Response:
        return respond(request, spec)

    r = app.router
    r.add_post("/v1/orders", orders.submit)
    r.add_get("/v1/orders", orders.list_own, allow_head=False)
    r.add_post("/v1/orders/batch", orders.submit_columns)
    r.add_delete("/v1/orders/{order_id}", orders.cancel)
    r.add_patch("/v1/orders/{order_id}", orders.replace)
    r.add_get("/v1/intervals", intervals.calendar, allow_head=False)
    r.add_get("/v1/intervals/{start}", intervals.interval, allow_head=False)
    r.add_get("/v1/intervals/{start}/depth", intervals.depth, allow_head=False)
    r.add_get("/v1/intervals/{start}/trades", intervals.trades, allow_head=False)
    r.add_post("/v1/intervals/{start}/close", intervals.close)
    r.add_post("/v1/readings", readings.record)
    r.add_get("/v1/statements", reports.statements, allow_head=False)
    r.add_get("/v1/kpis", reports.kpis, allow_head=False)
    r.add_post("/v1/price-bands", controls.publish_bands)
    r.add_get("/v1/clock", market_clock.read, allow_head=False)
    r.add_post("/v1/clock", market_clock.set_time)
    r.add_get("/v1/stream", stream, allow_head=False)
    r.add_get("/v1/openapi.json", openapi, allow_head=False)
    r.add_get("/healthz", health.healthz, allow_head=False)
    r.add_get("/readyz", health.readyz, allow_head=False)
    if metrics is not None:
        r.add_get("/metrics", health.metrics, allow_head=False)
    return app


def _limiter(limits: Limits) -> RateLimiter:
    return RateLimiter(limits.rate_per_s, limits.burst)


def _always() -> bool:
    return True
