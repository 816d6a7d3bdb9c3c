"""JSON and msgpack at the edge: request bodies by Content-Type, responses by Accept.

- Request: ``application/json`` or ``application/msgpack`` (also ``application/x-msgpack``
  and ``application/vnd.msgpack``); anything else is 415. A body that does not decode, or
  is empty where one is needed, is 400 (never 500). JSON's non-standard ``NaN`` and
  ``Infinity`` literals decode to floats that the field checks refuse with 422.
- Response: the Accept header decides (q-values honoured; the more specific entry wins; a
  tie goes to the entry listed first, no header or ``*/*`` to JSON); if it allows neither,
  406. Problems are always ``application/problem+json``.

JSON numbers with a fraction decode to ``decimal.Decimal`` by default (exact prices), or to
``float`` for columnar batches (converted by numpy with an exactness check instead).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgpack
from aiohttp import web

from engine.gateway.keys import FORMAT
from engine.gateway.problems import Problem

JSON = "application/json"
MSGPACK = "application/msgpack"
MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})
MAX_ACCEPT_ENTRIES = 32  # a longer Accept header is cut (it cannot be honest)


@lru_cache(maxsize=256)  # clients send few distinct Accept headers
def negotiate(accept: str | None) -> str | None:
    """Return the response media type the Accept header prefers (JSON or msgpack), or None
    if it allows neither."""
    if not accept:
        return JSON
    # Per candidate, the most specific entry that matches it: (specificity, q, position).
    found: dict[str, tuple[int, float, int]] = {}
    for position, entry in enumerate(accept.split(",")[:MAX_ACCEPT_ENTRIES]):
        media, *params = (part.strip() for part in entry.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:  # also NaN
                    q = 0.0
        for candidate, exact in ((JSON, (JSON,)), (MSGPACK, MSGPACK_TYPES)):
            if media in exact:
                specificity = 2
            elif media == "application/*":
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            known = found.get(candidate)
            if known is None or specificity > known[0]:
                found[candidate] = (specificity, q, position)
    # Highest q, then named over wildcard, then listed first, then JSON.
    options = [
        (q, specificity, -position, media == JSON, media)
        for media, (specificity, q, position) in found.items()
        if q > 0
    ]
    return max(options)[-1] if options else None


def _constant(name: str) -> float:
    return float(name)  # NaN, Infinity, -Infinity: refused later by the field checks


# Built once: json.loads with keyword arguments builds a new decoder on every call.
_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_constant)
_FLOAT_JSON = json.JSONDecoder(parse_float=float, parse_constant=_constant)


async def read_body(request: web.Request, *, exact: bool = True) -> Any:
    """Decode the request body by its Content-Type (see the module docstring).

    ``exact``: JSON numbers with a fraction become ``Decimal`` (else ``float``)."""
    content_type = request.content_type
    if content_type != JSON and content_type not in MSGPACK_TYPES:
        raise Problem(
            415,
            "unsupported-media-type",
            f"Content-Type must be {JSON} or {MSGPACK}, was {content_type!r}",
            headers={"Accept-Post": f"{JSON}, {MSGPACK}"},
        )
    raw = await request.read()  # aiohttp raises 413 beyond client_max_size
    if not raw:
        raise Problem(400, "malformed-body", "a body is required")
    try:
        if content_type == JSON:
            # JSON between systems is UTF-8 (RFC 8259); a bad byte is a ValueError too.
            return (_EXACT_JSON if exact else _FLOAT_JSON).decode(raw.decode("utf-8"))
        return msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as exc:
        kind = "JSON" if content_type == JSON else "msgpack"
        raise Problem(400, "malformed-body", f"the body is not valid {kind}: {exc}") from None


def json_string(text: str) -> bytes:
    """``text`` as a JSON string, exactly as :func:`encode` writes it inside a document."""
    return json.dumps(text, ensure_ascii=False).encode()


def encode(media: str, data: Any) -> bytes:
    if media == MSGPACK:
        return msgpack.packb(data, use_bin_type=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def respond(
    request: web.Request, data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer ``data`` (plain ints, strs, lists, dicts) in the negotiated media type."""
    media = request.get(FORMAT, JSON)
    return web.Response(
        body=encode(media, data), status=status, content_type=media, headers=headers
    )
