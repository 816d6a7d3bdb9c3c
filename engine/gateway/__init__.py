"""The HTTP API of a cluster's market (aiohttp): ``create_app(runtime, tokens, metrics)``.

One module per job: ``app`` (the factory and routes), ``middlewares`` (metrics, problems,
auth and rate limit), ``encoding`` (JSON/msgpack negotiation), ``units`` (exact unit
conversion at the edge), ``commands`` (bodies -> engine commands), ``problems`` (RFC 9457
and the Reject -> HTTP table), ``views`` (records -> response dicts), the handlers
(``orders``, ``intervals``, ``readings``, ``reports``, ``controls``, ``health``), ``stream``
(the WebSocket) and ``openapi`` (the document at ``/v1/openapi.json``).
"""

from engine.gateway.app import create_app
from engine.gateway.keys import Limits, TokenLookup

__all__ = ["Limits", "TokenLookup", "create_app"]
