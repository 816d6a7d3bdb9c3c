"""The worked example's week (``worked_example.py``) with a sharing key: the statements of
``market_then_key`` (pro rata, 300.00 PLN/MWh) line by line against a hand computation, and
the energy each allocation shares in one midday hour. Amounts in grosz.

One midday hour (metered net export N, traded net export T):
  school N = -5,000, T = -1,000; household N = +3,500, T = +3,000; firm N = -3,000,
  T = -2,000.
- ``market_then_key``: the key shares what the market left, X = N - T: the household's 500
  Wh go pro rata to the school's 4,000 and the firm's 1,000 Wh: 400 and 100.
- ``key`` (no trade settles), X = N: 3,500 Wh to 5,000 and 3,000: 2,187.5 and 1,312.5; the
  one Wh left goes to the tie's lower member code, the school: 2,188 and 1,312.
- ``key_then_market``: the key's shares as under ``key``, then the trades settle against
  what is left: the household, whose 3,500 Wh were shared, is 3,000 Wh short of its sale
  (from the supplier) and the firm has 312 Wh it bought but no longer needed (to the grid).

Week of ``market_then_key`` (28 midday hours):
Household: local_sold -3,360; shared_out 14,000 Wh x 300.00 = -420; supplier_energy 2,800;
  export_credit 0 Wh (nothing left for the grid at noon); distribution 1,848; fixed 560;
  excise 28: net 1,456, VAT 334.88 -> 335, gross 1,791; baseline 4,374, saving 2,583.
Firm: local_bought 2,240; shared_in 2,800 Wh x 300.00 = 84; supplier (140,000 + 28 x 900 =
  165,200 Wh) x 650.00 = 10,738; distribution 7,168; discount 28 x min(2,000 + 100, 3,000)
  = 58,800 Wh x 320.00 x 0.25 = -470.4 -> -470; fixed 933; excise 112: net 20,805, VAT
  4,785.15 -> 4,785, gross 25,590; baseline 28,011, saving 2,421.
School: local_bought 1,120; shared_in 11,200 Wh x 300.00 = 336; supplier (280,000 + 28 x
  3,600 = 380,800 Wh) x 600.00 = 22,848; distribution 9,660; discount 39,200 Wh x 230.00 x
  0.25 = -225.4 -> -225; fixed 8,167; excise 210: net 42,116, VAT 9,686.68 -> 9,687, gross
  51,803; baseline 53,182, saving 1,379.
Shared money conserves: 84 + 336 = 420.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from engine.config.cluster import load_cluster
from engine.market.market import Market
from engine.model.clock import SimulatedClock
from engine.settlement.bills import LINES
from tests.engine.market.recording import RecordingJournal
from tests.engine.settlement.worked_example import (
    BEFORE_US,
    CLUSTER,
    FIRM,
    HOUSE,
    SCHOOL,
    WEEK_END,
    WEEK_START,
    example_cluster,
    is_midday,
    trade_week,
)

SHARING = '\n[sharing]\nallocation = "{allocation}"\nprice_pln_mwh = "300.00"\n'
EXPECTED = {
    # point: (lines in LINES order, net, vat, gross, baseline gross, saving)
    HOUSE: ((0, -3360, 0, -420, 2800, 0, 1848, 0, 560, 28), 1456, 335, 1791, 4374, 2583),
    FIRM: ((2240, 0, 84, 0, 10738, 0, 7168, -470, 933, 112), 20805, 4785, 25590, 28011, 2421),
    SCHOOL: (
        (1120, 0, 336, 0, 22848, 0, 9660, -225, 8167, 210),
        42116,
        9687,
        51803,
        53182,
        1379,
    ),  # fmt: skip
}
# One midday hour: (shared in, shared out) of the school, the household and the firm
HOUR = {
    "market": ((0, 0), (0, 0), (0, 0)),
    "market_then_key": ((400, 0), (0, 500), (100, 0)),
    "key": ((2188, 0), (0, 3500), (1312, 0)),
    "key_then_market": ((2188, 0), (0, 3500), (1312, 0)),
}
# One midday hour: (shortfall, surplus) of the school, the household and the firm
LEFT = {
    "market": ([4000, 0, 1000], [0, 500, 0]),
    "market_then_key": ([3600, 0, 900], [0, 0, 0]),
    "key": ([2812, 0, 1688], [0, 0, 0]),
    "key_then_market": ([1812, 3000, 0], [0, 0, 312]),
}


def sharing_market(directory: Path, allocation: str) -> Market:
    example_cluster(directory)  # writes the RCE file
    (directory / "example.toml").write_text(CLUSTER + SHARING.format(allocation=allocation))
    clock = SimulatedClock(BEFORE_US)
    market = Market(load_cluster(directory / "example.toml"), clock, RecordingJournal())
    trade_week(market, clock)
    return market


@pytest.fixture(scope="module", params=list(HOUR))
def week(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Market]:
    directory = Path(tmp_path_factory.mktemp(request.param))
    return request.param, sharing_market(directory, request.param)


def noon() -> int:
    return next(s for s in range(WEEK_START, WEEK_END, 3600) if is_midday(s))


def test_market_then_key_bills_each_point_as_computed_by_hand(tmp_path: Path) -> None:
    market = sharing_market(tmp_path, "market_then_key")
    _, points = market.point_statements(WEEK_START, WEEK_END)
    for point, (lines, net, vat, gross, baseline, saving) in EXPECTED.items():
        s = points[point]
        assert tuple(line.kind for line in s.bill.lines) == LINES
        assert tuple(line.grosz for line in s.bill.lines) == lines, point
        assert (s.bill.net_grosz, s.bill.vat_grosz, s.bill.gross_grosz) == (net, vat, gross)
        assert (s.baseline.gross_grosz, s.saving_grosz) == (baseline, saving)
    assert points[HOUSE].bill.line("shared_out").wh == 14_000
    assert points[HOUSE].bill.line("export_credit").wh == 0
    assert sum(p.bill.line("shared_in").grosz for p in points) == 420
    assert sum(p.bill.line("shared_out").grosz for p in points) == -420


def test_one_midday_hour_shares_what_the_hand_computation_says(week) -> None:
    allocation, market = week
    start = noon()
    _, settled = market.settlement(start, start + 3600)
    got = tuple(
        (int(settled.shared_in_wh[m, 0]), int(settled.shared_out_wh[m, 0])) for m in range(3)
    )
    assert got == HOUR[allocation]
    # the members' account and the bills agree on every member's shared energy
    _, points = market.point_statements(start, start + 3600)
    for member, point in ((0, SCHOOL), (1, HOUSE), (2, FIRM)):
        bill = points[point].bill
        assert (bill.line("shared_in").wh, bill.line("shared_out").wh) == got[member]


def test_what_is_left_goes_to_the_grid_as_each_allocation_says(week) -> None:
    allocation, market = week
    start = noon()
    _, s = market.settlement(start, start + 3600)
    assert (s.shortfall_wh[:, 0].tolist(), s.surplus_wh[:, 0].tolist()) == LEFT[allocation]
    assert int(np.sum(s.shared_in_value)) == int(np.sum(s.shared_out_value))
    assert int(np.sum(s.shared_in_value)) == 30_000 * int(np.sum(s.shared_in_wh))
    if allocation == "key":  # the market's trades are not settled
        assert not s.bought_wh.any() and not s.sold_wh.any()


def test_the_export_replays_the_journal_and_writes_the_shared_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main as cli_main
    from engine.market.recovery import open_market

    example_cluster(tmp_path)
    config = tmp_path / "example.toml"
    config.write_text(CLUSTER + SHARING.format(allocation="market_then_key"))
    clock = SimulatedClock(BEFORE_US)
    node = open_market(tmp_path / "data", load_cluster(config), clock)
    trade_week(node.market, clock)
    node.close()
    args = ["statements", "export", "--data", str(tmp_path / "data"), "--config", str(config)]
    period = ["--from", "2026-06-01T00:00:00+02:00", "--to", "2026-06-08T00:00:00+02:00"]
    assert cli_main.main([*args, *period]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    house, firm = rows[HOUSE], rows[FIRM]
    assert (house["shared_out_wh"], house["shared_out_grosz"]) == ("14000", "-420")
    assert (firm["shared_in_wh"], firm["shared_in_grosz"], firm["gross_grosz"]) == (
        "2800",
        "84",
        "25590",
    )


def test_a_replay_of_the_journal_shares_the_same_energy_to_the_byte(tmp_path: Path) -> None:
    from engine.market.recovery import open_market

    example_cluster(tmp_path)
    config = tmp_path / "example.toml"
    config.write_text(CLUSTER + SHARING.format(allocation="key_then_market"))
    clock = SimulatedClock(BEFORE_US)
    node = open_market(tmp_path / "data", load_cluster(config), clock)
    trade_week(node.market, clock)
    _, live = node.market.settlement(WEEK_START, WEEK_END)
    node.close()
    again = open_market(tmp_path / "data", load_cluster(config), SimulatedClock(WEEK_END * 10**6))
    _, replayed = again.market.settlement(WEEK_START, WEEK_END)
    again.close()
    assert int(live.shared_in_wh.sum()) > 0
    for name in ("shared_in_wh", "shared_out_wh", "shared_in_value", "cost_value"):
        assert getattr(live, name).tobytes() == getattr(replayed, name).tobytes()
