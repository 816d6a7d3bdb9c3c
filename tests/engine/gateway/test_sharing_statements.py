"""Energy sharing over HTTP on loopback (issue 14): the coordinator puts a sharing key in
force from an interval on (``POST /v1/cluster/changes``), orders trade, readings come in,
and the statements show the shared energy as lines of their own, the grid billed on what is
left; the interval before the change is settled by the market alone.

The interval at START + 900 (under ``market_then_key``, pro rata, 300.00 PLN/MWh): dom-1
sells 1,000 Wh to dom-2 at 400.00 and exports 2,000 Wh; dom-2 imports 2,500 Wh, the
coordinator 100 Wh. What the market left: dom-1 +1,000, dom-2 -1,500, oke -100. The 1,000
Wh go pro rata to 1,500 and 100: 937.5 and 62.5, the Wh left over to the tie's lower code
(oke): dom-2 937, oke 63. dom-2's shortfall is 1,500 - 937 = 563 Wh at the cap 900.00;
its shared energy 937 Wh x 300.00 = 28.11 -> 28 grosz, dom-1's 1,000 Wh = 30 grosz.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

from tests.engine.gateway.test_cluster_changes import iso
from tests.gateway_support import CLUSTER, START, order, run, serve

L = 900
SHARING = {"allocation": "market_then_key", "price_pln_mwh": "300.00"}


async def trade(g, start: int) -> None:  # noqa: ANN001
    at = iso(start)
    sell = order(interval_start=at, price="300.00", quantity_wh=1000)
    buy = order(interval_start=at, connection_point="P-2", side="buy", price="500.00",
                quantity_wh=1000)  # fmt: skip
    assert (await g.call("POST", "/v1/orders", "t-dom-1", sell)).status == 201
    assert (await g.call("POST", "/v1/orders", "t-dom-2", buy)).status == 201


async def meter(g, start: int) -> None:  # noqa: ANN001
    at = iso(start)
    readings = [
        {"interval_start": at, "connection_point": "P-1", "import_wh": 0, "export_wh": 2000},
        {"interval_start": at, "connection_point": "P-2", "import_wh": 2500, "export_wh": 0},
        {"interval_start": at, "connection_point": "P-OKE", "import_wh": 100, "export_wh": 0},
    ]
    done = await g.call("POST", "/v1/readings", "t-dso", {"readings": readings})
    assert done.status == 200, done.body


@run
async def test_a_key_in_force_from_an_interval_shows_in_the_statements_as_lines_of_their_own(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as g:
        document = copy.deepcopy(tomllib.loads(CLUSTER))
        document["sharing"] = SHARING
        change = {"config": document, "effective_from": iso(START + L)}
        done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
        assert done.status == 200, done.body
        assert any("sharing" in c for c in done.body["changes"]), done.body["changes"]
        shown = await g.call("GET", f"/v1/cluster?at={iso(START + L)}", "t-oke")
        assert shown.body["config"]["sharing"] == SHARING
        before = await g.call("GET", f"/v1/cluster?at={iso(START)}", "t-oke")
        assert "sharing" not in before.body["config"]

        for start in (START, START + L):
            await trade(g, start)
        g.at(START + 2 * L)
        for start in (START, START + L):
            await meter(g, start)

        def period(start: int) -> str:
            return f"from={iso(start)}&to={iso(start + L)}"

        # Before the change: the market alone, nothing shared.
        market = (await g.call("GET", f"/v1/statements?{period(START)}", "t-dom-2")).body
        assert (market["shared_in_wh"], market["shortfall_wh"]) == (0, 1500)

        buyer = (await g.call("GET", f"/v1/statements?{period(START + L)}", "t-dom-2")).body
        assert (buyer["bought_wh"], buyer["shared_in_wh"], buyer["shortfall_wh"]) == (
            1000,
            937,
            563,
        )
        assert (buyer["shared_in_grosz"], buyer["shared_out_wh"]) == (28, 0)
        lines = {line["kind"]: (line["wh"], line["grosz"]) for line in buyer["bill"]["lines"]}
        assert lines["shared_in"] == (937, 28) and lines["shared_out"] == (0, 0)
        assert lines["supplier_energy"] == (563, 51)  # 563 Wh at the cap 900.00 = 50.67
        assert lines["local_bought"] == (1000, 40)
        assert "shared_in" not in {line["kind"] for line in buyer["baseline"]["lines"]}

        seller = (await g.call("GET", f"/v1/statements?{period(START + L)}", "t-dom-1")).body
        assert (seller["shared_out_wh"], seller["shared_out_grosz"]) == (1000, 30)
        assert seller["surplus_wh"] == 0  # all it did not sell was shared, none to the grid
        page = await g.call("GET", f"/v1/statements/members?{period(START + L)}", "t-oke")
        statements = page.body["statements"]
        assert [s["shared_in_wh"] for s in statements] == [63, 0, 937, 0]
        assert sum(s["shared_in_wh"] for s in statements) == sum(
            s["shared_out_wh"] for s in statements
        )
        # A period across the change: each interval shares by the rules in force for it,
        # in the account and in the bills alike.
        both = f"from={iso(START)}&to={iso(START + 2 * L)}"
        across = (await g.call("GET", f"/v1/statements?{both}", "t-dom-2")).body
        lines = {line["kind"]: (line["wh"], line["grosz"]) for line in across["bill"]["lines"]}
        assert (across["shared_in_wh"], lines["shared_in"]) == (937, (937, 28))
        assert (across["shortfall_wh"], lines["supplier_energy"][0]) == (1500 + 563, 1500 + 563)
