"""The gateway's middlewares, outermost first:

1. ``observe`` (only with metrics): request latency by route *template*
   (``/v1/orders/{order_id}``, never the raw path: ids must not become label values),
   method and status; requests that match no route count as ``unmatched``.
2. ``problems``: renders :class:`~engine.gateway.problems.Problem` and aiohttp's HTTP errors
   (404, 405, 413) as ``application/problem+json``; anything else is a bug: logged, 500.
3. ``authenticate``: ``Authorization: Bearer <token>`` through the token lookup (401 with
   ``WWW-Authenticate: Bearer`` if missing or unknown), the member's rate limit (429 with
   ``Retry-After``), and the response media type from Accept (406), all before a handler
   runs, so a refused request has changed nothing. Public paths skip the token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from engine.gateway.encoding import negotiate
from engine.gateway.keys import CALLER, FORMAT, Caller, TokenLookup
from engine.gateway.problems import Problem
from engine.gateway.ratelimit import RateLimiter
from engine.metrics import Metrics
from engine.registry import Registry

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/v1/openapi.json"})
STREAM_PATH = "/v1/stream"
log = logging.getLogger("klaster.gateway")

_HTTP_PROBLEMS = {
    404: ("not-found", "no such resource"),
    405: ("method-not-allowed", "this method is not allowed here"),
    413: ("body-too-large", "the request body is above the limit"),
}


def observe(metrics: Metrics) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        if route == STREAM_PATH:  # a stream lasts minutes: not a request latency
            return await handler(request)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.record_request(route, request.method, status, time.perf_counter() - started)

    return middleware


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        slug, detail = _HTTP_PROBLEMS.get(exc.status, ("bad-request", exc.reason))
        if exc.status == 413:
            detail = f"the request body is above the limit of {request.client_max_size} bytes"
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return Problem(exc.status, slug, detail, headers=headers).response()
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:  # a bug: say so without details, keep them in the log
        log.exception("unhandled error in %s %s", request.method, request.path)
        return Problem(500, "internal-error", "the gateway failed; this is a bug").response()


def authenticate(tokens: TokenLookup, registry: Registry, limiter: RateLimiter) -> Middleware:
    roles = dict(zip(registry.member_ids, registry.member_roles, strict=True))

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            request[FORMAT] = _format(request)
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        member_id = tokens.member_for(token.strip()) if scheme.lower() == "bearer" else None
        if member_id is None:
            raise Problem(
                401,
                "unauthorized",
                "send Authorization: Bearer <token> with a valid token",
                headers={"WWW-Authenticate": 'Bearer realm="klaster"'},
            )
        role = roles.get(member_id)
        if role is None:  # a token for a member this cluster's market does not know
            raise Problem(403, "unknown-member", f"member {member_id!r} is not in this cluster")
        wait = limiter.take(member_id)
        if wait:
            raise Problem(
                429,
                "rate-limited",
                f"more than {limiter.rate:g} requests/s; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        request[CALLER] = Caller(member_id, registry.member_code[member_id], role)
        if request.path != STREAM_PATH:  # a stream picks its format with ?format=
            request[FORMAT] = _format(request)
        return await handler(request)

    return middleware


def _format(request: web.Request) -> str:
    media = negotiate(request.headers.get("Accept"))
    if media is None:
        raise Problem(
            406,
            "not-acceptable",
            "Accept must allow application/json or application/msgpack, was "
            f"{request.headers.get('Accept')!r:.80}",
        )
    return media
