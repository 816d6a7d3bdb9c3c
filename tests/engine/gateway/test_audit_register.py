"""The coordinator's last audit and register conditions over loopback: ``GET /v1/audit``
answers the check of the chain the start made, ``POST /v1/audit`` checks again and finds an
event altered on disk; ``GET /v1/register`` answers the register figures of the
configuration in force; members get 403 for all three."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from engine.config.cluster import parse_cluster
from engine.settlement.register import register_figures
from engine.store.journal import JOURNAL_FILE
from tests.gateway_support import CLUSTER, order, run, serve


@run
async def test_the_last_audit_is_the_start_check_then_a_new_one_finds_an_altered_event(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        first = await g.call("GET", "/v1/audit", "t-oke")
        assert first.status == 200 and first.body["ok"] and first.body["events"] == 0
        accepted = await g.call("POST", "/v1/orders", "t-dom-1", order())
        assert accepted.status == 201
    async with serve(tmp_path) as g:  # a restart checks the whole chain
        head = (await g.call("GET", "/healthz")).body["journal"]
        checked = await g.call("GET", "/v1/audit", "t-oke")
        assert checked.status == 200 and checked.body["ok"]
        assert checked.body["journal"] == head and checked.body["events"] == head["seq"] > 2
        assert checked.body["first_bad_seq"] is None and checked.body["problem"] is None
        again = await g.call("POST", "/v1/audit", "t-oke")
        assert again.status == 200 and again.body["ok"] and again.body["journal"] == head
        with sqlite3.connect(tmp_path / JOURNAL_FILE) as conn:  # someone edits the file
            conn.execute("UPDATE events SET ts = ts + 1 WHERE seq = 2")
        found = await g.call("POST", "/v1/audit", "t-oke")
        assert found.status == 200 and not found.body["ok"]
        assert found.body["first_bad_seq"] == 2 and found.body["events"] == 1
        assert found.body["problem"].startswith("content altered")
        kept = await g.call("GET", "/v1/audit", "t-oke")
        assert kept.body == found.body
        for method in ("GET", "POST"):
            refused = await g.call(method, "/v1/audit", "t-dom-1")
            assert refused.status == 403 and refused.body["type"].endswith("/role-forbidden")


@run
async def test_the_register_conditions_of_the_configuration_in_force(tmp_path: Path) -> None:
    figures = register_figures(parse_cluster(CLUSTER))
    async with serve(tmp_path) as g:
        reply = await g.call("GET", "/v1/register", "t-oke")
        assert reply.status == 200
        r = reply.body
        assert Decimal(r["installed_kw"]) == figures.installed_kw
        assert Decimal(r["annual_demand_kwh"]) == figures.annual_demand_kwh
        installed = r["installed"]
        assert Decimal(installed["value"]) == figures.installed_kw / 1000
        assert (
            installed["met"] is True
            and Decimal(installed["threshold"]) == figures.installed.threshold
        )
        for name in ("renewable_share", "demand_cover", "storage_share"):
            condition = getattr(figures, name)
            assert r[name]["met"] == condition.met, name
            if condition.value is not None:
                assert abs(Decimal(r[name]["value"]) - Decimal(float(condition.value))) < 1e-6
        assert r["network"] == figures.network and r["municipality"] == figures.municipality
        assert r["voltage_unspecified"] == list(figures.voltage_unspecified)
        bad = await g.call("GET", "/v1/register?at=yesterday", "t-oke")
        assert bad.status == 422
        refused = await g.call("GET", "/v1/register", "t-dom-1")
        assert refused.status == 403 and refused.body["type"].endswith("/role-forbidden")
