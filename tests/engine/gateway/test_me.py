"""``GET /v1/me`` tells a member who it is (role, cluster, its connection points with their
limits, the band now, the market's rules) and ``GET /`` where the API is, both on the real
gateway over loopback, in JSON and msgpack, and as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.gateway.test_documented import validate
from tests.engine.gateway.test_refusals import problem
from tests.gateway_support import JSON, MSGPACK, START_ISO, T0, order, recording, run, serve

BAND_NOW = {"interval_start": "2026-01-01T00:00:00Z", "floor": "250.00", "cap": "900.00"}
RULES = {
    "timezone": "Europe/Warsaw",
    "interval_minutes": 15,
    "gate_closure_minutes": 5,
    "horizon_intervals": 8,
    "continuous_minutes": 0,
    "mechanism": "uniform",
    "tick_pln_mwh": "0.01",
    "network_fee_pln_mwh": "45.00",
}


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@run
async def test_me_names_the_member_its_connection_points_with_limits_the_band_and_the_rules(
    tmp_path: Path, encoding: str
) -> None:
    async with serve(tmp_path) as g:
        with recording() as replies:
            reply = await g.call("GET", "/v1/me", "t-dom-1", encoding=encoding)
        assert reply.status == 200, reply.body
        assert reply.body == {
            "member_id": "dom-1",
            "name": "Household 1",
            "role": "member",
            "cluster": {"id": "test", "name": "Test cluster"},
            # 12 kW over 15 minutes is 3000 Wh, 8 kW 2000 Wh
            "connection_points": [
                {
                    "id": "P-1",
                    "max_import_wh": 3000,
                    "max_export_wh": 2000,
                    "max_import_kw": "12",
                    "max_export_kw": "8",
                }
            ],
            "band": BAND_NOW,
            "rules": RULES,
        }
        validate(replies[0])


@run
async def test_what_me_lists_is_what_orders_may_name_and_up_to_its_limit(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        me = (await g.call("GET", "/v1/me", "t-dom-2")).body
        (point,) = me["connection_points"]
        above = order(connection_point=point["id"], quantity_wh=point["max_export_wh"] + 1)
        problem(await g.call("POST", "/v1/orders", "t-dom-2", above), 422, "quantity-above-limit")
        at_limit = order(connection_point=point["id"], quantity_wh=point["max_export_wh"])
        assert (await g.call("POST", "/v1/orders", "t-dom-2", at_limit)).status == 201
        foreign = order(connection_point="P-1")  # dom-1's
        reply = await g.call("POST", "/v1/orders", "t-dom-2", foreign)
        body = problem(reply, 422, "unknown-connection-point", "connection_point")
        assert "GET /v1/me" in body["detail"]


@run
async def test_the_dso_has_no_connection_points_and_the_band_now_follows_the_clock(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        dso = (await g.call("GET", "/v1/me", "t-dso")).body
        assert (dso["member_id"], dso["role"], dso["connection_points"]) == ("tauron", "dso", [])
        oke = (await g.call("GET", "/v1/me", "t-oke")).body
        assert oke["role"] == "coordinator"
        assert [p["id"] for p in oke["connection_points"]] == ["P-OKE"]
        g.at(T0 + 3600 + 60)  # within the interval starting at START
        later = (await g.call("GET", "/v1/me", "t-dom-1")).body
        assert later["band"]["interval_start"] == START_ISO


@run
async def test_me_needs_a_token(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        problem(await g.call("GET", "/v1/me"), 401, "unauthorized")


@pytest.mark.parametrize("encoding", [JSON, MSGPACK])
@run
async def test_the_root_says_where_the_api_and_its_document_are_without_a_token(
    tmp_path: Path, encoding: str
) -> None:
    async with serve(tmp_path) as g:
        with recording() as replies:
            root = await g.call("GET", "/", encoding=encoding)
        assert root.status == 200, root.body
        assert root.body == {
            "api": "/v1",
            "openapi": "/v1/openapi.json",
            "health": "/healthz",
            "ready": "/readyz",
            "me": "/v1/me",
        }
        validate(replies[0])
        document = await g.call("GET", root.body["openapi"])
        assert document.status == 200 and "/v1/me" in document.body["paths"]
        assert (await g.call("GET", root.body["health"])).status == 200
        assert (await g.call("GET", root.body["me"], "t-dom-1")).status == 200
        # a browser's Accept gets the web page instead (tests/engine/gateway/test_web_page.py)
        browser = "text/html,application/xhtml+xml,*/*;q=0.8"
        page = await g.call("GET", "/", accept=browser)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
