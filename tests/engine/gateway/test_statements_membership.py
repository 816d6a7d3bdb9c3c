"""Over HTTP on loopback, then the bulk export (issue 11): a period inside which dom-3 joins
with P-3, P-2 moves from dom-2 to dom-1 and dom-2 leaves. Each member's statement bills the
points it held in each part of the period: dom-3 its part after joining, dom-2 its part
before leaving, dom-1 P-1 all along and P-2 after the move; the coordinator's pages hold
every member; the export has a row per point and member that held it; the totals agree."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

from engine.cli import main as cli_main
from tests.engine.gateway.test_cluster_changes import iso
from tests.engine.market.test_membership import joined, left
from tests.engine.market.test_statements_membership import moved
from tests.gateway_support import CLUSTER, START, TOKENS, DictTokens, order, run, serve

L = 900
END = START + 2 * L
AFTER = left(moved(joined(tomllib.loads(CLUSTER)), "P-2", "dom-1"), "dom-2")
PERIOD = f"from={iso(START)}&to={iso(END)}"


def reading(start: int, point: str, import_wh: int, export_wh: int) -> dict:
    return {
        "interval_start": iso(start),
        "connection_point": point,
        "import_wh": import_wh,
        "export_wh": export_wh,
    }


async def members_pages(g) -> list[dict]:  # noqa: ANN001
    """Every member's statement, two members a page."""
    statements, cursor = [], None
    while True:
        query = f"/v1/statements/members?{PERIOD}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await g.call("GET", query, "t-oke")
        assert page.status == 200, page.body
        statements += page.body["statements"]
        cursor = page.body["next_cursor"]
        if cursor is None:
            return statements


@run
async def test_members_joining_and_leaving_and_a_moved_point_are_billed_for_their_parts(
    tmp_path: Path,
) -> None:
    tokens = DictTokens({**TOKENS, "t-dom-3": "dom-3"})
    async with serve(tmp_path / "data", tokens=tokens) as g:
        change = {"config": AFTER, "effective_from": iso(START + L)}
        done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
        assert done.status == 200, done.body
        second = iso(START + L)
        sell = order(interval_start=second, quantity_wh=1000)
        buy = order(interval_start=second, connection_point="P-3", side="buy", price="400.00")
        assert (await g.call("POST", "/v1/orders", "t-dom-1", sell)).status == 201
        assert (
            await g.call("POST", "/v1/orders", "t-dom-3", buy | {"quantity_wh": 1000})
        ).status == 201
        g.at(END)
        readings = [
            reading(START, "P-OKE", 100, 0), reading(START, "P-1", 0, 500),
            reading(START, "P-2", 700, 0), reading(START + L, "P-OKE", 100, 0),
            reading(START + L, "P-1", 0, 1000), reading(START + L, "P-2", 300, 0),
            reading(START + L, "P-3", 1200, 0),
        ]  # fmt: skip
        recorded = await g.call("POST", "/v1/readings", "t-dso", {"readings": readings})
        assert recorded.status == 200, recorded.body
        statements = {s["member"]: s for s in await members_pages(g)}

    assert list(statements) == ["oke", "dom-1", "dom-2", "tauron", "dom-3"]

    def held(member: str) -> dict:
        return {
            p["point"]: [(x["from"], x["to"]) for x in p["sections"]]
            for p in statements[member]["points"]
        }

    first, whole = (iso(START), iso(START + L)), (iso(START + L), iso(END))
    assert held("dom-1") == {"P-1": [first, whole], "P-2": [whole]}
    assert held("dom-2") == {"P-2": [first]}
    assert held("dom-3") == {"P-3": [whole]}
    assert held("tauron") == {}

    def line(member: str, kind: str) -> int:
        return next(x for x in statements[member]["bill"]["lines"] if x["kind"] == kind)["wh"]

    assert line("dom-3", "local_bought") == 1000  # it traded after joining
    assert line("dom-3", "distribution_variable") == 1200
    assert line("dom-2", "distribution_variable") == 700  # its P-2 before it left
    assert line("dom-1", "distribution_variable") == 300  # P-2 after it moved
    points = [p for s in statements.values() for p in s["points"]]
    assert sum(s["bill"]["gross_grosz"] for s in statements.values()) == sum(
        p["bill"]["gross_grosz"] for p in points
    )

    # The bulk export replays the data directory: one row per point and member that held it.
    config = tmp_path / "cluster.toml"
    config.write_text(CLUSTER)
    out = tmp_path / "statements.csv"
    args = ["statements", "export", "--data", str(tmp_path / "data"), "--config", str(config)]
    assert cli_main.main([*args, "--from", iso(START), "--to", iso(END), "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["member"], r["point"]) for r in rows] == [
        ("oke", "P-OKE"), ("dom-1", "P-1"), ("dom-2", "P-2"), ("dom-1", "P-2"), ("dom-3", "P-3"),
    ]  # fmt: skip
    by_row = {(r["member"], r["point"]): r for r in rows}
    for member, statement in statements.items():
        for p in statement["points"]:
            assert int(by_row[(member, p["point"])]["gross_grosz"]) == p["bill"]["gross_grosz"]
