"""Over HTTP on loopback (issue 11): a statement whose period spans a change of tariffs shows
each part as a section billed on the tariffs then in force; the bill is their sum."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

from tests.engine.gateway.test_cluster_changes import iso
from tests.gateway_support import CLUSTER, START, run, serve

L = 900
DOCUMENT = tomllib.loads(CLUSTER)


def supplier(price: str, tariff: str) -> dict:
    doc = copy.deepcopy(DOCUMENT)
    doc["members"][2]["connection_points"][0] |= {"supplier_pln_mwh": price, "tariff": tariff}
    return doc


@run
async def test_a_statement_across_a_change_of_tariffs_shows_its_sections(tmp_path: Path) -> None:
    async with serve(tmp_path) as g:
        for doc, at in ((supplier("500.00", "G11"), START), (supplier("700.00", "C11"), START + L)):
            change = {"config": doc, "effective_from": iso(at)}
            done = await g.call("POST", "/v1/cluster/changes", "t-oke", change)
            assert done.status == 200, done.body
        g.at(START + 3 * L)
        rows = [
            {"interval_start": iso(s), "connection_point": p, "import_wh": 1_000, "export_wh": 0}
            for s in (START, START + L)
            for p in ("P-OKE", "P-1", "P-2")
        ]
        recorded = await g.call("POST", "/v1/readings", "t-dso", {"readings": rows})
        assert recorded.status == 200, recorded.body
        period = f"from={iso(START)}&to={iso(START + 2 * L)}"
        reply = await g.call("GET", f"/v1/statements?{period}", "t-dom-2")
        assert reply.status == 200, reply.body
        [point] = reply.body["points"]
        sections = point["sections"]
        assert [(s["from"], s["to"], s["tariff"]) for s in sections] == [
            (iso(START), iso(START + L), "G11"),
            (iso(START + L), iso(START + 2 * L), "C11"),
        ]

        def energy(bill: dict) -> int:
            return next(x["grosz"] for x in bill["lines"] if x["kind"] == "supplier_energy")

        # 1,000 Wh at 500.00 PLN/MWh = 50 grosz, then at 700.00 = 70 grosz
        assert [energy(s["bill"]) for s in sections] == [50, 70]
        assert energy(point["bill"]) == 120
        assert point["bill"]["gross_grosz"] == sum(s["bill"]["gross_grosz"] for s in sections)
        assert (point["opening_grosz"], point["carried_grosz"]) == (0, 0)
