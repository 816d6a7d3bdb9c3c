"""The gateway's middleware: one function (one await layer per request) doing, outermost
first:

1. (only with metrics) request latency by route *template* (``/v1/orders/{order_id}``,
   never the raw path: ids must not become label values), method and status; requests that
   match no route count as ``unmatched``; a stream (minutes long) is not observed. Every
   problem answer counts by its type (``klaster_problems_total``), a stream's too.
2. problems: renders :class:`~engine.gateway.problems.Problem` and aiohttp's HTTP errors
   (404, 405) as ``application/problem+json``; anything else is a bug: logged, 500. (Body
   limits are the body reader's: :mod:`engine.gateway.encoding`.)
3. a failed journal: once a journal write failed, every request but ``/metrics`` and the
   OpenAPI document is 503 ``journal-failed`` (the market's memory holds changes the disk
   does not: neither commands nor reads may use it), and so is a request that was running
   when it failed (its change was never acknowledged).
4. authentication: ``Authorization: Bearer <token>`` through the token lookup (401 with
   ``WWW-Authenticate: Bearer`` if missing, unknown or revoked; 401 ``token-expired``
   naming the instant if past its expiry), the member's rate limit (429 with
   ``Retry-After``), and the response media type from Accept (406), all before a handler
   runs, so a refused request has changed nothing. Public paths skip the token (the web
   page's ``/`` and ``/web/`` pick their media type themselves); a stream keeps its token
   (``BEARER``) to check it again while it is open; a browser, which cannot set the header
   on a WebSocket, offers it as the subprotocol ``bearer.<token>`` instead.

One middleware rather than three: every layer is another coroutine and an
``@web.middleware`` wrapper per request, which the single-order path feels.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from engine.api.routes import CLUSTERS_PATH, ROUTES
from engine.gateway.encoding import negotiate
from engine.gateway.keys import BEARER, CALLER, FORMAT, Caller, TokenLookup
from engine.gateway.problems import PROBLEM_TYPE, Problem, journal_failed
from engine.gateway.ratelimit import RateLimiter
from engine.market.metrics import Metrics
from engine.market.runtime import Runtime
from engine.model.registry import Registry

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

PUBLIC_PATHS = frozenset(r.path for r in ROUTES if r.public)  # no token needed
PAGE_PATHS = frozenset({"/"})  # the page or the API's index: the handler negotiates
PAGE_FILES = "/web/"  # the web page's files: public, not JSON
UNFENCED_PATHS = frozenset({"/metrics", "/v1/openapi.json"})  # answer after a journal failure
STREAM_PATH = "/v1/stream"
CLUSTER_PATHS = CLUSTERS_PATH + "/"  # /v1/clusters/{cluster_id}/...: one cluster's routes
STREAM_ROUTES = frozenset({STREAM_PATH, CLUSTER_PATHS + "{cluster_id}/stream"})
log = logging.getLogger("klaster.gateway")

_HTTP_PROBLEMS = {
    404: ("not-found", "no such resource"),
    405: ("method-not-allowed", "this method is not allowed here"),
}


def gateway(
    tokens: TokenLookup,
    runtime: Runtime,
    limiter: RateLimiter,
    metrics: Metrics | None,
    elsewhere: TokenLookup | None = None,
) -> Middleware:
    """Observe, render problems, fence a failed journal and authenticate in one middleware
    (see the docstring), one coroutine per request: authentication is a plain call
    (:func:`_authenticator`). ``elsewhere``: the other clusters' tokens on a server that
    hosts several (a token of theirs is refused with 403 ``wrong-cluster``, not 401)."""
    authenticate = _authenticator(tokens, runtime, limiter, elsewhere)
    own = f"{CLUSTER_PATHS}{runtime.market.cluster.id}/"
    record = record_problem = None
    if metrics is not None:
        record, record_problem = metrics.record_request, metrics.record_problem
    clock = time.perf_counter
    # A cluster's app mounted among several names its routes with the id: label the template.
    template = CLUSTER_PATHS + "{cluster_id}/"
    labels: dict[object, str | None] = {}  # resource -> its route label (None: a stream)

    def label(request: web.Request) -> str | None:
        """The route's template, "unmatched" without one; None for a stream (it lasts
        minutes: not a request latency)."""
        resource = request.match_info.route.resource
        try:
            return labels[resource]
        except KeyError:
            route = resource.canonical if resource is not None else "unmatched"
            if route.startswith(own):
                route = template + route[len(own) :]
            found = labels[resource] = None if route in STREAM_ROUTES else route
            return found

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = clock()
        status = 500
        try:
            try:
                path = request.path
                if path.startswith(CLUSTER_PATHS):  # addressed to a cluster: is it this one?
                    if not path.startswith(own):
                        raise unknown_cluster(path)
                    path = "/v1/" + path[len(own) :]  # the same route as a server of one has
                if runtime.failure is not None and path not in UNFENCED_PATHS:
                    raise journal_failed()
                if path in PUBLIC_PATHS:
                    if path not in PAGE_PATHS:
                        request[FORMAT] = response_format(request)
                elif not path.startswith(PAGE_FILES):
                    authenticate(request, path)
                response = await handler(request)
            except Problem as problem:
                response = problem.response()
            except web.HTTPException as exc:
                if exc.status < 400:
                    status = exc.status
                    raise
                response = http_problem(exc)
            except (asyncio.CancelledError, ConnectionResetError):
                raise
            except Exception:
                if runtime.failure is not None:  # the journal failed under this request
                    response = journal_failed().response()
                else:
                    response = _bug(request)  # a bug: say so without details, keep them logged
            status = response.status
            if status >= 400 and record_problem is not None:
                slug = response.get(PROBLEM_TYPE)
                if slug is not None:
                    record_problem(slug)
            return response
        finally:
            if record is not None and (route := label(request)) is not None:
                record(route, request.method, status, clock() - started)

    return middleware


def _authenticator(
    tokens: TokenLookup, runtime: Runtime, limiter: RateLimiter, elsewhere: TokenLookup | None
) -> Callable[[web.Request, str], None]:
    """Authenticate a request to ``path`` (its route as a server of one cluster has it):
    set its caller and response format (a stream: its token), or raise the problem."""
    known = [runtime.market.registry, _callers(runtime.market.registry)]
    cluster_id = runtime.market.cluster.id
    member_for = tokens.member_for
    take = limiter.take

    def authenticate(request: web.Request, path: str) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        if bearer is None and path == STREAM_PATH:
            bearer = _protocol_bearer(request)
        member_id = None if bearer is None else member_for(bearer)
        if member_id is None:
            if bearer and elsewhere is not None and elsewhere.member_for(bearer):
                raise _wrong_cluster(cluster_id)
            expired_us = None if not bearer else tokens.expired_at(bearer)
            raise _unauthorized() if expired_us is None else _expired(expired_us)
        registry = runtime.market.registry
        if registry is not known[0]:  # a configuration change numbered new members
            known[:] = [registry, _callers(registry)]
        caller = known[1].get(member_id)
        if caller is None:  # a token for a member this cluster's market does not know
            raise _unknown_member(member_id)
        wait = take(member_id)
        if wait:
            raise _rate_limited(limiter, wait)
        request[CALLER] = caller
        if path != STREAM_PATH:  # a stream picks its format with ?format=
            request[FORMAT] = response_format(request)
        else:
            request[BEARER] = bearer

    return authenticate


def _protocol_bearer(request: web.Request) -> str | None:
    """A stream's token offered as the WebSocket subprotocol ``bearer.<token>`` (a browser
    cannot set Authorization on a WebSocket; the stream answers with the protocol
    ``klaster``, which such a client offers too)."""
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    for protocol in offered.split(","):
        name, _, token = protocol.strip().partition(".")
        if name == "bearer" and token:
            return token
    return None


def _callers(registry: Registry) -> dict[str, Caller]:
    """Every member's :class:`Caller` (again after each configuration change)."""
    return {
        member_id: Caller(member_id, registry.member_code[member_id], role)
        for member_id, role in zip(registry.member_ids, registry.member_roles, strict=True)
    }


