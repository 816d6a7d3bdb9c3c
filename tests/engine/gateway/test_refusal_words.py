"""Refusals speak the client's units: prices in PLN/MWh with the tick's decimals, instants in
RFC 3339 UTC, saying when a gate closed or an interval opens; never ticks or seconds since
the epoch. The machine-readable parts (type, field, row errors' codes) are as they were.

Every reject code the API can give is walked on the real gateway over loopback (one case or
more each; the table must cover them all), and hypothesis sends bad orders (single, lists
and columns) to one live gateway and reads every detail it gets back."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.gateway.problems import REJECTS
from engine.model.rejects import Reject
from engine.model.wording import instant as iso
from tests.engine.gateway.test_refusals import problem
from tests.gateway_support import (
    START,
    START_ISO,
    T0,
    TOKENS,
    DictTokens,
    Gateway,
    LiveGateway,
    Reply,
    order,
    run,
    serve,
)

EPOCH_SECONDS = re.compile(r"(?<![\d.])\d{10}(?![\d.])")  # a bare 10-digit number
NOT_YET_OPEN = START + 5 * 3600  # 06:00, opens at 04:00 (8 intervals ahead)
GHOST = {**TOKENS, "t-ghost": "ghost"}  # a token of a member the cluster does not know


def details(body: dict[str, Any]) -> list[str]:
    """The problem's detail and every row error's."""
    return [body["detail"], *(e["detail"] for e in body.get("errors", []))]


def assert_in_client_units(body: dict[str, Any]) -> None:
    for text in details(body):
        assert "ticks" not in text, text
        assert not EPOCH_SECONDS.search(text), text


async def post_order(g: Gateway, token: str = "t-dom-1", **fields: Any) -> Reply:
    return await g.call("POST", "/v1/orders", token, order(**fields))


def as_columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Orders as one array per field."""
    names = ["interval_start", "connection_point", "side", "price", "quantity_wh"]
    return {name: [row[name] for row in rows] for name in names}


async def booked(g: Gateway, **fields: Any) -> None:
    assert (await post_order(g, **fields)).status == 201


# Each case: (the reject code it reaches, what it sends) -> (reply, problem type, field, words).
Case = Callable[[Gateway], Awaitable[tuple[Reply, str, str | None, str]]]
CASES: dict[str, tuple[Reject, Case]] = {}


def case(name: str, code: Reject) -> Callable[[Case], Case]:
    def register(send: Case) -> Case:
        CASES[name] = (code, send)
        return send

    return register


@case("price-out-of-band", Reject.PRICE_OUT_OF_BAND)
async def _(g: Gateway) -> Any:
    words = "price 1000.00 PLN/MWh is outside the band 250.00..900.00 PLN/MWh"
    return await post_order(g, price="1000"), "price-out-of-band", "price", words


@case("price-below-the-band-in-a-batch", Reject.PRICE_OUT_OF_BAND)
async def _(g: Gateway) -> Any:
    rows = [order(), order(price="249.99")]
    reply = await g.call("POST", "/v1/orders", "t-dom-1", rows)
    words = "price 249.99 PLN/MWh is outside the band 250.00..900.00 PLN/MWh"
    assert reply.body["errors"][0]["row"] == 1
    return reply, "price-out-of-band", "price", words


@case("price-off-tick", Reject.PRICE_OFF_TICK)
async def _(g: Gateway) -> Any:
    words = "price must be a multiple of 0.01 PLN/MWh (the cluster's tick), was 300.001"
    return await post_order(g, price="300.001"), "price-off-tick", "price", words


@case("price-off-tick-in-columns", Reject.PRICE_OFF_TICK)
async def _(g: Gateway) -> Any:
    columns = as_columns([order(), order(price=300.001)])
    reply = await g.call("POST", "/v1/orders/batch", "t-dom-1", columns)
    return reply, "price-off-tick", "price", "a multiple of 0.01 PLN/MWh"


@case("not-yet-open", Reject.INTERVAL_NOT_OPEN)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, interval_start=NOT_YET_OPEN)
    words = "interval 2026-01-01T06:00:00Z is not open yet (opens at 04:00:00Z)"
    return reply, "interval-not-open", "interval_start", words


@case("gate-closed", Reject.INTERVAL_NOT_OPEN)
async def _(g: Gateway) -> Any:
    g.at(START - 60)
    words = "interval 2026-01-01T01:00:00Z is not open (closed at 00:55:00Z)"
    return await post_order(g), "interval-not-open", "interval_start", words


@case("gate-closed-the-day-before", Reject.INTERVAL_NOT_OPEN)
async def _(g: Gateway) -> Any:
    g.at(T0)
    words = "interval 2026-01-01T00:00:00Z is not open (closed at 2025-12-31T23:55:00Z)"
    return await post_order(g, interval_start=T0), "interval-not-open", "interval_start", words


