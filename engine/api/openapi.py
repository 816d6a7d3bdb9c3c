"""The OpenAPI 3.1 document, generated from the route table and the API's types.

Schemas come from the types (``msgspec.json.schema_components``: docstrings become
descriptions, ``Meta`` gives units and ranges); paths, methods, parameters, who may call
and the statuses of each route from :data:`engine.api.routes.ROUTES`. Nothing here is
written by hand but the words of the problem statuses.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from engine.api.routes import JSON, MSGPACK, Body, Route, routes
from engine.api.service import Problem
from engine.api.wire import schema_hook
from engine.model.calendar import INSTANT_RANGE

PROBLEM_JSON = "application/problem+json"
REF = "#/components/schemas/{name}"
AUTHENTICATED = (401, 406, 429, 503)  # what every route with a token may answer

STATUS_TEXT = {
    400: "Malformed body (or, on the stream, not a WebSocket handshake)",
    401: "Missing, unknown, revoked or expired bearer token (WWW-Authenticate: Bearer)",
    403: "The caller's role may not do this",
    404: "Not found (also another member's order)",
    406: "Accept allows neither JSON nor msgpack",
    408: "The body did not arrive within the time limit (the connection is closed)",
    409: "The market's state forbids it now",
    413: "Body above the limit, answered before it is read (the connection is closed)",
    415: "Content-Type is neither JSON nor msgpack",
    422: "A value the rules refuse (field, and errors per row for batches)",
    429: "Rate limit (Retry-After)",
    503: (
        "Not ready; or journal-failed: the journal could not be written, nothing was "
        "acknowledged, the server stops and recovers what was (Retry-After)"
    ),
}


def _kinds(route: Route) -> list[Any]:
    bodies = list(route.responses.values())
    if route.request is not None:
        bodies.append(route.request)
    kinds = [p.kind for p in route.params]
    if route.messages is not None:
        kinds.append(route.messages)
    for body in bodies:
        kinds += [body.kind] if body.kind is not None else []
        kinds += [*body.one_of, *body.by_media.values()]
    return kinds


class _Schemas:
    """Every type's schema, ``$ref``s into ``components/schemas``."""

    def __init__(self, kinds: list[Any]) -> None:
        unique = list(dict.fromkeys(kinds))  # dict: first-seen order, deterministic
        found, self.components = msgspec.json.schema_components(
            unique, schema_hook=schema_hook, ref_template=REF
        )
        self._of = dict(zip(unique, found, strict=True))

    def of(self, kind: Any) -> dict[str, Any]:
        return self._of[kind]

    def body(self, body: Body) -> dict[str, dict[str, Any]]:
        """``content``: media type -> ``{"schema": ...}``."""
        if body.by_media:
            return {media: {"schema": self.of(k)} for media, k in body.by_media.items()}
        if body.one_of:
            schema = {"oneOf": [self.of(k) for k in body.one_of]}
        elif body.kind is not None:
            schema = self.of(body.kind)
        else:
            return {}
        return {media: {"schema": schema} for media in body.media}


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, body in route.responses.items():
        responses[str(status)] = {"description": body.description or "OK"}
        if content := schemas.body(body):
            responses[str(status)]["content"] = content
    refusals = set(route.problems) | (set() if route.public else set(AUTHENTICATED))
    for status in sorted(refusals):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    op: dict[str, Any] = {"operationId": route.operation, "summary": route.summary}
    if route.roles:
        op["description"] = "Only for: " + ", ".join(route.roles) + "."
        op["x-roles"] = list(route.roles)
    if route.params:
        op["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "description": p.description,
                "schema": schemas.of(p.kind),
            }
            for p in route.params
        ]
    if route.request is not None:
        op["requestBody"] = {
            "required": True,
            "description": route.request.description or "JSON or msgpack (by Content-Type)",
            "content": schemas.body(route.request),
        }
    op["responses"] = responses
    if route.messages is not None:  # OpenAPI has no WebSocket frames: an extension says them
        op["x-websocket-messages"] = schemas.of(route.messages)
    if route.closes is not None:
        op["x-websocket-close-codes"] = {
            str(int(code)): {"reason": reason, "description": meaning}
            for code, (reason, meaning) in route.closes.items()
        }
    if route.public:
        op["security"] = []
    return op


@cache
def document(with_metrics: bool) -> dict[str, Any]:
    """The OpenAPI document of an app (with ``/metrics`` if it serves metrics)."""
    table = routes(with_metrics)
    kinds = [Problem] + [k for route in table for k in _kinds(route)]
    schemas = _Schemas(kinds)
    paths: dict[str, dict[str, Any]] = {}
    for route in table:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    problem = {PROBLEM_JSON: {"schema": schemas.of(Problem)}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "klaster",
            "version": "1",
            "description": (
                "Peer-to-peer local energy trading for an energy cluster. Every endpoint takes "
                f"and gives {JSON} or {MSGPACK} (Content-Type, Accept); errors are "
                f"{PROBLEM_JSON} (RFC 9457). Energy in Wh, prices in PLN/MWh (exact decimal "
                "strings out), money in grosz, instants ISO 8601 UTC; an instant sent "
                f"(ISO 8601 with an offset, or seconds since the epoch) must be {INSTANT_RANGE}. "
                "A request that the HTTP parser refuses (a request line or header line above "
                "8190 bytes, more than 128 headers, a control character in a header, a "
                "malformed request line) never reaches the API: aiohttp answers it 400 "
                "text/plain and closes the connection."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas.components,
            "responses": {
                f"Problem{status}": {"description": text, "content": problem}
                for status, text in STATUS_TEXT.items()
            },
        },
    }
