"""Hostile requests against every mutating endpoint, on the real gateway over loopback: no
answer is 5xx, and a refused request (4xx) leaves the journal as it was (its last seq, its
durable seq and the hash of its head). Bodies mix well-formed requests (some accepted, so the
market fills up as examples arrive), values at and beyond every edge (instants from year 1 to
beyond int64, prices and energies beyond int64, NaN) and arbitrary JSON; sent as JSON or
msgpack. One server per module (two: the clock's moves would close every other interval)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.gateway import Limits
from engine.gateway.quantities import parse_instant
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S
from tests.gateway_support import JSON, MSGPACK, T0, LiveGateway

PROBLEM = "application/problem+json"
RFC_3339_Z = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
LENGTH = 900
OPEN = [T0 + k * LENGTH for k in range(1, 9)]  # open at T0 (8 intervals ahead)
DELIVERED = [T0 - k * LENGTH for k in range(1, 5)]
EDGES = [
    0, -1, FIRST_INSTANT_S - LENGTH, FIRST_INSTANT_S, END_INSTANT_S - LENGTH, END_INSTANT_S,
    253_402_300_800, 2**31, 2**53, 2**63 - 1 - (2**63 - 1) % LENGTH, 2**63 - 1, -(2**63),
    2**63, 2**64 - 1, 2**64, 10**30,
]  # fmt: skip
ZONES = [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=30))]
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


INT64_MAX = 2**63 - 1
aligned_outside = st.one_of(  # interval starts before 2000 or from 2100 on, to int64's ends
    st.integers(END_INSTANT_S // LENGTH, INT64_MAX // LENGTH),
    st.integers(-(INT64_MAX // LENGTH), FIRST_INSTANT_S // LENGTH - 1),
).map(lambda k: k * LENGTH)
quarter_hours = st.datetimes(timezones=st.sampled_from(ZONES)).map(  # years 1 to 9999
    lambda d: d.replace(minute=d.minute - d.minute % 15, second=0, microsecond=0).isoformat()
)
instants = st.one_of(  # a third in the range, a third outside, a third no instant at all
    st.sampled_from(OPEN + DELIVERED).flatmap(lambda t: st.sampled_from([t, iso(t)])),
    st.one_of(st.sampled_from(EDGES), aligned_outside, quarter_hours),
    st.one_of(st.datetimes(timezones=st.sampled_from(ZONES)).map(datetime.isoformat), scalars),
)
prices = st.one_of(
    st.sampled_from(["300.00", 300, 250, "900.00", 450.5, "900.01", -5, "1e3", "NaN", 1e30]),
    st.sampled_from([10**40, 2**63, True, None]),
    st.decimals(allow_nan=False, places=2).map(str),
    st.floats(),
    st.integers(),
)
energies = st.one_of(
    st.integers(-5, 2500),
    st.sampled_from([0, 2**63 - 1, 2**63, -(2**63), 10**40, 1.5, "1000", True, None]),
)
points = st.sampled_from(["P-1", "P-2", "P-OKE", "P-404", "", 1, None])
sides = st.sampled_from(["buy", "sell", "hold", 0, None])


def objects(fields: dict[str, tuple[Any, Any]]) -> st.SearchStrategy[Any]:
    """Bodies of one kind: a third well-formed (``fields``: name -> (valid, hostile)
    strategies), a third with one field spoilt, and a third anything else: every field
    hostile, a field dropped or one added, or any JSON."""
    valid = st.fixed_dictionaries({name: good for name, (good, _) in fields.items()})

    def spoil(obj: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        return {**obj, name: value}

    def drop(obj: dict[str, Any], which: int) -> dict[str, Any]:
        keys = sorted(obj)
        return {k: v for k, v in obj.items() if k != keys[which % len(keys)]}

    # The first field (an instant, where there is one) is spoilt half the time.
    first, (_, first_bad) = next(iter(fields.items()))
    spoilt = st.one_of(
        st.builds(spoil, valid, st.just(first), first_bad),
        st.one_of([st.builds(spoil, valid, st.just(n), bad) for n, (_, bad) in fields.items()]),
    )
    hostile = st.fixed_dictionaries(
        {name: st.one_of(good, bad) for name, (good, bad) in fields.items()}
    )
    return st.one_of(
        valid,
        spoilt,
        st.one_of(
            hostile,
            st.builds(drop, valid, st.integers(0, 9)),
            st.builds(lambda obj, extra: {**obj, "extra": extra}, valid, scalars),
            json_values,
        ),
    )


open_instants = st.sampled_from(OPEN).flatmap(lambda t: st.sampled_from([t, iso(t)]))
delivered_instants = st.sampled_from(DELIVERED).flatmap(lambda t: st.sampled_from([t, iso(t)]))
valid_prices = st.integers(250, 900).flatmap(lambda p: st.sampled_from([p, f"{p}.00", p + 0.5]))
orders = objects(
    {
        "interval_start": (open_instants, instants),
        "connection_point": (st.just("P-1"), points),
        "side": (st.sampled_from(["buy", "sell"]), sides),
        "price": (valid_prices, prices),
        "quantity_wh": (st.integers(1, 2000), energies),
        "client_order_id": (st.text(min_size=1, max_size=8), st.text(max_size=70) | scalars),
    }
)
readings = objects(
    {
        "interval_start": (delivered_instants, instants),
        "connection_point": (st.sampled_from(["P-1", "P-2", "P-OKE"]), points),
        "import_wh": (st.integers(0, 5000), energies),
        "export_wh": (st.integers(0, 5000), energies),
    }
)
bands = objects(
    {
        "interval_start": (open_instants, instants),
        "floor": (st.integers(100, 250), prices),
        "cap": (st.integers(900, 1200), prices),
    }
)
changes = objects(
    {"price": (valid_prices, prices), "quantity_wh": (st.integers(1, 2000), energies)}
)
order_ids = st.one_of(
    st.integers(1, 15).map(str),
    st.integers(0, 10**6).map(str),
    st.sampled_from(["abc", "-1", "99999999999999999999", "1.0", "%20", str(2**63)]),
)
path_instants = st.one_of(instants.map(str), st.text(min_size=1, max_size=30)).map(
    lambda text: quote(text, safe="")
)


def columns(rows: st.SearchStrategy[dict[str, Any]], fields: list[str]) -> st.SearchStrategy[Any]:
    """Rows turned into one array per field (sometimes of unequal lengths)."""

    def as_columns(objs: list[dict[str, Any]], cut: int) -> dict[str, Any]:
        cols = {f: [o.get(f) if isinstance(o, dict) else o for o in objs] for f in fields}
        if cut and objs:
            cols[fields[cut % len(fields)]].pop()
        return cols

    return st.builds(as_columns, st.lists(rows, max_size=5), st.integers(0, 9))


def unlimited(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[LiveGateway]:
    """A live gateway without a rate limit (examples arrive back to back)."""
    limits = Limits(rate_per_s=1e9, burst=10**9)
    gateway = LiveGateway(tmp_path_factory.mktemp(name) / "data", limits=limits)
    try:
        yield gateway
    finally:
        gateway.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    yield from unlimited(tmp_path_factory, "hostile")


@pytest.fixture(scope="module")
def clock_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    yield from unlimited(tmp_path_factory, "hostile-clock")


def encoded(body: Any, encoding: str) -> tuple[bytes, str]:
    """``body`` as the client would send it; a msgpack body with an int beyond 64 bits (no
    msgpack client can send one) goes as JSON."""
    if encoding == MSGPACK:
        try:
            return msgpack.packb(body, use_bin_type=True), MSGPACK
        except (OverflowError, TypeError, ValueError):
            pass
    return json.dumps(body, default=repr).encode(), JSON  # NaN, Infinity: not JSON, so 400


def exchange(
    live: LiveGateway, method: str, path: str, token: str, body: Any = None, encoding: str = JSON
) -> int:
    """Send; assert no 5xx, and that a refusal is a problem that left the journal alone."""
    before = live.journal_head()
    kwargs: dict[str, Any] = {}
    if body is not None:
        raw, media = encoded(body, encoding)
        kwargs = {"raw": raw, "content_type": media}
    reply = live.call(method, path, token, **kwargs)
    assert reply.status < 500, (method, path, body, reply.status, reply.body)
    if reply.status >= 400:
        assert reply.headers["Content-Type"].startswith(PROBLEM), reply.headers
        assert live.journal_head() == before, (method, path, body, reply.body)
    elif method != "GET":  # an accepted change: every interval it names is in the range
        for start in interval_starts(reply.body):
            assert RFC_3339_Z.fullmatch(start), (method, path, body, reply.body)
            assert FIRST_INSTANT_S <= parse_instant(start, "interval_start") < END_INSTANT_S
    return reply.status


def interval_starts(answer: Any) -> Iterator[Any]:
    """Every ``interval_start`` anywhere in a decoded answer."""
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key == "interval_start":
                yield value
            else:
                yield from interval_starts(value)
    elif isinstance(answer, list):
        for value in answer:
            yield from interval_starts(value)


encodings = st.sampled_from([JSON, MSGPACK])


@SETTINGS
@given(body=orders | st.lists(orders, min_size=1, max_size=3), encoding=encodings)
def test_hostile_orders(live: LiveGateway, body: Any, encoding: str) -> None:
    exchange(live, "POST", "/v1/orders", "t-dom-1", body, encoding)


ORDER_FIELDS = [
    "interval_start", "connection_point", "side", "price", "quantity_wh", "client_order_id",
]  # fmt: skip


@SETTINGS
@given(cols=columns(orders, ORDER_FIELDS), bins=st.booleans(), encoding=encodings)
def test_hostile_order_columns(live: LiveGateway, cols: Any, bins: bool, encoding: str) -> None:
    if bins and encoding == MSGPACK:  # the int64 columns as raw little-endian bin
        for name in ("interval_start", "quantity_wh"):
            values = cols[name]
            if all(type(v) is int and -(2**63) <= v < 2**63 for v in values):
                cols[name] = np.array(values, "<i8").tobytes()
    exchange(live, "POST", "/v1/orders/batch", "t-dom-1", cols, encoding)


@SETTINGS
@given(
    order_id=order_ids,
    change=changes,
    cancel=st.booleans(),
    encoding=encodings,
)
def test_hostile_cancels_and_replacements(
    live: LiveGateway, order_id: str, change: Any, cancel: bool, encoding: str
) -> None:
    path = f"/v1/orders/{order_id}"
    if cancel:
        exchange(live, "DELETE", path, "t-dom-1")
    else:
        exchange(live, "PATCH", path, "t-dom-1", change, encoding)


READING_FIELDS = ["interval_start", "connection_point", "import_wh", "export_wh"]


@SETTINGS
@given(
    body=st.one_of(
        st.fixed_dictionaries({"readings": st.lists(readings, min_size=1, max_size=3)}),
        columns(readings, READING_FIELDS),
        json_values,
    ),
    token=st.sampled_from(["t-dso", "t-dso", "t-oke", "t-dom-1"]),
    encoding=encodings,
)
def test_hostile_readings(live: LiveGateway, body: Any, token: str, encoding: str) -> None:
    exchange(live, "POST", "/v1/readings", token, body, encoding)


@SETTINGS
@given(
    body=st.fixed_dictionaries({"bands": st.lists(bands, min_size=1, max_size=3)}) | json_values,
    encoding=encodings,
)
def test_hostile_price_bands(live: LiveGateway, body: Any, encoding: str) -> None:
    exchange(live, "POST", "/v1/price-bands", "t-oke", body, encoding)


@SETTINGS
@given(start=path_instants, token=st.sampled_from(["t-oke", "t-oke", "t-dom-1"]))
def test_hostile_gate_closures(live: LiveGateway, start: str, token: str) -> None:
    exchange(live, "POST", f"/v1/intervals/{start}/close", token)


@SETTINGS
@given(now=st.one_of(instants, st.sampled_from(OPEN).map(lambda t: t + 1)), encoding=encodings)
def test_hostile_clock_moves(clock_live: LiveGateway, now: Any, encoding: str) -> None:
    exchange(clock_live, "POST", "/v1/clock", "t-oke", {"now": now}, encoding)


@SETTINGS
@given(start=path_instants, other=path_instants)
def test_hostile_reads(live: LiveGateway, start: str, other: str) -> None:
    for path in (
        f"/v1/intervals?from={start}",
        f"/v1/intervals/{start}",
        f"/v1/intervals/{start}/trades",
        f"/v1/orders?interval_start={start}",
        f"/v1/statements?from={start}&to={other}",
        f"/v1/kpis?from={start}&to={other}",
    ):
        exchange(live, "GET", path, "t-oke")
