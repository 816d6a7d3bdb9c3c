"""Typed keys of the gateway's application and requests, and who is calling.

One place for every ``web.AppKey`` and ``web.RequestKey`` so that modules share them without
importing each other (aiohttp's typed keys instead of strings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from engine.market.metrics import Metrics
from engine.market.runtime import Runtime


class TokenLookup(Protocol):
    """What the gateway needs of a token store: the member a live bearer token belongs to,
    and, for a refused one, whether it expired (:class:`engine.store.tokens.TokenStore`)."""

    def member_for(self, token: str) -> str | None: ...

    def expired_at(self, token: str) -> int | None:
        """When a known, unrevoked token expired [µs since the epoch]; None otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class Limits:
    """The gateway's limits on what one client may send."""

    max_body_bytes: int = 16 * 1024 * 1024  # a request body above this is refused with 413
    body_seconds: float = 60.0  # a body still incomplete after this long is refused with 408
    linger_seconds: float = 1.0  # how long a body left unread is drained before closing
    rate_per_s: float = 2000.0  # requests per second per member, sustained (token bucket)
    burst: int = 4000  # requests a member may send at once (the bucket's size)
    stream_queue: int = 4096  # messages a slow stream may lag behind before it is closed


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated member behind a request."""

    member_id: str
    code: int  # the member's code in the market's registry
    role: str  # "member" | "coordinator" | "dso"


RUNTIME = web.AppKey("runtime", Runtime)
TOKENS = web.AppKey("tokens", TokenLookup)
METRICS = web.AppKey("metrics", Metrics | None)  # type: ignore[arg-type]
LIMITS = web.AppKey("limits", Limits)
READY = web.AppKey("ready", Callable[[], bool])  # type: ignore[arg-type]
HUB = web.AppKey("hub", "Hub")
HOSTED = web.AppKey("hosted", dict[str, Runtime])  # the server's clusters: id -> runtime

CALLER = web.RequestKey("caller", Caller)
FORMAT = web.RequestKey("format", str)  # the response media type the client accepts
BEARER = web.RequestKey("bearer", str)  # a stream's token, checked again while it is open
