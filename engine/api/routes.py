"""Every route of the HTTP API in one table: path, method, who may call, parameters, the
request type and the response type per status.

The gateway registers its handlers from this table (:func:`engine.gateway.app.create_app`,
by ``operation``) and enforces ``roles`` before a handler runs; the OpenAPI document is
generated from it (:mod:`engine.api.openapi`). Request and response bodies are JSON or
msgpack (Content-Type, Accept); refusals are problem details (``problems``: the statuses a
route may refuse with besides the ones every authenticated route has, 401, 406 and 429).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from msgspec import Meta

from engine.api.accounts import Kpis, Statement, StatementPage
from engine.api.configuration import ClusterChange, ClusterChanged, ClusterConfig, Register
from engine.api.delivery import ReadingColumns, ReadingRows, ReadingsRecorded
from engine.api.live import CLOSES, StreamMessage
from engine.api.membership import Me, Members
from engine.api.service import ApiIndex, Audit, Clock, ClockChange, Clusters, Health
from engine.api.timetable import AuctionBook, Calendar, Depth, GateClosure, Interval, Trades
from engine.api.trading import (
    Bands,
    BandsPublished,
    Cancelled,
    NewOrder,
    OrderAccepted,
    OrderChange,
    OrderColumns,
    OrderColumnsMsgpack,
    Orders,
    OrdersAccepted,
    OrderStatus,
    Replaced,
)
from engine.api.values import INT64_MAX, InstantIn
from engine.model.calendar import INSTANT_RANGE

JSON = "application/json"
MSGPACK = "application/msgpack"
TEXT = "text/plain"
HTML = "text/html"
WEB_MEDIA = (HTML, "text/javascript", "text/css", "image/svg+xml")  # the web page's files
BODY_PROBLEMS = (400, 408, 413, 415, 422)  # any route that reads a body
MAX_CALENDAR = 31 * 96  # intervals in one calendar answer: a month of 15-minute intervals
MAX_PERIOD_DAYS = 366  # statements and KPIs: at most a (leap) year at once
STATEMENTS_PAGE = 100  # members in a page of GET /v1/statements/members unless limit says
MAX_STATEMENTS_PAGE = 1000  # most members in one page
ORDERS_PAGE = 100  # orders in a page of GET /v1/orders unless limit says
MAX_ORDERS_PAGE = 1000  # most orders in one page


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: Literal["path", "query"]
    kind: Any  # the parameter's type, for its schema
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Body:
    """A body: one type, several alternatives (one of them), or a type per media type."""

    kind: Any = None
    one_of: tuple[Any, ...] = ()
    by_media: dict[str, Any] = field(default_factory=dict)
    media: tuple[str, ...] = (JSON, MSGPACK)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    operation: str  # the operationId, and the name of the gateway's handler
    method: str
    path: str
    summary: str
    responses: dict[int, Body]  # successful statuses
    request: Body | None = None
    problems: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()  # who may call; () is any member with a token
    public: bool = False  # no token needed
    params: tuple[Param, ...] = ()
    with_metrics: bool = False  # only on an app that serves metrics
    messages: Any = None  # a WebSocket's message type (documented as x-websocket-messages)
    closes: Any = None  # a WebSocket's close codes: code -> (reason, meaning)


START = Param(
    "start",
    "path",
    str,
    True,
    f"interval start: ISO 8601 or seconds since the epoch, {INSTANT_RANGE}",
)
ORDER_ID = Param("order_id", "path", int, True, "an order's id")
PERIOD = (
    Param("from", "query", InstantIn, True, "period start (inclusive)"),
    Param("to", "query", InstantIn, True, f"period end (exclusive), at most {MAX_PERIOD_DAYS} "
          "days after from"),
)  # fmt: skip
ACCEPTED = Body(one_of=(OrderAccepted, OrdersAccepted))

ROUTES: tuple[Route, ...] = (
    Route(
        "index", "GET", "/",
        "Where the API is (no token needed): its base path, this document, the probes and "
        "GET /v1/me; a browser (Accept preferring text/html) gets the web page instead",
        {200: Body(by_media={JSON: ApiIndex, MSGPACK: ApiIndex, HTML: str})}, public=True,
    ),
    Route(
        "web_file", "GET", "/web/{name}",
        "A file of the web page: its scripts, style sheet and icon (no token needed)",
        {200: Body(str, media=WEB_MEDIA, description="the file")}, problems=(404,),
        public=True, params=(Param("name", "path", str, True, "the file's name"),),
    ),
    Route(
        "me", "GET", "/v1/me",
        "Who the token's member is: its role and cluster, the connection points its orders "
        "may name with their limits per interval [Wh] and in the config [kW], the price band "
        "of the interval being delivered now and the market's rules (calendar, mechanism, "
        "tick)",
        {200: Body(Me)},
    ),
    Route(
        "members", "GET", "/v1/members",
        "Coordinator: every member of the cluster with its role and connection points and "
        "their limits per interval [Wh] and in the config [kW]",
        {200: Body(Members)}, problems=(403,), roles=("coordinator",),
    ),
    Route(
        "submit_orders", "POST", "/v1/orders",
        "Submit one order (201), or a list of orders as one all-or-nothing batch",
        {201: ACCEPTED, 200: Body(one_of=(OrderAccepted, OrdersAccepted), description="a retry "
         "with the same client_order_id(s): nothing new was booked")},
        request=Body(NewOrder | list[NewOrder]),
        problems=(*BODY_PROBLEMS, 403, 409),
    ),
    Route(
        "list_orders", "GET", "/v1/orders",
        f"A page of the caller's own orders, oldest first ({ORDERS_PAGE} unless limit says; "
        "a request without parameters gets the first page): the next page with "
        "cursor=next_cursor, until next_cursor is null",
        {200: Body(Orders)},
        problems=(422,),
        params=(
            Param("interval_start", "query", InstantIn, False, "only this interval"),
            Param("status", "query", OrderStatus, False, "only orders in this status"),
            Param("cursor", "query", Annotated[int, Meta(ge=0, le=INT64_MAX)], False,
                  "the next_cursor of the page before (orders with a higher id); 0 or none: "
                  "the first page"),
            Param("limit", "query", Annotated[int, Meta(ge=1, le=MAX_ORDERS_PAGE)], False,
                  f"most orders in the page, 1 to {MAX_ORDERS_PAGE} (default {ORDERS_PAGE})"),
        ),
    ),
    Route(
        "submit_columns", "POST", "/v1/orders/batch",
        "Submit a columnar batch (one array per field), all or nothing",
        {201: Body(OrdersAccepted), 200: Body(OrdersAccepted, description="a retry")},
        request=Body(by_media={JSON: OrderColumns, MSGPACK: OrderColumnsMsgpack},
                     description="in msgpack the int64 columns may be bin"),
        problems=(*BODY_PROBLEMS, 403, 409),
    ),
    Route(
        "cancel_order", "DELETE", "/v1/orders/{order_id}",
        "Cancel an own order whose auction is still open",
        {200: Body(Cancelled)}, problems=(403, 404, 409), params=(ORDER_ID,),
    ),
    Route(
        "replace_order", "PATCH", "/v1/orders/{order_id}",
        "Replace price and/or quantity; the order gets a new id",
        {200: Body(Replaced)}, request=Body(OrderChange),
        problems=(*BODY_PROBLEMS, 403, 404, 409), params=(ORDER_ID,),
    ),
    Route(
        "calendar", "GET", "/v1/intervals",
        "The calendar: intervals with their states, gate times and bands",
        {200: Body(Calendar)},
        problems=(422,),
        params=(
            Param("from", "query", InstantIn, False, "first interval (default: the current one)"),
            Param("count", "query", int, False, f"how many, 1 to {MAX_CALENDAR}"),
        ),
    ),
    Route(
        "interval", "GET", "/v1/intervals/{start}",
        "One interval: state, band, indicative auction while open, result after the gate",
        {200: Body(Interval)}, problems=(404,), params=(START,),
    ),
    Route(
        "depth", "GET", "/v1/intervals/{start}/depth",
        "Aggregated book depth: open Wh per price, best first",
        {200: Body(Depth)}, problems=(404,), params=(START,),
    ),
    Route(
        "book", "GET", "/v1/intervals/{start}/book",
        "The auction's supply and demand curves: its active orders per price while the gate "
        "is open, the orders it cleared once the gate closed (at_gate)",
        {200: Body(AuctionBook)}, problems=(404,), params=(START,),
    ),
    Route(
        "trades", "GET", "/v1/intervals/{start}/trades",
        "Own trades of the interval (every trade, both sides, for the coordinator)",
        {200: Body(Trades)}, problems=(404,), params=(START,),
    ),
    Route(
        "close_gate", "POST", "/v1/intervals/{start}/close",
        "Coordinator: close the interval's auction gate now",
        {200: Body(GateClosure)}, problems=(403, 404, 409), roles=("coordinator",),
        params=(START,),
    ),
    Route(
        "record_readings", "POST", "/v1/readings",
        "DSO or coordinator: meter readings (objects or columns), all or nothing",
        {200: Body(ReadingsRecorded)}, request=Body(one_of=(ReadingRows, ReadingColumns)),
        problems=(*BODY_PROBLEMS, 403, 409), roles=("dso", "coordinator"),
    ),
    Route(
        "statement", "GET", "/v1/statements",
        "A member's statement over delivered intervals (own; any member's for the coordinator)",
        {200: Body(Statement)}, problems=(403, 404, 422),
        params=(*PERIOD, Param("member", "query", str, False, "coordinator only")),
    ),
    Route(
        "statement_page", "GET", "/v1/statements/members",
        "Coordinator: every member's statement over delivered intervals, a page of members "
        "at a time, in member order",
        {200: Body(StatementPage)}, problems=(403, 422), roles=("coordinator",),
        params=(
            *PERIOD,
            Param("cursor", "query", str, False, "the next_cursor of the page before"),
            Param(
                "limit", "query", Annotated[int, Meta(ge=1, le=MAX_STATEMENTS_PAGE)], False,
                f"members in the page (default {STATEMENTS_PAGE})",
            ),
        ),
    ),
    Route(
        "kpis", "GET", "/v1/kpis",
        "Cluster KPIs over the complete intervals of a period (every member may read them)",
        {200: Body(Kpis)}, problems=(422,), params=PERIOD,
    ),
    Route(
        "publish_bands", "POST", "/v1/price-bands",
        "Coordinator: publish price bands for intervals whose auction is open",
        {200: Body(BandsPublished)}, request=Body(Bands),
        problems=(*BODY_PROBLEMS, 403, 409), roles=("coordinator",),
    ),
    Route(
        "read_cluster", "GET", "/v1/cluster",
        "Coordinator: the cluster's configuration in force at an instant, as its document",
        {200: Body(ClusterConfig)}, problems=(403, 422), roles=("coordinator",),
        params=(Param("at", "query", InstantIn, False, "the instant (default: now)"),),
    ),
    Route(
        "change_cluster", "POST", "/v1/cluster/changes",
        "Coordinator: put a new configuration in force from an interval on; answers what "
        "changed and the orders it cancelled",
        {200: Body(ClusterChanged)}, request=Body(ClusterChange),
        problems=(*BODY_PROBLEMS, 403, 409), roles=("coordinator",),
    ),
    Route(
        "register", "GET", "/v1/register",
        "Coordinator: the cluster register's conditions (installed capacity, renewable share, "
        "demand cover, storage share, network, municipality) of the configuration in force "
        "at an instant",
        {200: Body(Register)}, problems=(403, 422), roles=("coordinator",),
        params=(Param("at", "query", InstantIn, False, "the instant (default: now)"),),
    ),
    Route(
        "read_audit", "GET", "/v1/audit",
        "Coordinator: the last check of the journal's hash chain and checkpoint (the one the "
        "server made as it started, or the last POST /v1/audit)",
        {200: Body(Audit)}, problems=(403,), roles=("coordinator",),
    ),
    Route(
        "run_audit", "POST", "/v1/audit",
        "Coordinator: check the durable journal's hash chain again up to its head now (read "
        "only; the market goes on) and keep the result as the last audit",
        {200: Body(Audit)}, problems=(403,), roles=("coordinator",),
    ),
    Route(
        "read_clock", "GET", "/v1/clock", "The market's time, and whether it is simulated",
        {200: Body(Clock)},
    ),
    Route(
        "set_clock", "POST", "/v1/clock",
        "Coordinator: move a simulated clock forward (klaster serve --scenario); gates it "
        "passes close at once",
        {200: Body(Clock)}, request=Body(ClockChange),
        problems=(*BODY_PROBLEMS, 403, 409), roles=("coordinator",),
    ),
    Route(
        "stream", "GET", "/v1/stream",
        "WebSocket: interval state changes, clearing results, own fills, bands, which "
        "auction books changed (JSON text frames; msgpack binary frames with ?format=msgpack). "
        "The token goes in Authorization, or (a browser) as the subprotocol bearer.<token> "
        "offered with the subprotocol klaster, which the answer then names",
        {101: Body(description="switching to the WebSocket protocol", media=())},
        problems=(400, 422),
        params=(Param("format", "query", Literal["json", "msgpack"], False, "frame encoding"),),
        messages=StreamMessage,
        closes=CLOSES,
    ),
    Route(
        "clusters", "GET", "/v1/clusters",
        "The clusters this server hosts (no token needed); each one's API is under "
        "/v1/clusters/{cluster_id}/, and a server hosting exactly one also serves it at /v1/",
        {200: Body(Clusters)}, public=True,
    ),
    Route(
        "openapi", "GET", "/v1/openapi.json", "This document",
        {200: Body(dict[str, Any], media=(JSON, MSGPACK), description="OpenAPI 3.1")},
        public=True,
    ),
    Route(
        "healthz", "GET", "/healthz",
        "The process answers, with the journal's durable head (seq, hash) to publish; 503 "
        "once the journal failed",
        {200: Body(Health)}, problems=(503,), public=True,
    ),
    Route(
        "readyz", "GET", "/readyz",
        "Ready: the runtime runs and the kernels are warm; with the journal's durable head",
        {200: Body(Health)}, problems=(503,), public=True,
    ),
    Route(
        "metrics", "GET", "/metrics", "Prometheus metrics (text format)",
        {200: Body(str, media=(TEXT,), description="metrics")}, public=True, with_metrics=True,
    ),
)  # fmt: skip


CLUSTERS_PATH = "/v1/clusters"
IN_CLUSTER = "_in_cluster"  # the operationId of a route's twin addressed to a cluster
CLUSTER_ID = Param(
    "cluster_id", "path", Annotated[str, Meta(pattern="^[a-z0-9-]{1,40}$")], True,
    "the cluster's id (GET /v1/clusters lists them); a token opens only its own cluster",
)  # fmt: skip
PLATFORM_PATHS = frozenset({"/v1/openapi.json", CLUSTERS_PATH})  # the server's, no cluster's


def in_cluster(route: Route) -> Route:
    """``route`` addressed to one cluster: ``/v1/X`` as ``/v1/clusters/{cluster_id}/X``,
    404 for a cluster this server does not host, 403 for a token of another cluster."""
    return replace(
        route,
        operation=route.operation + IN_CLUSTER,
        path=f"{CLUSTERS_PATH}/{{cluster_id}}{route.path.removeprefix('/v1')}",
        params=(CLUSTER_ID, *route.params),
        problems=tuple(sorted({*route.problems, 403, 404})),
    )


#: The routes of one cluster's market addressed to it by id (every /v1/ path but the
#: server's own), as a server hosting several clusters serves them.
CLUSTER_ROUTES: tuple[Route, ...] = tuple(
    in_cluster(r) for r in ROUTES if r.path.startswith("/v1/") and r.path not in PLATFORM_PATHS
)


def routes(with_metrics: bool) -> tuple[Route, ...]:
    """The routes of an app (``/metrics`` only if it serves metrics): every route, and every
    market route again addressed to its cluster (:data:`CLUSTER_ROUTES`)."""
    return tuple(r for r in ROUTES + CLUSTER_ROUTES if with_metrics or not r.with_metrics)
