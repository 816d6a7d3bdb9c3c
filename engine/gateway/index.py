"""``GET /`` without a token: where the API and its document are (a client that starts
from the server's address finds its way from here), or the web page for a browser
(:mod:`engine.gateway.page`)."""

from __future__ import annotations

from aiohttp import web

from engine import api
from engine.api.routes import CLUSTERS_PATH
from engine.gateway import page
from engine.gateway.encoding import respond
from engine.gateway.keys import FORMAT, HOSTED
from engine.gateway.middlewares import response_format

INDEX = api.ApiIndex(
    api="/v1",
    openapi="/v1/openapi.json",
    health="/healthz",
    ready="/readyz",
    me="/v1/me",
)


async def index(request: web.Request) -> web.Response:
    """GET /: the web page if Accept prefers HTML, else :data:`INDEX` (public)."""
    if page.wants_page(request.headers.get("Accept")):
        return page.page(request)
    request[FORMAT] = response_format(request)
    return respond(request, INDEX)


async def clusters(request: web.Request) -> web.Response:
    """GET /v1/clusters: the clusters this server hosts, in id order (public)."""
    hosted = request.app[HOSTED]
    return respond(
        request,
        api.Clusters(
            [
                api.HostedCluster(cid, hosted[cid].market.cluster.name, f"{CLUSTERS_PATH}/{cid}")
                for cid in sorted(hosted)
            ]
        ),
    )
