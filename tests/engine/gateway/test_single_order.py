"""The single order decoded straight into the command (``engine.gateway.single_order``)
against the full way (the API's type, then ``commands.new_order``): whatever the short way
accepts, the full way turns into the same order; what it refuses, the full way refuses
with the same problem; and the usual order does take the short way."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgpack
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import api
from engine.book.new_orders import NewOrder
from engine.gateway import commands, single_order
from engine.gateway.encoding import Loose, decode_typed
from engine.gateway.orders import ORDERS
from engine.gateway.problems import Problem

CODES = {"P-1": 0, "P-2": 1}
START = 1_798_761_600  # 2027-01-01T00:00:00Z
TICKS = (Decimal("0.01"), Decimal("1"), Decimal("0.1"), Decimal("0.05"), Decimal("10"))

digits = st.text("0123456789", min_size=1, max_size=12)
prices = st.one_of(
    st.builds(lambda s, w, f: f"{s}{w}.{f}", st.sampled_from(("", "-")), digits, digits),
    st.builds(lambda s, w: f"{s}{w}", st.sampled_from(("", "-")), digits),
    st.integers(-(10**12), 10**12),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(float),
    st.sampled_from(
        ["512.30", "512.3", "512.300", "512.301", "-0.00", "1e3", "+5", " 5", "5.", ".5", "",
         "NaN", "١٢", "٣.٥", "1_000", "0" * 41, "9" * 40, "1000000.00", "1000000.01"]
    ),
    st.text(max_size=8),
)  # fmt: skip
instants = st.one_of(
    st.integers(START - 10, START + 10),
    st.sampled_from([0, 2**40, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00", "x", ""]),
)
bodies = st.fixed_dictionaries(
    {
        "interval_start": instants,
        "connection_point": st.sampled_from(["P-1", "P-2", "P-9"]),
        "side": st.sampled_from(["buy", "sell", "hold"]),
        "price": prices,
        "quantity_wh": st.one_of(st.integers(-5, 10**6), st.just(2.5)),
    },
    optional={
        "client_order_id": st.one_of(st.none(), st.text(max_size=70)),
        "extra": st.just(1),
    },
)


def full_way(raw: bytes, json_body: bool, tick: Decimal) -> tuple[NewOrder, str] | str:
    body = decode_typed(raw, json_body, ORDERS)
    if type(body) is Loose:
        body = commands.loose_order(body)
    if type(body) is not api.NewOrder:
        return "a list"
    return commands.new_order(body, CODES, tick), body.connection_point


def outcome(way: Any, *args: Any) -> Any:
    try:
        return way(*args)
    except Problem as problem:
        return ("problem", problem.status, problem.slug, problem.field, problem.detail)


@settings(max_examples=600)
@given(bodies, st.booleans(), st.sampled_from(TICKS))
def test_the_short_way_answers_as_the_full_way_or_not_at_all(
    body: dict[str, Any], json_body: bool, tick: Decimal
) -> None:
    raw = json.dumps(body).encode() if json_body else msgpack.packb(body)
    short = outcome(single_order.decode, raw, json_body, CODES, tick)
    if short is not None:
        assert short == outcome(full_way, raw, json_body, tick)


@given(
    st.integers(-(10**8), 10**8),
    st.sampled_from([(Decimal("0.01"), 2), (Decimal("1"), 0), (Decimal("0.1"), 1)]),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from(["P-1", "P-9"]),
)
def test_a_price_in_whole_ticks_within_the_limit_takes_the_short_way_to_the_same_order(
    ticks: int, tick_decimals: tuple[Decimal, int], zeros: int, json_body: bool, point: str
) -> None:
    tick, decimals = tick_decimals
    text = str(Decimal(ticks).scaleb(-decimals).quantize(tick)) + ("0" * zeros if decimals else "")
    body = {"interval_start": START, "connection_point": point, "side": "buy", "price": text,
            "quantity_wh": 10}  # fmt: skip
    raw = json.dumps(body).encode() if json_body else msgpack.packb(body)
    short = single_order.decode(raw, json_body, CODES, tick)
    assert short is not None, text
    assert short == full_way(raw, json_body, tick)
    assert short[0].price == ticks


@given(st.integers(-(10**6), 10**6), st.integers(1, 9), st.integers(0, 2), st.booleans())
def test_a_price_between_two_ticks_is_left_to_the_full_way_which_refuses_it(
    ticks: int, digit: int, zeros: int, json_body: bool
) -> None:
    text = str(Decimal(ticks).scaleb(-2).quantize(Decimal("0.01"))) + "0" * zeros + str(digit)
    body = {"interval_start": START, "connection_point": "P-1", "side": "sell", "price": text,
            "quantity_wh": 10}  # fmt: skip
    raw = json.dumps(body).encode() if json_body else msgpack.packb(body)
    assert single_order.decode(raw, json_body, CODES, Decimal("0.01")) is None
    refused = outcome(full_way, raw, json_body, Decimal("0.01"))
    assert refused[:3] == ("problem", 422, "price-off-tick")


@pytest.mark.parametrize("json_body", [True, False])
def test_the_usual_order_takes_the_short_way(json_body: bool) -> None:
    body = {
        "interval_start": START,
        "connection_point": "P-2",
        "side": "sell",
        "price": "-512.30",
        "quantity_wh": 1500,
        "client_order_id": "c-1",
    }
    raw = json.dumps(body).encode() if json_body else msgpack.packb(body)
    short = single_order.decode(raw, json_body, CODES, Decimal("0.01"))
    assert short == (NewOrder(START, 1, 1, -51_230, 1500, "c-1"), "P-2")
    assert short == full_way(raw, json_body, Decimal("0.01"))


def test_the_wire_type_is_the_apis_but_for_the_price() -> None:
    ours = {f.name: (f.type, f.default) for f in msgspec.structs.fields(single_order.WireOrder)}
    theirs = {f.name: (f.type, f.default) for f in msgspec.structs.fields(api.NewOrder)}
    assert ours.pop("price")[0] == str | int
    theirs.pop("price")
    assert ours == theirs
