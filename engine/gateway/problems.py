"""Problem details (RFC 9457): every refusal the gateway answers, and the one table that maps
the engine's :class:`~engine.model.rejects.Reject` codes to HTTP statuses and problem types.

A problem is ``application/problem+json`` with ``type`` (a URI under
``https://klaster.invalid/problems/``), ``title``, ``status``, ``detail`` and, where one
field is at fault, ``field`` (the API's name for it: ``quantity_wh``, ``connection_point``);
a refused batch also lists ``errors: [{row, field, code, detail}]`` (``code`` is the problem
type's last segment) and ``bad_rows`` (how many rows failed; ``errors`` may be cut short).
The batch problem's own status and type are those of its first listed error.

The engine's rejections are values (:class:`~engine.model.rejects.Rejected`); the gateway turns
them into a :class:`Problem` with :func:`from_rejected` / :func:`from_batch`. Problems found
while decoding a request at the edge are raised as :class:`Problem` (an exception: decoding
is nested, and the problems middleware is the one place that renders them).

Statuses: 400 malformed body, 401 no, unknown, revoked or expired token, 403 role (or
another member's statement), 404 unknown resource (also another member's order: ids must
not leak), 405, 406 no acceptable media type, 408 the body did not arrive in time, 409 the
market's state forbids it now (gate closed, order no longer active, client order id reused
with other content, interval not delivered), 413 body too large, 415 unsupported content
type, 422 a value the rules refuse, 429 rate limit, 503 not ready, or the journal could not
be written (:func:`journal_failed`). After a 408 or 413 the connection is closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from engine.api import UNSET, RowError
from engine.api import Problem as ProblemDetails
from engine.api.service import PROBLEM_BASE as BASE
from engine.api.wire import to_json
from engine.model.rejects import BatchRejected, Reject, Rejected

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = web.ResponseKey("problem_type", str)  # its slug, for metrics and access log

#: Engine reject code -> (HTTP status, problem type slug). Every Reject has a row (tested).
REJECTS: dict[Reject, tuple[int, str]] = {
    Reject.BAD_VALUE: (422, "bad-value"),
    Reject.BAD_SIDE: (422, "bad-side"),
    Reject.PRICE_OFF_TICK: (422, "price-off-tick"),
    Reject.PRICE_OUT_OF_BAND: (422, "price-out-of-band"),
    Reject.BAD_QUANTITY: (422, "bad-quantity"),
    Reject.QUANTITY_ABOVE_LIMIT: (422, "quantity-above-limit"),
    Reject.BAD_CLIENT_ORDER_ID: (422, "bad-client-order-id"),
    Reject.BAD_INTERVAL: (422, "bad-interval"),
    Reject.EMPTY_BATCH: (422, "empty-batch"),
    Reject.UNKNOWN_MEMBER: (403, "unknown-member"),
    # A foreign connection point reads like an unknown one: owners must not leak.
    Reject.UNKNOWN_CONNECTION_POINT: (422, "unknown-connection-point"),
    Reject.NOT_YOUR_CONNECTION_POINT: (422, "unknown-connection-point"),
    Reject.ROLE_FORBIDDEN: (403, "role-forbidden"),
    Reject.INTERVAL_NOT_OPEN: (409, "interval-not-open"),
    # Another member's order is "not found", never "forbidden": ids must not leak.
    Reject.UNKNOWN_ORDER: (404, "unknown-order"),
    Reject.NOT_YOUR_ORDER: (404, "unknown-order"),
    Reject.ORDER_NOT_ACTIVE: (409, "order-not-active"),
    Reject.CLIENT_ORDER_ID_CONFLICT: (409, "client-order-id-conflict"),
    Reject.INTERVAL_NOT_CLEARED: (409, "interval-not-cleared"),
    # A quantity the point cannot deliver beside its other orders: 422, like one above the
    # limit alone (the member's own cancels, not time, may make room).
    Reject.ABOVE_INTERVAL_LIMIT: (422, "above-interval-limit"),
    Reject.READING_NOT_DELIVERED: (409, "interval-not-delivered"),
}

TITLES: dict[str, str] = {
    "bad-value": "A value is not acceptable",
    "bad-side": "Side must be buy or sell",
    "price-off-tick": "Price is not a whole number of ticks",
    "price-out-of-band": "Price is outside the interval's band",
    "bad-quantity": "Quantity must be a positive number of Wh",
    "quantity-above-limit": "Quantity is above the connection point's limit",
    "bad-client-order-id": "Bad client order id",
    "bad-interval": "Not the start of an interval",
    "empty-batch": "Empty batch",
    "unknown-member": "Unknown member",
    "unknown-connection-point": "Not one of your connection points",
    "role-forbidden": "Your role may not do this",
    "interval-not-open": "The interval is not open",
    "unknown-order": "No such order",
    "order-not-active": "The order is no longer active",
    "client-order-id-conflict": "Client order id used with other content",
    "interval-not-cleared": "The interval is not cleared yet",
    "above-interval-limit": "The connection point's orders in the interval would pass its limit",
    "interval-not-delivered": "The interval is not delivered yet",
    "bad-config": "The configuration breaks a rule of the cluster config",
    "clock-not-simulated": "The server's clock is the wall clock",
    "clock-backwards": "The clock never goes back",
    "malformed-body": "The body cannot be decoded",
    "bad-request": "Bad request",
    "unauthorized": "A valid bearer token is required",
    "token-expired": "The bearer token has expired",
    "not-found": "Not found",
    "unknown-cluster": "This server hosts no such cluster",
    "wrong-cluster": "The token is of another cluster",
    "method-not-allowed": "Method not allowed",
    "not-acceptable": "No acceptable response media type",
    "request-timeout": "The body did not arrive in time",
    "body-too-large": "The body is too large",
    "unsupported-media-type": "Unsupported content type",
    "rate-limited": "Too many requests",
    "not-ready": "Not ready",
    "not-leader": "Not the cluster's leader",
    "journal-failed": "The journal cannot be written",
    "internal-error": "Internal error",
}

#: The engine's field names -> the API's.
FIELD_NAMES = {"quantity": "quantity_wh", "point": "connection_point"}


class Problem(Exception):
    """A refusal to answer with problem details (see the module docstring)."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        field: str | None = None,
        *,
        errors: Sequence[RowError] | None = None,
        bad_rows: int | None = None,
        headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.field = field
        self.errors = errors
        self.bad_rows = bad_rows
        self.headers = headers
        self.close = close  # end the connection after the answer (Connection: close)

    def body(self) -> ProblemDetails:
        listed = self.errors is not None
        return ProblemDetails(
            type=BASE + self.slug,
            title=TITLES.get(self.slug, self.slug),
            status=self.status,
            detail=self.detail,
            field=UNSET if self.field is None else self.field,
            errors=list(self.errors) if listed else UNSET,  # type: ignore[arg-type]
            bad_rows=self.bad_rows if listed and self.bad_rows is not None else UNSET,
        )

    def response(self) -> web.Response:
        # Always JSON (the media type RFC 9457 registers), whatever the request's Accept.
        response = web.Response(
            body=to_json(self.body()),
            status=self.status,
            content_type=PROBLEM_JSON,
            charset="utf-8",
            headers=self.headers,
        )
        response[PROBLEM_TYPE] = self.slug
        if self.close:
            response.force_close()
        return response


