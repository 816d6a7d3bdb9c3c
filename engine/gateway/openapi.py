"""The API's OpenAPI 3.1 document, served at ``/v1/openapi.json``.

Built as a Python dict next to the routes it describes; a test validates it with
openapi-spec-validator and checks that its paths and methods are exactly the app's routes.
Schemas are kept to what a client needs to build requests and read answers; units are in
the descriptions (Wh, PLN/MWh as decimal strings, grosz, ISO 8601 UTC).
"""

from __future__ import annotations

from typing import Any

from engine.gateway.problems import BASE

JSON = "application/json"
MSGPACK = "application/msgpack"
PROBLEM = "application/problem+json"

INSTANT = {
    "oneOf": [
        {"type": "string", "format": "date-time", "examples": ["2026-01-01T01:00:00Z"]},
        {"type": "integer", "minimum": 0, "description": "seconds since the Unix epoch"},
    ]
}
PRICE_IN = {
    "description": "PLN/MWh, a whole number of the cluster's ticks (default 0.01)",
    "oneOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}],
}
PRICE_OUT = {"type": "string", "description": "PLN/MWh, exact decimal", "examples": ["400.00"]}
NULLABLE_PRICE = {"type": ["string", "null"], "description": "PLN/MWh, exact decimal"}
WH = {"type": "integer", "description": "Wh"}
GROSZ = {"type": "integer", "description": "grosz"}
TIME_OUT = {"type": "string", "format": "date-time"}
INT64_BIN = {
    "type": "string",
    "contentMediaType": "application/octet-stream",
    "description": "msgpack bin: raw little-endian int64 values, 8 bytes a row",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


SCHEMAS: dict[str, Any] = {
    "Problem": _obj(
        {
            "type": {"type": "string", "format": "uri", "examples": [BASE + "price-out-of-band"]},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string"},
            "bad_rows": {"type": "integer"},
            "errors": {
                "type": "array",
                "items": _obj(
                    {
                        "row": {"type": ["integer", "null"]},
                        "field": {"type": "string"},
                        "code": {"type": "string"},
                        "detail": {"type": "string"},
                    }
                ),
            },
        },
        ["type", "title", "status", "detail"],
    ),
    "NewOrder": {
        **_obj(
            {
                "interval_start": INSTANT,
                "connection_point": {"type": "string"},
                "side": {"type": "string", "enum": ["buy", "sell"]},
                "price": PRICE_IN,
                "quantity_wh": {"type": "integer", "minimum": 1, "description": "Wh"},
                "client_order_id": {"type": "string", "minLength": 1, "maxLength": 64},
            },
            ["interval_start", "connection_point", "side", "price", "quantity_wh"],
        ),
        "additionalProperties": False,
    },
    "OrderColumns": {
        **_obj(
            {
                "interval_start": {"type": "array", "items": INSTANT},
                "connection_point": {"type": "array", "items": {"type": "string"}},
                "side": {"type": "array", "items": {"type": "string", "enum": ["buy", "sell"]}},
                "price": {"type": "array", "items": PRICE_IN},
                "quantity_wh": {"type": "array", "items": {"type": "integer"}},
                "client_order_id": {"type": "array", "items": {"type": ["string", "null"]}},
            },
            ["interval_start", "connection_point", "side", "price", "quantity_wh"],
        ),
        "additionalProperties": False,
    },
    "OrderColumnsMsgpack": {
        **_obj(
            {
                "interval_start": {
                    "oneOf": [{"type": "array", "items": INSTANT}, INT64_BIN],
                    "description": "seconds since the Unix epoch (or ISO 8601 in an array)",
                },
                "connection_point": {"type": "array", "items": {"type": "string"}},
                "side": {"type": "array", "items": {"type": "string", "enum": ["buy", "sell"]}},
                "price": {"type": "array", "items": PRICE_IN},
                "quantity_wh": {
                    "oneOf": [{"type": "array", "items": {"type": "integer"}}, INT64_BIN],
                    "description": "Wh",
                },
                "client_order_id": {"type": "array", "items": {"type": ["string", "null"]}},
            },
            ["interval_start", "connection_point", "side", "price", "quantity_wh"],
        ),
        "description": "OrderColumns in msgpack, where the int64 columns may also be msgpack "
        "bin: raw little-endian int64 values, 8 bytes a row, as many rows as the other "
        "columns (read without decoding each value: the fast form for large batches)",
        "additionalProperties": False,
    },
    "Order": _obj(
        {
            "order_id": {"type": "integer"},
            "interval_start": TIME_OUT,
            "connection_point": {"type": "string"},
            "side": {"type": "string", "enum": ["buy", "sell"]},
            "price": PRICE_OUT,
            "quantity_wh": WH,
            "status": {"type": "string", "enum": ["active", "cancelled", "cleared", "continuous"]},
            "filled_wh": {"type": ["integer", "null"], "description": "Wh, null before clearing"},
            "client_order_id": {"type": ["string", "null"]},
        }
    ),
    "Result": {
        "type": ["object", "null"],
        "properties": {
            "mechanism": {"type": "string"},
            "volume_wh": WH,
            "price": NULLABLE_PRICE,
            "buyer_price": NULLABLE_PRICE,
            "seller_price": NULLABLE_PRICE,
        },
    },
    "Interval": _obj(
        {
            "interval_start": TIME_OUT,
            "state": {
                "type": "string",
                "enum": ["planned", "open", "continuous", "cleared", "delivered", "settled"],
            },
            "opens_at": TIME_OUT,
            "gate_closes_at": TIME_OUT,
            "delivered_at": TIME_OUT,
            "floor": PRICE_OUT,
            "cap": PRICE_OUT,
            "indicative": _obj({"volume_wh": WH, "price": NULLABLE_PRICE}),
            "result": _ref("Result"),
            "missing_readings": {"type": "integer"},
        }
    ),
    "Trade": _obj(
        {
            "phase": {"type": "string", "enum": ["auction", "continuous"]},
            "order_id": {"type": "integer", "description": "own trades: the member's order"},
            "side": {"type": "string", "enum": ["buy", "sell"]},
            "price": PRICE_OUT,
            "buyer": {"type": "string", "description": "coordinator's view only"},
            "seller": {"type": "string"},
            "buyer_order_id": {"type": "integer"},
            "seller_order_id": {"type": "integer"},
            "buyer_price": PRICE_OUT,
            "seller_price": PRICE_OUT,
            "quantity_wh": WH,
        }
    ),
    "Reading": _obj(
        {
            "interval_start": INSTANT,
            "connection_point": {"type": "string"},
            "import_wh": WH,
            "export_wh": WH,
        },
        ["interval_start", "connection_point", "import_wh", "export_wh"],
    ),
    "Band": _obj(
        {"interval_start": INSTANT, "floor": PRICE_IN, "cap": PRICE_IN},
        ["interval_start", "floor", "cap"],
    ),
    "Clock": _obj({"now": TIME_OUT, "simulated": {"type": "boolean"}}, ["now", "simulated"]),
    "Statement": _obj(
        {
            "member": {"type": "string"},
            "from": TIME_OUT,
            "to": TIME_OUT,
            "intervals": {"type": "integer"},
            "pending": {"type": "array", "items": TIME_OUT},
            **{k: WH for k in ("bought_wh", "sold_wh", "shortfall_wh", "surplus_wh")},
            **{
                f"{k}_grosz": GROSZ
                for k in ("bought", "sold", "fee", "shortfall", "surplus", "cost", "baseline")
            },
            "savings_grosz": GROSZ,
        }
    ),
    "Kpis": _obj(
        {
            "from": TIME_OUT,
            "to": TIME_OUT,
            "intervals": {"type": "integer"},
            "pending": {"type": "array", "items": TIME_OUT},
            **{k: WH for k in ("import_wh", "export_wh", "local_use_wh", "traded_wh")},
            **{
                k: {"type": ["string", "null"], "description": "ratio, 6 decimals"}
                for k in ("self_sufficiency", "self_consumption", "traded_share")
            },
            **{
                k: NULLABLE_PRICE
                for k in (
                    "average_buyer_price",
                    "average_seller_price",
                    "average_cap",
                    "average_floor",
                )
            },
            "savings_grosz": GROSZ,
        }
    ),
}


def _body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "required": True,
        "description": description or "JSON or msgpack (by Content-Type)",
        "content": {JSON: {"schema": schema}, MSGPACK: {"schema": schema}},
    }


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}, MSGPACK: {}}}


