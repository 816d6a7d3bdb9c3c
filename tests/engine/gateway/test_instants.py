"""Instants at the API's edge: every one a request carries lies in 2000-01-01T00:00:00Z <= t <
2100-01-01T00:00:00Z, refused before anything is journaled otherwise (422 naming the field; a
path that is no interval start is 404), and the OpenAPI document says so.

The values are the ones that used to get through: year 10000 and instants near 2**63 were
journaled and then answered 500 (formatting the answer failed), year 714 and 1969 were
accepted and written back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

from engine.api.openapi import document
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S
from tests.gateway_support import MSGPACK, START, T0, Gateway, order, run, serve

PROBLEM = "application/problem+json"
YEAR_10000 = 253_402_300_800  # 10000-01-01T00:00:00Z, an interval start
NEAR_INT64 = 2**63 - 1 - (2**63 - 1) % 900  # the last 15-minute start an int64 holds
OUTSIDE = [
    YEAR_10000,
    NEAR_INT64,
    2**63 - 1,
    2**64 - 1,
    0,
    FIRST_INSTANT_S - 900,
    END_INSTANT_S,
    "9999-12-31T23:45:00Z",
    "0714-01-01T00:00:00Z",
    "1969-12-31T23:45:00Z",
    "0001-01-01T00:00:00+01:00",
    "2100-01-01T00:00:00Z",
    "2100-01-01T01:00:00+01:00",  # 2100-01-01T00:00:00Z in another offset
]
DELIVERED = T0 - 900  # delivered at T0, where the test clock stands


def head(g: Gateway) -> tuple[int, int, bytes]:
    journal = g.runtime.node.journal
    return journal.last_seq, journal.durable_seq, journal.head_hash


async def refused(g: Gateway, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call; the answer is a 4xx problem and the journal did not move."""
    before = head(g)
    reply = await g.call(*args, **kwargs)
    assert 400 <= reply.status < 500, (args, reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith(PROBLEM)
    assert head(g) == before
    return reply.body


def named(body: dict[str, Any], status: int, field: str) -> None:
    assert body["status"] == status, body
    rows = body.get("errors") or [body]
    assert rows[0]["field"] == field, body
    assert "2000-01-01T00:00:00Z" in rows[0]["detail"], body


def reading(start: Any) -> dict[str, Any]:
    return {"interval_start": start, "connection_point": "P-1", "import_wh": 1, "export_wh": 0}


def band(start: Any) -> dict[str, Any]:
    return {"interval_start": start, "floor": 250, "cap": 900}


@pytest.mark.parametrize("value", OUTSIDE)
@run
async def test_an_instant_outside_the_range_is_refused_by_every_write_and_journals_nothing(
    tmp_path: Path, value: Any
) -> None:
    async with serve(tmp_path) as g:
        g.at(T0)
        one = await refused(g, "POST", "/v1/orders", "t-dom-1", order(interval_start=value))
        named(one, 422, "interval_start")
        rows = [order(), order(interval_start=value)]
        named(await refused(g, "POST", "/v1/orders", "t-dom-1", rows), 422, "interval_start")
        columns = {
            "interval_start": [START, value],
            "connection_point": ["P-1", "P-1"],
            "side": ["sell", "sell"],
            "price": [300, 300],
            "quantity_wh": [1000, 1000],
        }
        batch = await refused(g, "POST", "/v1/orders/batch", "t-dom-1", columns)
        named(batch, 422, "interval_start")
        body = {"readings": [reading(DELIVERED), reading(value)]}
        named(await refused(g, "POST", "/v1/readings", "t-dso", body), 422, "interval_start")
        cols = {
            "interval_start": [value],
            "connection_point": ["P-1"],
            "import_wh": [1],
            "export_wh": [0],
        }
        named(await refused(g, "POST", "/v1/readings", "t-dso", cols), 422, "interval_start")
        bands = {"bands": [band(value)]}
        named(await refused(g, "POST", "/v1/price-bands", "t-oke", bands), 422, "interval_start")
        close = await refused(g, "POST", f"/v1/intervals/{value}/close", "t-oke")
        assert close["status"] == 404  # a path that is no interval start names no resource


@pytest.mark.parametrize("value", [v for v in OUTSIDE if isinstance(v, int) and v < 2**63])
@run
async def test_a_bin_column_instant_outside_the_range_is_a_row_error(
    tmp_path: Path, value: int
) -> None:
    async with serve(tmp_path) as g:
        columns = {
            "interval_start": np.array([START, value], "<i8").tobytes(),
            "connection_point": ["P-1", "P-1"],
            "side": ["sell", "sell"],
            "price": [300.0, 300.0],
            "quantity_wh": np.array([1000, 1000], "<i8").tobytes(),
        }
        raw = msgpack.packb(columns, use_bin_type=True)
        args = ("POST", "/v1/orders/batch", "t-dom-1")
        body = await refused(g, *args, raw=raw, content_type=MSGPACK, accept=MSGPACK)
        named(body, 422, "interval_start")
        assert body["errors"][0]["row"] == 1


@pytest.mark.parametrize("value", OUTSIDE)
@run
async def test_an_instant_outside_the_range_is_refused_by_every_read(
    tmp_path: Path, value: Any
) -> None:
    async with serve(tmp_path) as g:
        text = str(value)
        for path in (
            f"/v1/intervals?from={text}",
            f"/v1/orders?interval_start={text}",
            f"/v1/statements?from={text}&to=2026-01-02T00:00:00Z",
            f"/v1/kpis?from=2026-01-01T00:00:00Z&to={text}",
        ):
            body = await refused(g, "GET", path.replace("+", "%2B"), "t-oke")
            assert body["status"] == 422 and body["field"] in ("from", "to", "interval_start")
        for path in (f"/v1/intervals/{text}", f"/v1/intervals/{text}/depth"):
            assert (await refused(g, "GET", path.replace("+", "%2B"), "t-oke"))["status"] == 404


@run
async def test_the_simulated_clock_is_set_only_within_the_range(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        for value in (YEAR_10000, "2100-01-01T00:00:00Z", 2**62):
            body = await refused(g, "POST", "/v1/clock", "t-oke", {"now": value})
            named(body, 422, "now")


@run
async def test_the_edges_of_the_range_are_taken_and_written_back_as_rfc_3339(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        last = "2099-12-31T23:45:00Z"  # the last interval start before 2100
        bands = await g.call("POST", "/v1/price-bands", "t-oke", {"bands": [band(last)]})
        assert bands.status == 200, bands.body
        assert bands.body["bands"][0]["interval_start"] == last
        closed = await g.call("POST", f"/v1/intervals/{END_INSTANT_S - 900}/close", "t-oke")
        assert closed.status == 200, closed.body
        assert closed.body["interval_start"] == last
        calendar = await g.call("GET", "/v1/intervals?from=2000-01-01T01:00:00%2B01:00", "t-oke")
        assert calendar.status == 200, calendar.body
        assert calendar.body["intervals"][0]["interval_start"] == "2000-01-01T00:00:00Z"
        early = await g.call("POST", "/v1/readings", "t-dso", {"readings": [reading(946_684_800)]})
        assert early.status == 200, early.body
        assert early.body["intervals"][0]["interval_start"] == "2000-01-01T00:00:00Z"


def test_the_openapi_document_gives_the_range_of_every_instant_sent() -> None:
    doc = document(with_metrics=False)
    assert "2000-01-01T00:00:00Z" in doc["info"]["description"]
    operations = [op for item in doc["paths"].values() for op in item.values()]
    parameters = [p for op in operations for p in op.get("parameters", ())]
    instants = [p for p in parameters if p["name"] in ("from", "to", "interval_start", "start")]
    assert instants
    for p in instants:
        schema = p["schema"]
        if "anyOf" in schema:
            number, text = schema["anyOf"]
            assert (number["minimum"], number["exclusiveMaximum"]) == (
                FIRST_INSTANT_S,
                END_INSTANT_S,
            )
            assert "2100-01-01T00:00:00Z (exclusive)" in text["description"]
        else:
            assert "2100-01-01T00:00:00Z (exclusive)" in p["description"]
