"""JSON and msgpack at the edge: request bodies by Content-Type, responses by Accept.

- Request: ``application/json`` or ``application/msgpack`` (also ``application/x-msgpack``
  and ``application/vnd.msgpack``); anything else is 415. A body that does not decode, or
  is empty where one is needed, is 400 (never 500). JSON's non-standard ``NaN`` and
  ``Infinity`` literals decode to floats that the field checks refuse with 422.
- Limits (:class:`~engine.gateway.keys.Limits`): a ``Content-Length`` above
  ``max_body_bytes`` is 413 at once, before any of the body is read; a chunked body stops
  being read at the limit, 413; a body still incomplete after ``body_seconds`` (however
  slowly it trickles in) is 408. All three close the connection after the answer: aiohttp
  then drains what is left of the body for at most ``linger_seconds`` (so that a client
  still sending is not reset before it reads the answer) instead of its default 10 s.
- Response: the Accept header decides (q-values honoured; the more specific entry wins; a
  tie goes to the entry listed first, no header or ``*/*`` to JSON); if it allows neither,
  406. Problems are always ``application/problem+json``.

Bodies decode straight into the route's type (:mod:`engine.api`, msgspec); one that does not
fit its type is decoded again without one (:class:`Loose`), so that the handler can name
every bad field and row. JSON numbers with a fraction decode to ``decimal.Decimal`` where
a price is expected (exact), or to ``float`` in columnar batches (converted by numpy with
an exactness check instead). Answers are written through the API's types
(:mod:`engine.api.wire`).
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import msgpack
import msgspec
from aiohttp import web

from engine.api.wire import Decoders, to_json, to_msgpack
from engine.gateway.keys import FORMAT, LIMITS
from engine.gateway.problems import Problem

JSON = "application/json"
MSGPACK = "application/msgpack"
MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})
MAX_ACCEPT_ENTRIES = 32  # a longer Accept header is cut (it cannot be honest)
T = TypeVar("T")


@lru_cache(maxsize=256)  # clients send few distinct Accept headers
def negotiate(accept: str | None) -> str | None:
    """Return the response media type the Accept header prefers (JSON or msgpack), or None
    if it allows neither."""
    if not accept:
        return JSON
    # Per candidate, the most specific entry that matches it: (specificity, q, position).
    found: dict[str, tuple[int, float, int]] = {}
    for position, (media, q) in enumerate(accept_entries(accept)):
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


def accept_entries(accept: str) -> list[tuple[str, float]]:
    """The Accept header's entries as (media range in lower case, q), in the order listed
    (at most ``MAX_ACCEPT_ENTRIES``); a q that is not a number in [0, 1] counts as 0."""
    entries = []
    for entry in accept.split(",")[:MAX_ACCEPT_ENTRIES]:
        media, *params = (part.strip() for part in entry.split(";"))
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
        entries.append((media.lower(), q))
    return entries


def _constant(name: str) -> float:
    return float(name)  # NaN, Infinity, -Infinity: refused later by the field checks


# Built once: json.loads with keyword arguments builds a new decoder on every call.
_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_constant)
_FLOAT_JSON = json.JSONDecoder(parse_float=float, parse_constant=_constant)


class Loose:
    """A body that decoded, but not as the route's type: the handler says what is wrong
    with it (naming every bad row of a batch), from ``value`` as decoded without a type."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _json_body(request: web.Request) -> bool:
    """True for a JSON body, False for msgpack; 415 for any other Content-Type."""
    if request.headers.get("Content-Type") == JSON:  # the usual header: no parsing
        return True
    content_type = request.content_type
    if content_type == JSON:
        return True
    if content_type not in MSGPACK_TYPES:
        raise Problem(
            415,
            "unsupported-media-type",
            f"Content-Type must be {JSON} or {MSGPACK}, was {content_type!r}",
            headers={"Accept-Post": f"{JSON}, {MSGPACK}"},
        )
    return False


async def read_raw(request: web.Request) -> tuple[bytes, bool]:
    """The body's bytes (400 if empty), and whether it is JSON (else msgpack; 415 if
    neither)."""
    json_body = _json_body(request)
    raw = await _read(request)
    if not raw:
        raise Problem(400, "malformed-body", "a body is required")
    return raw, json_body


async def _read(request: web.Request) -> bytes:
    """The whole body, within the size and time limits (see the module docstring)."""
    limit = request.client_max_size
    declared = request.content_length
    if declared is not None and declared > limit:  # answer now: waiting for it helps no one
        raise _too_large(limit)
    content = request.content
    if content.is_eof():  # all of it arrived with the head: nothing to wait for
        if declared is None:
            return await request.read()
        raw = content.read_nowait()  # what read() returns, without its copies and awaits
        if len(raw) > limit:  # as read() checks it (a compressed body grew)
            raise _too_large(limit)
        return raw
    seconds = request.app[LIMITS].body_seconds
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:  # a chunked body: aiohttp stops at the limit
        raise _too_large(limit) from None
    except TimeoutError:
        detail = f"the body did not arrive within {seconds:g} s"
        raise Problem(408, "request-timeout", detail, close=True) from None


def _too_large(limit: int) -> Problem:
    detail = f"the request body is above the limit of {limit} bytes"
    return Problem(413, "body-too-large", detail, close=True)


def _loose(raw: bytes, json_body: bool, exact: bool) -> Any:
    try:
        if json_body:
            # JSON between systems is UTF-8 (RFC 8259); a bad byte is a ValueError too.
            return (_EXACT_JSON if exact else _FLOAT_JSON).decode(raw.decode("utf-8"))
        return msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as exc:
        kind = "JSON" if json_body else "msgpack"
        raise Problem(400, "malformed-body", f"the body is not valid {kind}: {exc}") from None


async def read_body(request: web.Request, *, exact: bool = True) -> Any:
    """Decode the request body by its Content-Type, without a type (see the module
    docstring); ``exact``: JSON numbers with a fraction become ``Decimal`` (else ``float``)."""
    raw, json_body = await read_raw(request)
    return _loose(raw, json_body, exact)


async def read_typed(request: web.Request, decoders: Decoders[T]) -> T | Loose:
    """Decode the request body as the type of ``decoders``; a body that is valid JSON or
    msgpack but not of that type comes back as :class:`Loose` (anything else is 400)."""
    raw, json_body = await read_raw(request)
    return decode_typed(raw, json_body, decoders)


def decode_typed(raw: bytes, json_body: bool, decoders: Decoders[T]) -> T | Loose:
    """:func:`read_typed` of a body already read (:func:`read_raw`)."""
    try:
        return (decoders.json if json_body else decoders.msgpack).decode(raw)
    except msgspec.DecodeError:  # also a ValidationError; NaN literals land here too
        return Loose(_loose(raw, json_body, decoders.exact_numbers))


def respond(
    request: web.Request, data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer ``data`` (an API type, or plain builtins) in the negotiated media type."""
    media = request.get(FORMAT, JSON)
    body = to_json(data) if media == JSON else to_msgpack(data)
    return web.Response(body=body, status=status, content_type=media, headers=headers)
