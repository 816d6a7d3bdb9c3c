"""``GET /`` without a token: where the API and its document are (a client that starts
from the server's address finds its way from here)."""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.gateway.encoding import respond

INDEX = api.ApiIndex(
    api="/v1",
    openapi="/v1/openapi.json",
    health="/healthz",
    ready="/readyz",
    me="/v1/me",
)


async def index(request: web.Request) -> web.Response:
    """GET /: :data:`INDEX` (public)."""
    return respond(request, INDEX)