def unprocessable(field: str, detail: str, slug: str = "bad-value") -> Problem:
    return Problem(422, slug, detail, field)


JOURNAL_RETRY_S = 10
"""Retry-After of a journal failure [s]: about a supervisor's restart (the server stops)."""


def journal_failed() -> Problem:
    """The 503 of every request once a journal write failed (or of the one whose change it
    could not write): nothing was acknowledged, and a restart recovers what was."""
    detail = (
        "the journal could not be written; nothing of this request was acknowledged and the "
        "server takes no more requests until it restarts with what was acknowledged"
    )
    headers = {"Retry-After": str(JOURNAL_RETRY_S)}
    return Problem(503, "journal-failed", detail, headers=headers)


def _row_detail(r: Rejected, point_ids: Sequence[str] | None) -> str:
    if r.code in (Reject.UNKNOWN_CONNECTION_POINT, Reject.NOT_YOUR_CONNECTION_POINT):
        if point_ids is not None:
            point = point_ids[r.row or 0]
            return f"connection point {point!r} is not one of yours (GET /v1/me lists yours)"
        return "connection point is not one of yours (GET /v1/me lists yours)"
    return r.message


def from_rejected(r: Rejected, point_ids: Sequence[str] | None = None) -> Problem:
    """The problem of one refused command; ``point_ids`` are the connection point ids as the
    client sent them (row by row), so details name them without naming their owners."""
    status, slug = REJECTS[r.code]
    return Problem(status, slug, _row_detail(r, point_ids), FIELD_NAMES.get(r.field, r.field))


def from_batch(b: BatchRejected, point_ids: Sequence[str] | None = None) -> Problem:
    """The problem of a refused batch: every listed row, status and type of the first."""
    errors = [
        RowError(
            r.row, FIELD_NAMES.get(r.field, r.field), REJECTS[r.code][1], _row_detail(r, point_ids)
        )
        for r in b.rows
    ]
    first = b.rows[0]
    status, slug = REJECTS[first.code]
    detail = f"{b.bad_rows} bad row(s); nothing was applied. First: {errors[0].detail}"
    field = FIELD_NAMES.get(first.field, first.field)
    return Problem(status, slug, detail, field, errors=errors, bad_rows=b.bad_rows)


def row_problems(errors: list[RowError], bad_rows: int) -> Problem:
    """A 422 for rows the gateway itself could not convert (wrong types, off-tick prices)."""
    first = errors[0]
    detail = f"{bad_rows} bad row(s); nothing was applied. First: {first.detail}"
    return Problem(422, first.code, detail, first.field, errors=errors, bad_rows=bad_rows)