def _problems(*statuses: int) -> dict[str, Any]:
    common = (401, 406, 429)
    return {
        str(s): {"$ref": f"#/components/responses/Problem{s}"}
        for s in sorted(set(statuses + common))
    }


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = body
    if parameters:
        op["parameters"] = parameters
    if public:
        op["security"] = []
    return op


def _query(name: str, schema: dict[str, Any], required: bool, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


START_PARAM = {
    "name": "start",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "interval start: ISO 8601 or seconds since the epoch",
}
ORDER_PARAM = {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PERIOD = [
    _query("from", INSTANT, True, "period start (inclusive)"),
    _query("to", INSTANT, True, "period end (exclusive), at most 366 days after from"),
]
ORDER_IDS = _obj({"order_ids": {"type": "array", "items": {"type": "integer"}}})


def _paths(with_metrics: bool) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/v1/orders": {
            "post": _op(
                "Submit one order (201), or a list of orders as one all-or-nothing batch",
                {
                    "201": _ok(
                        {"oneOf": [_obj({"order_id": {"type": "integer"}}), ORDER_IDS]},
                        "booked and durable",
                    ),
                    "200": {"description": "a retry with the same client_order_id(s)"},
                    **_problems(400, 403, 409, 413, 415, 422),
                },
                body=_body(
                    {"oneOf": [_ref("NewOrder"), {"type": "array", "items": _ref("NewOrder")}]}
                ),
            ),
            "get": _op(
                "The caller's own orders, oldest first",
                {
                    "200": _ok(_obj({"orders": {"type": "array", "items": _ref("Order")}})),
                    **_problems(422),
                },
                parameters=[_query("interval_start", INSTANT, False, "only this interval")],
            ),
        },
        "/v1/orders/batch": {
            "post": _op(
                "Submit a columnar batch (one array per field), all or nothing",
                {
                    "201": _ok(ORDER_IDS, "booked and durable"),
                    "200": {"description": "a retry"},
                    **_problems(400, 403, 409, 413, 415, 422),
                },
                body={
                    "required": True,
                    "description": "JSON or msgpack (by Content-Type); in msgpack the int64 "
                    "columns may be bin",
                    "content": {
                        JSON: {"schema": _ref("OrderColumns")},
                        MSGPACK: {"schema": _ref("OrderColumnsMsgpack")},
                    },
                },
            )
        },
        "/v1/orders/{order_id}": {
            "parameters": [ORDER_PARAM],
            "delete": _op(
                "Cancel an own order whose auction is still open",
                {
                    "200": _ok(
                        _obj({"order_id": {"type": "integer"}, "status": {"type": "string"}})
                    ),
                    **_problems(404, 409),
                },
            ),
            "patch": _op(
                "Replace price and/or quantity; the order gets a new id",
                {
                    "200": _ok(
                        _obj(
                            {
                                "order_id": {"type": "integer"},
                                "replaced_order_id": {"type": "integer"},
                            }
                        )
                    ),
                    **_problems(400, 404, 409, 413, 415, 422),
                },
                body=_body(
                    _obj({"price": PRICE_IN, "quantity_wh": {"type": "integer", "minimum": 1}})
                ),
            ),
        },
        "/v1/intervals": {
            "get": _op(
                "The calendar: intervals with their states, gate times and bands",
                {
                    "200": _ok(
                        _obj(
                            {
                                "now": TIME_OUT,
                                "intervals": {"type": "array", "items": _ref("Interval")},
                            }
                        )
                    ),
                    **_problems(422),
                },
                parameters=[
                    _query("from", INSTANT, False, "first interval (default: the current one)"),
                    _query(
                        "count",
                        {"type": "integer", "minimum": 1, "maximum": 2976},
                        False,
                        "how many",
                    ),
                ],
            )
        },
        "/v1/intervals/{start}": {
            "parameters": [START_PARAM],
            "get": _op(
                "One interval: state, band, indicative auction while open, result after the gate",
                {"200": _ok(_ref("Interval")), **_problems(404)},
            ),
        },
        "/v1/intervals/{start}/depth": {
            "parameters": [START_PARAM],
            "get": _op(
                "Aggregated book depth: open Wh per price, best first",
                {
                    "200": _ok(
                        _obj(
                            {
                                "interval_start": TIME_OUT,
                                "bids": {
                                    "type": "array",
                                    "items": _obj({"price": PRICE_OUT, "quantity_wh": WH}),
                                },
                                "asks": {
                                    "type": "array",
                                    "items": _obj({"price": PRICE_OUT, "quantity_wh": WH}),
                                },
                            }
                        )
                    ),
                    **_problems(404),
                },
            ),
        },
        "/v1/intervals/{start}/trades": {
            "parameters": [START_PARAM],
            "get": _op(
                "Own trades of the interval (every trade, both sides, for the coordinator)",
                {
                    "200": _ok(
                        _obj(
                            {
                                "interval_start": TIME_OUT,
                                "state": {"type": "string"},
                                "trades": {"type": "array", "items": _ref("Trade")},
                            }
                        )
                    ),
                    **_problems(404),
                },
            ),
        },
        "/v1/intervals/{start}/close": {
            "parameters": [START_PARAM],
            "post": _op(
                "Coordinator: close the interval's auction gate now",
                {
                    "200": _ok(
                        _obj(
                            {
                                "interval_start": TIME_OUT,
                                "state": {"type": "string"},
                                "result": _ref("Result"),
                            }
                        )
                    ),
                    **_problems(403, 404, 409),
                },
            ),
        },
        "/v1/readings": {
            "post": _op(
                "DSO or coordinator: meter readings, all or nothing",
                {
                    "200": _ok(
                        _obj(
                            {
                                "recorded": {"type": "integer"},
                                "intervals": {
                                    "type": "array",
                                    "items": _obj(
                                        {"interval_start": TIME_OUT, "state": {"type": "string"}}
                                    ),
                                },
                            }
                        )
                    ),
                    **_problems(400, 403, 409, 413, 415, 422),
                },
                body=_body(
                    {
                        "oneOf": [
                            _obj(
                                {"readings": {"type": "array", "items": _ref("Reading")}},
                                ["readings"],
                            ),
                            _obj(
                                {
                                    k: {"type": "array"}
                                    for k in (
                                        "interval_start",
                                        "connection_point",
                                        "import_wh",
                                        "export_wh",
                                    )
                                },
                                ["interval_start", "connection_point", "import_wh", "export_wh"],
                            ),
                        ]
                    }
                ),
            )
        },
        "/v1/statements": {
            "get": _op(
                "A member's statement over delivered intervals "
                "(own; any member's for the coordinator)",
                {"200": _ok(_ref("Statement")), **_problems(403, 404, 422)},
                parameters=[
                    *PERIOD,
                    _query("member", {"type": "string"}, False, "coordinator only"),
                ],
            )
        },
        "/v1/kpis": {
            "get": _op(
                "Cluster KPIs over the complete intervals of a period (every member may read them)",
                {"200": _ok(_ref("Kpis")), **_problems(422)},
                parameters=PERIOD,
            )
        },
        "/v1/price-bands": {
            "post": _op(
                "Coordinator: publish price bands for intervals whose auction is open",
                {
                    "200": _ok(
                        _obj(
                            {
                                "published": {"type": "integer"},
                                "bands": {"type": "array", "items": _ref("Band")},
                            }
                        )
                    ),
                    **_problems(400, 403, 409, 413, 415, 422),
                },
                body=_body(_obj({"bands": {"type": "array", "items": _ref("Band")}}, ["bands"])),
            )
        },
        "/v1/clock": {
            "get": _op(
                "The market's time, and whether it is simulated",
                {"200": _ok(_ref("Clock"))},
            ),
            "post": _op(
                "Coordinator: move a simulated clock forward (klaster serve --scenario); "
                "gates it passes close at once",
                {"200": _ok(_ref("Clock")), **_problems(400, 403, 409, 413, 415, 422)},
                body=_body(_obj({"now": INSTANT}, ["now"])),
            ),
        },
        "/v1/stream": {
            "get": _op(
                "WebSocket: interval state changes, clearing results, own fills "
                "(JSON text frames; msgpack binary frames with ?format=msgpack)",
                {"101": {"description": "switching to the WebSocket protocol"}, **_problems(422)},
                parameters=[
                    _query(
                        "format",
                        {"type": "string", "enum": ["json", "msgpack"]},
                        False,
                        "frame encoding",
                    )
                ],
            )
        },
        "/v1/openapi.json": {
            "get": _op(
                "This document",
                {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}},
                public=True,
            )
        },
        "/healthz": {
            "get": _op(
                "The process answers",
                {"200": _ok(_obj({"status": {"type": "string"}}))},
                public=True,
            )
        },
        "/readyz": {
            "get": _op(
                "Ready: the runtime runs and the kernels are warm",
                {
                    "200": _ok(_obj({"status": {"type": "string"}})),
                    "503": {"$ref": "#/components/responses/Problem503"},
                },
                public=True,
            )
        },
    }
    if with_metrics:
        paths["/metrics"] = {
            "get": _op(
                "Prometheus metrics (text format)",
                {
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
                public=True,
            )
        }
    return paths


_STATUS_TEXT = {
    400: "Malformed body",
    401: "Missing or unknown bearer token (WWW-Authenticate: Bearer)",
    403: "The caller's role may not do this",
    404: "Not found (also another member's order)",
    406: "Accept allows neither JSON nor msgpack",
    409: "The market's state forbids it now",
    413: "Body above the limit",
    415: "Content-Type is neither JSON nor msgpack",
    422: "A value the rules refuse (field, and errors per row for batches)",
    429: "Rate limit (Retry-After)",
    503: "Not ready",
}


def document(with_metrics: bool) -> dict[str, Any]:
    """The OpenAPI document of an app (with ``/metrics`` if it serves metrics)."""
    problem = {PROBLEM: {"schema": _ref("Problem")}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "klaster",
            "version": "1",
            "description": (
                "Peer-to-peer local energy trading for an energy cluster. Every endpoint takes "
                "and gives application/json or application/msgpack (Content-Type, Accept); "
                "errors are application/problem+json (RFC 9457). Energy in Wh, prices in "
                "PLN/MWh (exact decimal strings out), money in grosz, instants ISO 8601 UTC."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(with_metrics),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {
                f"Problem{status}": {"description": text, "content": problem}
                for status, text in _STATUS_TEXT.items()
            },
        },
    }