@case("gate-closed-early-in-a-batch", Reject.INTERVAL_NOT_OPEN)
async def _(g: Gateway) -> Any:
    assert (await g.call("POST", f"/v1/intervals/{START}/close", "t-oke")).status == 200
    reply = await g.call("POST", "/v1/orders", "t-dom-1", [order(), order()])
    assert [e["code"] for e in reply.body["errors"]] == ["interval-not-open"] * 2
    words = "interval 2026-01-01T01:00:00Z is not open (the coordinator closed its gate early)"
    return reply, "interval-not-open", "interval_start", words


@case("not-an-interval-start", Reject.BAD_INTERVAL)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, interval_start=START + 420)
    words = (
        "2026-01-01T01:07:00Z is not the start of a 15-minute interval "
        "(the interval it falls in starts at 01:00:00Z)"
    )
    return reply, "bad-interval", "interval_start", words


@case("reading-not-an-interval-start", Reject.BAD_INTERVAL)
async def _(g: Gateway) -> Any:
    g.at(START + 900)
    reading = {"interval_start": START + 60, "connection_point": "P-1", "import_wh": 0,
               "export_wh": 5}  # fmt: skip
    reply = await g.call("POST", "/v1/readings", "t-dso", {"readings": [reading]})
    words = "2026-01-01T01:01:00Z is not the start of a 15-minute interval"
    return reply, "bad-interval", "interval_start", words


@case("reading-not-delivered", Reject.READING_NOT_DELIVERED)
async def _(g: Gateway) -> Any:
    reading = {"interval_start": START_ISO, "connection_point": "P-1", "import_wh": 0,
               "export_wh": 5}  # fmt: skip
    reply = await g.call("POST", "/v1/readings", "t-dso", {"readings": [reading]})
    words = "interval 2026-01-01T01:00:00Z is not delivered yet (delivered at 01:15:00Z)"
    return reply, "interval-not-delivered", "interval_start", words


@case("band-fixed", Reject.INTERVAL_NOT_OPEN)
async def _(g: Gateway) -> Any:
    g.at(START - 60)
    band = {"interval_start": START_ISO, "floor": "200.00", "cap": "950.00"}
    reply = await g.call("POST", "/v1/price-bands", "t-oke", {"bands": [band]})
    words = "the gate of interval 2026-01-01T01:00:00Z closed at 00:55:00Z: its band is fixed"
    return reply, "interval-not-open", "interval_start", words


@case("floor-above-cap", Reject.BAD_VALUE)
async def _(g: Gateway) -> Any:
    band = {"interval_start": START_ISO, "floor": "900.00", "cap": "250.50"}
    reply = await g.call("POST", "/v1/price-bands", "t-oke", {"bands": [band]})
    words = "floor must be <= cap, was 900.00 PLN/MWh > 250.50 PLN/MWh"
    return reply, "bad-value", "floor", words


@case("bad-side", Reject.BAD_SIDE)
async def _(g: Gateway) -> Any:
    columns = as_columns([order(side="hold")])
    reply = await g.call("POST", "/v1/orders/batch", "t-dom-1", columns)
    return reply, "bad-side", "side", "side must be buy or sell"


@case("bad-quantity", Reject.BAD_QUANTITY)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, quantity_wh=0)
    return reply, "bad-quantity", "quantity_wh", "quantity must be > 0 Wh, was 0"


@case("quantity-above-limit", Reject.QUANTITY_ABOVE_LIMIT)
async def _(g: Gateway) -> Any:
    words = "quantity 2001 Wh is above the 2000 Wh that connection point P-1 can export"
    return await post_order(g, quantity_wh=2001), "quantity-above-limit", "quantity_wh", words


@case("above-interval-limit", Reject.ABOVE_INTERVAL_LIMIT)
async def _(g: Gateway) -> Any:
    await booked(g, quantity_wh=1500)
    words = (
        f"connection point P-1 may export 2000 Wh in interval {START_ISO}; 1500 Wh are "
        "already offered or sold, this order asks 600 Wh"
    )
    return await post_order(g, quantity_wh=600), "above-interval-limit", "quantity_wh", words


@case("client-order-id-twice", Reject.BAD_CLIENT_ORDER_ID)
async def _(g: Gateway) -> Any:
    rows = [order(client_order_id="a"), order(client_order_id="a")]
    reply = await g.call("POST", "/v1/orders", "t-dom-1", rows)
    words = "client_order_id 'a' appears twice in the batch"
    return reply, "bad-client-order-id", "client_order_id", words


@case("client-order-id-conflict", Reject.CLIENT_ORDER_ID_CONFLICT)
async def _(g: Gateway) -> Any:
    await booked(g, client_order_id="a")
    reply = await post_order(g, client_order_id="a", price="301.00")
    words = "client_order_id 'a' was used for order 1 with other content"
    return reply, "client-order-id-conflict", "client_order_id", words


@case("empty-batch", Reject.EMPTY_BATCH)
async def _(g: Gateway) -> Any:
    reply = await g.call("POST", "/v1/orders", "t-dom-1", [])
    return reply, "empty-batch", "orders", "orders must not be empty"


