"""Bills with a sharing key (hypothesis): a member's points together share exactly what the
member's account shares, each point within what it lacks or has, the shared money sums to
zero over the points, and the grid is billed on what is left."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config.cluster import parse_cluster
from engine.settlement.bills import bill_points
from engine.settlement.settle import PeriodTrades, settle
from engine.settlement.sharing import plan_for
from tests.engine.settlement.test_bill_properties import CLUSTER, periods

OWNER = np.array([0, 1, 1, 1])  # P-0 is the coordinator's, P-1..P-3 the household's
SHARING = st.sampled_from(
    [
        'allocation = "{a}"\nprice_pln_mwh = "310.00"',
        'allocation = "{a}"\nkey = "priority"\npriority = ["dom", "oke"]',
        'allocation = "{a}"\nkey = "static"\npercentages = {{ oke = "30", dom = "70" }}',
        'allocation = "{a}"\nkey = "iterative"\nrounds = 2\npercentages = {{ dom = "55.5" }}\n'
        'price_pln_mwh = "0.01"',
    ]
)
ALLOCATION = st.sampled_from(["key", "key_then_market", "market_then_key"])


def by_member(period):
    """The period's points summed per member: trades, meters and the metered mask."""
    starts, imports, exports, metered, trades = period
    shape = (2, len(starts))
    imp, exp, missing = np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape)
    np.add.at(imp, OWNER, np.where(metered, imports, 0))
    np.add.at(exp, OWNER, np.where(metered, exports, 0))
    np.add.at(missing, OWNER, ~metered)
    member_trades = PeriodTrades(
        trades.interval, OWNER[trades.buyer], OWNER[trades.seller], trades.quantity,
        trades.buyer_price, trades.seller_price,
    )  # fmt: skip
    return member_trades, imp, exp, missing == 0


@settings(max_examples=80, deadline=None)
@given(periods(), SHARING, ALLOCATION)
def test_points_share_what_their_member_shares_and_the_money_sums_to_zero(
    period, sharing, allocation
) -> None:
    starts, imports, exports, metered, trades = period
    text = CLUSTER.format(share="0.25", vat="0.23", netting="false")
    c = parse_cluster(text + "\n[sharing]\n" + sharing.format(a=allocation) + "\n")
    floor = np.full(len(starts), 250_00, np.int64)
    cap = floor * 4
    points = bill_points(c, starts, trades, imports, exports, metered, floor, cap)
    plan = plan_for(c.sharing, {"oke": 0, "dom": 1}, 2)
    member_trades, imp, exp, member_metered = by_member(period)
    account = settle(member_trades, imp, exp, floor, cap, 0, member_metered, plan)
    shared_in = [p.bill.line("shared_in").wh for p in points]
    shared_out = [p.bill.line("shared_out").wh for p in points]
    for member in (0, 1):
        mine = np.equal(OWNER, member)
        assert sum(np.array(shared_in)[mine]) == int(account.shared_in_wh[member].sum())
        assert sum(np.array(shared_out)[mine]) == int(account.shared_out_wh[member].sum())
    money = sum((p.bill.line("shared_in").exact for p in points), Fraction(0))
    assert money == -sum((p.bill.line("shared_out").exact for p in points), Fraction(0))
    if allocation == "market_then_key":  # what the trades left each point short or over
        alone = settle(trades, imports, exports, floor, cap, 0, metered)
        lacks = np.asarray(alone.shortfall_wh).sum(axis=1)
        has = np.asarray(alone.surplus_wh).sum(axis=1)
    else:  # the meters alone: what it took from the network, what it fed in
        lacks = np.where(metered, imports, 0).sum(axis=1)
        has = np.where(metered, exports, 0).sum(axis=1)
    for p, s in enumerate(points):
        # a point is given at most what it lacks and shares at most what it has; the
        # supplier bills what is left, never below zero
        assert 0 <= s.bill.line("shared_in").wh <= lacks[p]
        assert 0 <= s.bill.line("shared_out").wh <= has[p]
        assert s.bill.line("supplier_energy").wh >= 0
        assert "shared_in" not in {line.kind for line in s.baseline.lines}
