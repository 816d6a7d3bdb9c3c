"""Over HTTP on loopback (issue 11): the coordinator reads the configuration in force and
changes it; a member who leaves is told on its stream that its later orders are cancelled
and cannot order for those intervals; a joining member trades from its effective interval;
a broken rule is a 422 naming it; nobody else may read or change the configuration."""

from __future__ import annotations

import asyncio
import copy
import json
import tomllib
from pathlib import Path

from tests.engine.gateway.test_refusals import problem, refused
from tests.gateway_support import CLUSTER, START, T0, order, run, serve

L = 900
DOCUMENT = tomllib.loads(CLUSTER)


def without_dom_2() -> dict:
    doc = copy.deepcopy(DOCUMENT)
    doc["members"] = [m for m in doc["members"] if m["id"] != "dom-2"]
    return doc


def iso(t_s: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@run
async def test_the_coordinator_changes_the_cluster_and_a_leaving_member_hears_of_it(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        shown = await g.call("GET", "/v1/cluster", "t-oke")
        assert shown.status == 200, shown.body
        assert shown.body["config"]["cluster"]["id"] == "test"
        assert [m["id"] for m in shown.body["config"]["members"]][:3] == ["oke", "dom-1", "dom-2"]
        forbidden = await g.call("GET", "/v1/cluster", "t-dom-1")
        problem(forbidden, 403, "role-forbidden")

        later = order(connection_point="P-2", interval_start=iso(START + L), side="buy")
        assert (await g.call("POST", "/v1/orders", "t-dom-2", later)).status == 201
        ws = await g.session.ws_connect(
            g.url + "/v1/stream", headers={"Authorization": "Bearer t-dom-2"}
        )
        hello = json.loads((await ws.receive()).data)
        assert hello["type"] == "hello"

        change = {"config": without_dom_2(), "effective_from": iso(START + L)}
        done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
        assert done.status == 200, done.body
        assert done.body["changes"][0] == 'member "dom-2" leaves'
        assert done.body["cancelled"] == [1] and done.body["effective_from"] == iso(START + L)
        told = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert told["type"] == "orders_cancelled" and told["order_ids"] == [1]
        assert 'member "dom-2" leaves' in told["reason"]
        await ws.close()

        again = await g.call("POST", "/v1/orders", "t-dom-2", later)
        body = problem(again, 403, "role-forbidden")
        assert "dom-2 is not in the cluster" in body["detail"]
        before = order(connection_point="P-2", side="buy")  # START: before the leave
        assert (await g.call("POST", "/v1/orders", "t-dom-2", before)).status == 201
        at = await g.call("GET", f"/v1/cluster?at={iso(START + L)}", "t-oke")
        assert "dom-2" not in [m["id"] for m in at.body["config"]["members"]]
        assert at.body["effective_from"] == iso(START + L)


@run
async def test_a_change_breaking_a_rule_or_too_early_or_not_from_the_coordinator_is_refused(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        broken = copy.deepcopy(DOCUMENT)
        broken["members"][0]["role"] = "member"
        reply = await refused(g, "POST", "/v1/cluster/changes", "t-oke", {"config": broken})
        body = problem(reply, 422, "bad-config", "config")
        assert 'exactly one member must have role "coordinator"' in body["detail"]
        early = {"config": without_dom_2(), "effective_from": iso(T0)}
        problem(
            await refused(g, "POST", "/v1/cluster/changes", "t-oke", early),
            409,
            "interval-not-open",
        )
        member = await refused(g, "POST", "/v1/cluster/changes", "t-dom-1", {"config": broken})
        problem(member, 403, "role-forbidden")
        fixed = copy.deepcopy(DOCUMENT)
        fixed["cluster"]["interval_minutes"] = 30
        reply = await refused(g, "POST", "/v1/cluster/changes", "t-oke", {"config": fixed})
        assert (
            "cluster.interval_minutes cannot change" in problem(reply, 422, "bad-value")["detail"]
        )
