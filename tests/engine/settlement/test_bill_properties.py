"""Properties of the statements on tariffs (hypothesis): money conserves per interval, a
statement equals the sum of its lines, every amount follows the one rounding rule."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config.cluster import parse_cluster
from engine.settlement.bills import (
    BASELINE_LINES,
    LINES,
    bill_points,
    member_statement,
    operator_value,
)
from engine.settlement.settle import PeriodTrades, settle
from matching.units import round_half_even, value_to_exact_grosz

T0 = 1_780_264_800  # 2026-06-01T00:00+02:00, a Monday
POINTS = 4  # the cluster below: a coordinator and a member with three points

CLUSTER = """
[cluster]
id = "props"
name = "Properties"
interval_minutes = 15
[prices]
floor_pln_mwh = "250.00"
cap_pln_mwh = "900.00"
[settlement]
discount_share = "{share}"
vat_rate = "{vat}"
net_member_points = {netting}
[[members]]
id = "oke"
name = "Operator"
role = "coordinator"
[[members.connection_points]]
id = "P-0"
terc = "2417011"
dso = "D"
max_import_kw = "40"
max_export_kw = "40"
tariff = "C12a"
[[members]]
id = "dom"
name = "Household"
[[members.connection_points]]
id = "P-1"
terc = "2417011"
dso = "D"
max_import_kw = "40"
max_export_kw = "40"
tariff = "G12w"
regime = "net-metering"
[[members.connection_points]]
id = "P-2"
terc = "2417011"
dso = "D"
max_import_kw = "40"
max_export_kw = "40"
regime = "net-billing"
net_billing_price = "rce"
supplier_pln_mwh = {{ all = "612.34" }}
[[members.connection_points]]
id = "P-3"
terc = "2417011"
dso = "D"
max_import_kw = "40"
max_export_kw = "40"
tariff = "G12"
regime = "none"
cluster_discount = false
"""

decimals = st.sampled_from(["0", "0.05", "0.23", "0.333", "1"])


@st.composite
def periods(draw):
    intervals = draw(st.integers(1, 12))
    step = draw(st.sampled_from([900, 3 * 3600, 86400 + 900]))  # zones, days, months
    starts = [T0 + i * step for i in range(intervals)]
    cells = st.integers(0, 50_000)
    shape = (POINTS, intervals)
    imports = np.array(
        draw(st.lists(cells, min_size=POINTS * intervals, max_size=POINTS * intervals))
    )
    exports = np.array(
        draw(st.lists(cells, min_size=POINTS * intervals, max_size=POINTS * intervals))
    )
    metered = np.array(
        draw(st.lists(st.booleans(), min_size=POINTS * intervals, max_size=POINTS * intervals))
    )
    n = draw(st.integers(0, 20))
    rows = draw(st.lists(
        st.tuples(
            st.integers(0, intervals - 1), st.integers(0, POINTS - 1), st.integers(0, POINTS - 1),
            st.integers(1, 10_000), st.integers(-5_000_00, 150_000_00), st.integers(0, 300_00),
        ),
        min_size=n, max_size=n,
    ))  # fmt: skip
    trades = _trades(rows)
    return starts, imports.reshape(shape), exports.reshape(shape), metered.reshape(shape), trades


def _trades(rows) -> PeriodTrades:
    if not rows:
        return PeriodTrades.empty()
    interval, buyer, seller, q, price, spread = (
        np.array(c, np.int64) for c in zip(*rows, strict=True)
    )
    return PeriodTrades(interval, buyer, seller, q, price, price - spread)


def cluster(share: str, vat: str, netting: bool):
    text = CLUSTER.format(share=share, vat=vat, netting="true" if netting else "false")
    return parse_cluster(text, source="props.toml")


@settings(max_examples=60, deadline=None)
@given(periods(), decimals, decimals, st.booleans())
def test_a_statement_equals_the_sum_of_its_lines_each_rounded_once(period, share, vat, netting):
    starts, imports, exports, metered, trades = period
    c = cluster(share, vat, netting)
    floor = np.full(len(starts), 250_00, np.int64)
    cap = np.full(len(starts), 900_00, np.int64)
    points = bill_points(c, starts, trades, imports, exports, metered, floor, cap)
    rate = c.settlement.vat_rate
    for s in points:
        for bill, kinds in ((s.bill, LINES), (s.baseline, BASELINE_LINES)):
            assert tuple(line.kind for line in bill.lines) == kinds
            assert all(line.grosz == round_half_even(line.exact) for line in bill.lines)
            assert bill.net_grosz == sum(line.grosz for line in bill.lines)
            assert bill.vat_grosz == round_half_even(bill.net_grosz * rate)
            assert bill.gross_grosz == bill.net_grosz + bill.vat_grosz
        carried = s.baseline_carried_grosz - s.carried_grosz  # the deposits at face value
        assert s.saving_grosz == s.baseline.gross_grosz - s.bill.gross_grosz - carried
        assert s.bill.line("export_credit").grosz <= 0 <= s.bill.line("excise").grosz
    for member in ("oke", "dom"):
        m = member_statement(points, member)
        for kind in LINES:
            assert m.bill.line(kind).grosz == sum(p.bill.line(kind).grosz for p in m.points)
        assert m.bill.net_grosz == sum(line.grosz for line in m.bill.lines)
        assert m.bill.gross_grosz == sum(p.bill.gross_grosz for p in m.points)
        assert m.saving_grosz == sum(p.saving_grosz for p in m.points)


@settings(max_examples=60, deadline=None)
@given(periods())
def test_money_conserves_per_interval_buyers_pay_sellers_and_the_operator(period) -> None:
    starts, imports, exports, _, trades = period
    metered = np.ones(imports.shape, bool)  # every cell settled: every trade counts
    floor = np.full(len(starts), 250_00, np.int64)
    settled = settle(trades, imports, exports, floor, floor * 4, 0, metered)
    paid = settled.bought_value.sum(axis=0).tolist()
    received = settled.sold_value.sum(axis=0).tolist()
    operator = operator_value(trades, len(starts))
    assert [p - r for p, r in zip(paid, received, strict=True)] == operator
    assert all(o >= 0 for o in operator)  # buyers never pay less than sellers get
    # and the statements carry exactly those amounts, line by line
    c = cluster("0", "0.23", False)
    points = bill_points(c, starts, trades, imports, exports, metered, floor, floor * 4)
    tick = c.tick_pln_mwh
    bought = sum((p.bill.line("local_bought").exact for p in points), Fraction(0))
    sold = -sum((p.bill.line("local_sold").exact for p in points), Fraction(0))
    assert bought - sold == value_to_exact_grosz(sum(operator), tick)


@settings(max_examples=40, deadline=None)
@given(periods())
def test_without_trades_a_statement_is_its_baseline(period) -> None:
    starts, imports, exports, metered, _ = period
    c = cluster("0.5", "0.23", False)
    floor = np.full(len(starts), 250_00, np.int64)
    points = bill_points(
        c, starts, PeriodTrades.empty(), imports, exports, metered, floor, floor * 4
    )
    for s in points:
        assert s.saving_grosz == 0
        assert s.bill.line("cluster_discount").grosz == 0