def _unauthorized() -> Problem:
    return Problem(
        401,
        "unauthorized",
        "send Authorization: Bearer <token> with a valid token",
        headers={"WWW-Authenticate": 'Bearer realm="klaster"'},
    )


def _expired(expired_us: int) -> Problem:
    when = datetime.fromtimestamp(expired_us // 1_000_000, UTC).isoformat().replace("+00:00", "Z")
    return Problem(
        401,
        "token-expired",
        f"the token expired at {when}; ask the coordinator for a new one",
        headers={
            "WWW-Authenticate": 'Bearer realm="klaster", error="invalid_token", '
            'error_description="the token expired"'
        },
    )


def unknown_cluster(path: str) -> Problem:
    """404 for a path addressed to a cluster this server does not host."""
    cluster_id = path.removeprefix(CLUSTER_PATHS).partition("/")[0]
    return Problem(
        404,
        "unknown-cluster",
        f"this server hosts no cluster {cluster_id!r:.50}; GET {CLUSTERS_PATH} lists them",
    )


def _wrong_cluster(cluster_id: str) -> Problem:
    return Problem(
        403,
        "wrong-cluster",
        f"this token is of another cluster, not of {cluster_id!r}: a token opens only its own "
        "cluster's paths",
    )


def _unknown_member(member_id: str) -> Problem:
    return Problem(403, "unknown-member", f"member {member_id!r} is not in this cluster")


def _rate_limited(limiter: RateLimiter, wait: int) -> Problem:
    return Problem(
        429,
        "rate-limited",
        f"more than {limiter.rate:g} requests/s; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )


def http_problem(exc: web.HTTPException) -> web.Response:
    slug, detail = _HTTP_PROBLEMS.get(exc.status, ("bad-request", exc.reason))
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    return Problem(exc.status, slug, detail, headers=headers).response()


def _bug(request: web.Request) -> web.Response:
    log.exception("unhandled error in %s %s", request.method, request.path)
    return Problem(500, "internal-error", "the gateway failed; this is a bug").response()


def response_format(request: web.Request) -> str:
    """The response media type Accept allows (JSON or msgpack); 406 if neither."""
    media = negotiate(request.headers.get("Accept"))
    if media is None:
        raise Problem(
            406,
            "not-acceptable",
            "Accept must allow application/json or application/msgpack, was "
            f"{request.headers.get('Accept')!r:.80}",
        )
    return media
