"""The HTTP API of a cluster's market (aiohttp): ``create_app(runtime, tokens, metrics)``.

The request and response types, the route table and the OpenAPI document are the API's
(:mod:`engine.api`); this package serves them. One module per job: ``app`` (the factory,
binding the route table to handlers), ``middlewares`` (metrics, problems, auth and rate
limit), ``encoding`` (JSON/msgpack negotiation, typed decoding), ``validation`` (what is
wrong with a body that does not fit its type), ``quantities`` (exact unit conversion at
the edge), ``commands`` (typed bodies -> engine commands), ``problems`` (RFC 9457 and the
Reject -> HTTP table), ``views`` (records -> response types), the handlers (``orders``,
``intervals``, ``readings``, ``reports``, ``controls``, ``market_clock``, ``health``) and
``stream`` (the WebSocket).
"""

from engine.gateway.app import create_app
from engine.gateway.keys import Limits, TokenLookup

__all__ = ["Limits", "TokenLookup", "create_app"]
