"""``klaster statements export``: the worked example's week from a real data directory, as
CSV and as Parquet, every row the point's statement; and its refusals."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.cli import main as cli_main
from engine.market.recovery import open_market
from engine.model.clock import SimulatedClock
from tests.engine.settlement.worked_example import (
    BEFORE_US,
    WEEK_END,
    WEEK_START,
    example_cluster,
    trade_week,
)

FROM, TO = "2026-06-01T00:00:00+02:00", "2026-06-08T00:00:00+02:00"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data directory holding the example's week, and its config file."""
    home = tmp_path_factory.mktemp("export")
    cluster = example_cluster(home)
    clock = SimulatedClock(BEFORE_US)
    node = open_market(home / "data", cluster, clock)
    trade_week(node.market, clock)
    node.close()
    assert WEEK_END > WEEK_START
    return home / "data", home / "example.toml"


def export(served, capsys, *extra: str) -> tuple[int, str, str]:
    data, config = served
    args = ["statements", "export", "--data", str(data), "--config", str(config)]
    code = cli_main.main([*args, "--from", FROM, "--to", TO, *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_export_writes_each_point_s_statement_as_csv(served, capsys) -> None:
    code, out, err = export(served, capsys)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["point"] for r in rows] == ["PL-PGE-SZKOLA", "PL-PGE-DOM", "PL-PGE-FIRMA"]
    house = rows[1]
    assert (house["member"], house["tariff"], house["regime"]) == (
        "dom-nowak",
        "G11",
        "net-billing",
    )
    assert (house["intervals"], house["pending"]) == ("168", "0")
    assert (house["local_sold_wh"], house["local_sold_grosz"]) == ("84000", "-3360")
    assert (house["export_credit_wh"], house["export_credit_grosz"]) == ("14000", "-240")
    assert [house[k] for k in ("net_grosz", "vat_grosz", "gross_grosz")] == ["1636", "376", "2012"]
    assert (house["baseline_gross_grosz"], house["saving_grosz"]) == ("4374", "2362")
    assert [r["gross_grosz"] for r in rows] == ["52295", "2012", "25738"]
    assert house["from"] == "2026-05-31T22:00:00Z"


def test_the_export_writes_the_same_rows_as_parquet(served, capsys, tmp_path) -> None:
    target = tmp_path / "week.parquet"
    code, _, err = export(served, capsys, "--format", "parquet", "--out", str(target))
    assert (code, err) == (0, "")
    _, text, _ = export(served, capsys)
    expected = list(csv.DictReader(io.StringIO(text)))
    table = pq.read_table(target).to_pylist()
    assert [{k: str(v) for k, v in row.items()} for row in table] == expected
    assert str(pq.read_schema(target).field("gross_grosz").type) == "int64"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--format", "parquet"), "klaster: --format parquet needs --out FILE"),
    ],
)
def test_the_export_refuses_what_it_cannot_write(served, capsys, extra, message) -> None:
    code, out, err = export(served, capsys, *extra)
    assert (code, out, err.strip()) == (2, "", message)


def test_the_export_bills_on_the_configuration_the_journal_holds(served, capsys) -> None:
    """The journal holds its configuration: without the file (the demo would be given) the
    export bills the same points on the same tariffs."""
    data, _ = served
    code = cli_main.main(["statements", "export", "--data", str(data), "--from", FROM, "--to", TO])
    without_file = capsys.readouterr().out
    _, with_file, _ = export(served, capsys)
    assert code == 0 and without_file == with_file
