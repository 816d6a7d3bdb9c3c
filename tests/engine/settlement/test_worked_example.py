"""The worked example (``worked_example.py``), its statements line by line against a hand
computation. Amounts in grosz; 1 kWh at 1 PLN/MWh is 0.1 grosz.

Week totals (7 days; midday 4 h, the rest 20 h): the household imports 7 x 20 x 400 =
56,000 Wh, exports 7 x 4 x 3,500 = 98,000 Wh and sells 7 x 4 x 3,000 = 84,000 Wh, so 14,000
Wh go to the grid (12,000 Wh Monday to Saturday at 200.00, 2,000 Wh on Sunday at
max(-50.00, 0) = 0). The firm imports 7 x (20 x 1,000 + 4 x 3,000) = 224,000 Wh and buys
56,000 Wh locally; the school imports 7 x (20 x 2,000 + 4 x 5,000) = 420,000 Wh and buys
28,000 Wh. Fixed charges: the week is 7/30 of June.

Household (G11, supplier 500.00, distribution 330.00, fixed 24.00/month, net billing at RCE):
  local_sold            84,000 Wh x 400.00   = -3,360
  supplier_energy       56,000 Wh x 500.00   =  2,800
  export_credit         12,000 Wh x 200.00   =   -240 (deposit 240 <= energy 2,800)
  distribution_variable 56,000 Wh x 330.00   =  1,848
  distribution_fixed    24.00 x 7/30 PLN     =    560
  excise                56,000 Wh x 5.00     =     28
  net 1,636; VAT 23% 376.28 -> 376; gross 2,012.
  baseline: energy 2,800, export 84,000 Wh x 200.00 = -1,680, distribution 1,848, fixed
  560, excise 28: net 3,556, VAT 817.88 -> 818, gross 4,374; saving 2,362.
Firm (C11, supplier 650.00, distribution 320.00, fixed 40.00/month):
  local_bought          56,000 Wh x 400.00   =  2,240
  supplier_energy      168,000 Wh x 650.00   = 10,920
  distribution_variable 224,000 Wh x 320.00  =  7,168
  cluster_discount      56,000 Wh x 320.00 x 0.25 = -448
  distribution_fixed    40.00 x 7/30 PLN     = 933.33 -> 933
  excise                224,000 Wh x 5.00    =    112
  net 20,925; VAT 4,812.75 -> 4,813; gross 25,738.
  baseline: energy 224,000 x 650.00 = 14,560, 7,168, 933, 112: net 22,773, VAT 5,237.79 ->
  5,238, gross 28,011; saving 2,273.
School (C21, supplier 600.00, distribution 230.00, fixed 350.00/month):
  local_bought          28,000 Wh x 400.00   =  1,120
  supplier_energy      392,000 Wh x 600.00   = 23,520
  distribution_variable 420,000 Wh x 230.00  =  9,660
  cluster_discount      28,000 Wh x 230.00 x 0.25 = -161
  distribution_fixed    350.00 x 7/30 PLN    = 8,166.67 -> 8,167
  excise                420,000 Wh x 5.00    =    210
  net 42,516; VAT 9,778.68 -> 9,779; gross 52,295.
  baseline: 420,000 x 600.00 = 25,200, 9,660, 8,167, 210: net 43,237, VAT 9,944.51 ->
  9,945, gross 53,182; saving 887.
Money conserves: buyers pay 2,240 + 1,120 = 3,360 = what the household receives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.settlement.bills import LINES, member_statement
from tests.engine.settlement.worked_example import (
    FIRM,
    HOUSE,
    SCHOOL,
    WEEK_END,
    WEEK_START,
    week_market,
)

EXPECTED = {
    # point: (lines in LINES order, net, vat, gross, baseline gross, saving)
    HOUSE: ((0, -3360, 0, 0, 2800, -240, 1848, 0, 560, 28), 1636, 376, 2012, 4374, 2362),
    FIRM: ((2240, 0, 0, 0, 10920, 0, 7168, -448, 933, 112), 20925, 4813, 25738, 28011, 2273),
    SCHOOL: ((1120, 0, 0, 0, 23520, 0, 9660, -161, 8167, 210), 42516, 9779, 52295, 53182, 887),
}


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory):
    market = week_market(Path(tmp_path_factory.mktemp("example")))
    starts, points = market.point_statements(WEEK_START, WEEK_END)
    assert len(starts) == 168
    return market, points


@pytest.mark.parametrize("point", [HOUSE, FIRM, SCHOOL])
def test_the_worked_example_bills_each_point_as_computed_by_hand(statements, point) -> None:
    _, points = statements
    s = points[point]
    lines, net, vat, gross, baseline, saving = EXPECTED[point]
    assert tuple(line.kind for line in s.bill.lines) == LINES
    assert tuple(line.grosz for line in s.bill.lines) == lines
    assert (s.bill.net_grosz, s.bill.vat_grosz, s.bill.gross_grosz) == (net, vat, gross)
    assert (s.baseline.gross_grosz, s.saving_grosz) == (baseline, saving)
    assert s.pending == ()


def test_the_worked_example_energy_lines_carry_the_hand_computed_wh(statements) -> None:
    _, points = statements
    house = points[HOUSE].bill
    assert house.line("local_sold").wh == 84_000
    assert house.line("export_credit").wh == 14_000
    assert points[HOUSE].carried_grosz == 0  # the deposit (240) is below the energy (2,800)
    assert points[FIRM].bill.line("supplier_energy").wh == 168_000
    assert points[SCHOOL].bill.line("distribution_variable").wh == 420_000


def test_the_worked_example_member_statements_are_their_points(statements) -> None:
    market, points = statements
    firm = member_statement(points, market.cluster.members[2].id)
    assert [p.point for p in firm.points] == [FIRM]
    assert firm.bill.gross_grosz == 25738 and firm.saving_grosz == 2273


def test_the_worked_example_money_conserves(statements) -> None:
    _, points = statements
    bought = sum(p.bill.line("local_bought").grosz for p in points)
    sold = -sum(p.bill.line("local_sold").grosz for p in points)
    assert bought == sold == 3360
