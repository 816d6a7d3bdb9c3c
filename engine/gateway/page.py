"""The web page: ``GET /`` for a browser, and its files under ``GET /web/{name}``.

The files are plain HTML, CSS and JavaScript modules in ``engine/gateway/web/`` (package
data), read once and served from memory: no build step, no CDN, nothing fetched from
elsewhere. The page talks to the public ``/v1`` API and the stream with the member's
token, like any other client; it gets nothing the API does not give.

``GET /`` answers the page when the Accept header prefers ``text/html`` to the API's
media types (a browser), else the API's index (:mod:`engine.gateway.index`): ``*/*`` alone
(curl) or no Accept still gets JSON. Every file goes out with an ``ETag`` and
``Cache-Control: no-cache`` (a browser asks again and gets 304 while nothing changed); the
page with a Content-Security-Policy that allows only this origin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aiohttp import web

from engine.gateway.encoding import accept_entries
from engine.gateway.problems import Problem

WEB_DIR = Path(__file__).with_name("web")
PAGE = "index.html"
MEDIA = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
API_RANGES = frozenset({"application/json", "application/msgpack", "application/*"})
POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class WebFile:
    body: bytes
    media: str
    etag: str


@cache
def files() -> dict[str, WebFile]:
    """Every file of the page by name, read once."""
    found = {}
    for path in sorted(WEB_DIR.iterdir()):
        media = MEDIA.get(path.suffix)
        if media is None or not path.is_file():
            continue
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        found[path.name] = WebFile(body, media, etag)
    return found


def wants_page(accept: str | None) -> bool:
    """True if ``accept`` ranks ``text/html`` at least as high as the API's media types
    (named, or ``application/*``; ``*/*`` counts for neither)."""
    if not accept:
        return False
    html = api = 0.0
    for media, q in accept_entries(accept):
        if media in ("text/html", "text/*"):
            html = max(html, q)
        elif media in API_RANGES:
            api = max(api, q)
    return html > 0 and html >= api


def page(request: web.Request) -> web.Response:
    """The page itself (``GET /`` from a browser)."""
    return _send(request, files()[PAGE], {"Content-Security-Policy": POLICY})


async def web_file(request: web.Request) -> web.Response:
    """GET /web/{name}: one of the page's files; 404 for any other name."""
    name = request.match_info["name"]
    found = files().get(name)
    if found is None:
        raise Problem(404, "not-found", f"no file {name!r:.80} in the web page")
    return _send(request, found, {})


def _send(request: web.Request, found: WebFile, headers: dict[str, str]) -> web.Response:
    headers = headers | {
        "ETag": found.etag,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("If-None-Match") == found.etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.body, content_type=found.media, charset="utf-8", headers=headers)