@case("unknown-member", Reject.UNKNOWN_MEMBER)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, token="t-ghost")
    return reply, "unknown-member", None, "member 'ghost' is not in this cluster"


@case("unknown-connection-point", Reject.UNKNOWN_CONNECTION_POINT)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, connection_point="P-X")
    words = "connection point 'P-X' is not one of yours (GET /v1/me lists yours)"
    return reply, "unknown-connection-point", "connection_point", words


@case("another-members-connection-point", Reject.NOT_YOUR_CONNECTION_POINT)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, connection_point="P-2")
    words = "connection point 'P-2' is not one of yours (GET /v1/me lists yours)"
    return reply, "unknown-connection-point", "connection_point", words


@case("role-forbidden", Reject.ROLE_FORBIDDEN)
async def _(g: Gateway) -> Any:
    reply = await post_order(g, token="t-dso")
    return reply, "role-forbidden", "member", "a dso member cannot trade"


@case("unknown-order", Reject.UNKNOWN_ORDER)
async def _(g: Gateway) -> Any:
    reply = await g.call("DELETE", "/v1/orders/999", "t-dom-1")
    return reply, "unknown-order", "order_id", "no order 999"


@case("another-members-order", Reject.NOT_YOUR_ORDER)
async def _(g: Gateway) -> Any:
    await booked(g)
    reply = await g.call("DELETE", "/v1/orders/1", "t-dom-2")
    return reply, "unknown-order", "order_id", "no order 1"


@case("order-not-active", Reject.ORDER_NOT_ACTIVE)
async def _(g: Gateway) -> Any:
    await booked(g)
    assert (await g.call("DELETE", "/v1/orders/1", "t-dom-1")).status == 200
    reply = await g.call("DELETE", "/v1/orders/1", "t-dom-1")
    return reply, "order-not-active", "order_id", "order 1 is not active"


@case("replace-out-of-band", Reject.PRICE_OUT_OF_BAND)
async def _(g: Gateway) -> Any:
    await booked(g)
    reply = await g.call("PATCH", "/v1/orders/1", "t-dom-1", {"price": "900.01"})
    words = "price 900.01 PLN/MWh is outside the band 250.00..900.00 PLN/MWh"
    return reply, "price-out-of-band", "price", words


#: Codes no request can reach, and why.
UNREACHABLE = {Reject.INTERVAL_NOT_CLEARED: "no command refuses with it"}


def test_the_cases_walk_every_reject_code() -> None:
    reached = {code for code, _ in CASES.values()}
    assert reached == set(Reject) - set(UNREACHABLE)
    assert set(REJECTS) == set(Reject)


@pytest.mark.parametrize("name", list(CASES))
@run
async def test_a_refusal_says_prices_and_instants_as_the_client_sent_them(
    tmp_path: Path, name: str
) -> None:
    _, send = CASES[name]
    async with serve(tmp_path, tokens=DictTokens(GHOST)) as g:
        reply, slug, field, words = await send(g)
        body = problem(reply, reply.status, slug, field)
        assert any(words in text for text in details(body)), details(body)
        assert_in_client_units(body)


# --- hypothesis: bad orders of every kind, one live gateway --------------------------------

starts = st.sampled_from(
    [T0 - 900, T0, START - 900, START, START + 60, START + 900, T0 + 7200, NOT_YET_OPEN]
).flatmap(lambda t: st.sampled_from([t, iso(t)]))
prices = st.decimals(-2000, 2000, places=3).map(str) | st.integers(-2000, 2000)
orders = st.fixed_dictionaries(
    {
        "interval_start": starts,
        "connection_point": st.sampled_from(["P-1", "P-2", "P-X", "P-OKE"]),
        "side": st.sampled_from(["buy", "sell"]),
        "price": prices,
        "quantity_wh": st.integers(-5, 5000),
    },
    optional={"client_order_id": st.sampled_from(["a", "b", ""])},
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with LiveGateway(tmp_path_factory.mktemp("words") / "data") as gateway:
        yield gateway


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(orders, min_size=1, max_size=4),
    shape=st.sampled_from(["one", "list", "columns"]),
    token=st.sampled_from(["t-dom-1", "t-oke", "t-dso"]),
)
def test_no_refused_order_is_answered_in_ticks_or_epoch_seconds(
    live: LiveGateway, rows: list[dict[str, Any]], shape: str, token: str
) -> None:
    if shape == "one":
        reply = live.call("POST", "/v1/orders", token, rows[0])
    elif shape == "list":
        reply = live.call("POST", "/v1/orders", token, rows)
    else:
        reply = live.call("POST", "/v1/orders/batch", token, as_columns(rows))
    assert reply.status < 500, reply.body
    if reply.status >= 400:
        assert_in_client_units(reply.body)
        codes = {e["code"] for e in reply.body.get("errors", [])}
        assert codes <= {slug for _, slug in REJECTS.values()}, codes
