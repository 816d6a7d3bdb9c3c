"""Settlement: hand-computed scenarios, a plain-Python reference, properties, pending cells.

Scenarios run one interval with floor 250.00, cap 900.00 and fee 45.00 PLN/MWh at the
default tick (25_000, 90_000 and 4_500 ticks) and a local price of 500.00 PLN/MWh.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.settlement.kpis import kpis
from engine.settlement.settle import (
    COLUMNS,
    MAX_ABS_TICKS,
    MAX_CELL_WH,
    PeriodTrades,
    Settlement,
    SettlementError,
    adjustment,
    exact_column_sums,
    settle,
    statement,
    value_to_grosz,
)

FLOOR, CAP, FEE, PRICE = 25_000, 90_000, 4_500, 50_000
W, P = MAX_CELL_WH, MAX_ABS_TICKS


def trades_of(rows: list[tuple[int, int, int, int, int, int]]) -> PeriodTrades:
    """Build columns from rows (interval, buyer, seller, quantity, buyer_price, seller_price)."""
    if not rows:
        return PeriodTrades.empty()
    return PeriodTrades(*(np.array(col, np.int64) for col in zip(*rows, strict=True)))


def settle_rows(
    meters: list[list[tuple[int, int]]],
    rows: list[tuple[int, int, int, int, int, int]],
    floor: list[int] | None = None,
    cap: list[int] | None = None,
    fee: int = FEE,
    metered: list[list[bool]] | None = None,
) -> Settlement:
    """Settle ``meters[member][interval] = (import_wh, export_wh)`` against ``rows``."""
    meter = np.array(meters, np.int64).reshape(len(meters), -1, 2)
    t = meter.shape[1]
    mask = np.ones(meter.shape[:2], bool) if metered is None else np.array(metered, bool)
    return settle(
        trades_of(rows),
        meter[:, :, 0],
        meter[:, :, 1],
        np.array(floor or [FLOOR] * t, np.int64),
        np.array(cap or [CAP] * t, np.int64),
        fee,
        mask,
    )


def cell(settlement: Settlement, member: int, interval: int = 0) -> dict[str, int]:
    return {c: int(getattr(settlement, c)[member, interval]) for c in COLUMNS}


def line(**nonzero: int) -> dict[str, int]:
    """A settlement cell: the given columns, every other one 0."""
    return {c: nonzero.get(c, 0) for c in COLUMNS}


# (name, meters, trades, member, expected cell)
SCENARIOS = [
    (
        "prosumer sells 2000 of its 3000 Wh surplus locally, the rest goes to the grid",
        [[(0, 3000)], [(2000, 0)]],
        [(0, 1, 0, 2000, PRICE, PRICE)],
        0,
        line(
            sold_wh=2000,
            sold_value=2000 * PRICE,
            surplus_wh=1000,
            surplus_value=1000 * FLOOR,
            cost_value=-2000 * PRICE - 1000 * FLOOR,
            baseline_value=-3000 * FLOOR,
            savings_value=-3000 * FLOOR + 2000 * PRICE + 1000 * FLOOR,
        ),
    ),
    (
        "buyer of that trade pays the trade price and the fee, nothing else",
        [[(0, 3000)], [(2000, 0)]],
        [(0, 1, 0, 2000, PRICE, PRICE)],
        1,
        line(
            bought_wh=2000,
            bought_value=2000 * PRICE,
            fee_value=2000 * FEE,
            cost_value=2000 * (PRICE + FEE),
            baseline_value=2000 * CAP,
            savings_value=2000 * (CAP - PRICE - FEE),
        ),
    ),
    (
        "buyer imported 2500 Wh but bought 2000: the 500 Wh shortfall is paid at the cap",
        [[(0, 3000)], [(2500, 0)]],
        [(0, 1, 0, 2000, PRICE, PRICE)],
        1,
        line(
            bought_wh=2000,
            bought_value=2000 * PRICE,
            fee_value=2000 * FEE,
            shortfall_wh=500,
            shortfall_value=500 * CAP,
            cost_value=2000 * (PRICE + FEE) + 500 * CAP,
            baseline_value=2500 * CAP,
            savings_value=2500 * CAP - 2000 * (PRICE + FEE) - 500 * CAP,
        ),
    ),
    (
        "seller sold 2000 Wh but exported 1500: it buys the missing 500 Wh at the cap",
        [[(0, 1500)], [(2000, 0)]],
        [(0, 1, 0, 2000, PRICE, PRICE)],
        0,
        line(
            sold_wh=2000,
            sold_value=2000 * PRICE,
            shortfall_wh=500,
            shortfall_value=500 * CAP,
            cost_value=-2000 * PRICE + 500 * CAP,
            baseline_value=-1500 * FLOOR,
            savings_value=-1500 * FLOOR + 2000 * PRICE - 500 * CAP,
        ),
    ),
    (
        "no trades, a consumer: cost equals baseline, savings 0",
        [[(1000, 0)]],
        [],
        0,
        line(
            shortfall_wh=1000,
            shortfall_value=1000 * CAP,
            cost_value=1000 * CAP,
            baseline_value=1000 * CAP,
        ),
    ),
    (
        "no trades, an exporter: cost equals baseline, savings 0",
        [[(200, 1000)]],
        [],
        0,
        line(
            surplus_wh=800,
            surplus_value=800 * FLOOR,
            cost_value=-800 * FLOOR,
            baseline_value=-800 * FLOOR,
        ),
    ),
    (
        "trade reduction: buyer pays its price, seller gets its lower one, fee on the buyer",
        [[(0, 1000)], [(1000, 0)]],
        [(0, 1, 0, 1000, 60_000, 40_000)],
        0,
        line(
            sold_wh=1000,
            sold_value=1000 * 40_000,
            cost_value=-1000 * 40_000,
            baseline_value=-1000 * FLOOR,
            savings_value=1000 * (40_000 - FLOOR),
        ),
    ),
]


@pytest.mark.parametrize(
    ("meters", "rows", "member", "expected"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_scenario_settles_to_the_hand_computed_line(meters, rows, member, expected) -> None:
    assert cell(settle_rows(meters, rows), member) == expected


def test_fee_is_paid_by_the_buyer_only() -> None:
    s = settle_rows([[(0, 1000)], [(1000, 0)]], [(0, 1, 0, 1000, PRICE, PRICE)])
    assert s.fee_value[:, 0].tolist() == [0, 1000 * FEE]


# value [Wh*tick] -> grosz at the default tick: 1 Wh*tick = 1e-6 grosz.
ROUNDING = [
    (0, "0.01", 0),
    (499_999, "0.01", 0),
    (500_000, "0.01", 0),  # 0.5 -> 0 (even)
    (500_001, "0.01", 1),
    (1_500_000, "0.01", 2),  # 1.5 -> 2 (even)
    (2_500_000, "0.01", 2),  # 2.5 -> 2 (even)
    (3_500_000, "0.01", 4),
    (-500_000, "0.01", 0),
    (-1_500_000, "0.01", -2),
    (-2_500_001, "0.01", -3),
    (10_000, "0.5", 0),  # 0.5 grosz at a tick of 0.50 PLN/MWh
    (30_000, "0.5", 2),  # 1.5
    (2**70 * 10**6 + 500_000, "0.01", 2**70),  # exact beyond int64 and float
]


@pytest.mark.parametrize(("value", "tick", "grosz"), ROUNDING)
def test_value_to_grosz_rounds_half_to_even(value: int, tick: str, grosz: int) -> None:
    assert value_to_grosz(value, tick) == grosz
    assert value_to_grosz(value, Decimal(tick)) == grosz


def test_value_to_grosz_refuses_a_float_tick() -> None:
    with pytest.raises(SettlementError, match="Decimal or str"):
        value_to_grosz(1, 0.01)  # type: ignore[arg-type]


def test_statement_totals_a_period_and_converts_each_line_once() -> None:
    # Member 1 buys 1000 Wh at 500.01 PLN/MWh in intervals 0 and 2, is unmetered in 1.
    price = 50_001
    s = settle_rows(
        [[(0, 1000)] * 3, [(1000, 0)] * 3],
        [(0, 1, 0, 1000, price, price), (2, 1, 0, 1000, price, price)],
        metered=[[True] * 3, [True, False, True]],
    )
    st_ = statement(s, 1, slice(0, 3))
    assert st_.intervals == range(3)
    assert st_.pending == (1,)
    assert st_.bought_wh == 2000
    assert st_.bought_value == 2000 * price
    assert st_.bought_grosz == 100  # 100.002 grosz
    assert st_.fee_grosz == round(Fraction(2000 * FEE, 10**6))
    assert st_.cost_value == 2000 * (price + FEE)
    assert st_.savings_value == st_.baseline_value - st_.cost_value
    assert statement(s, 1, slice(1, 2)).bought_wh == 0  # the pending interval alone
    with pytest.raises(SettlementError, match="member must be in 0..1, was 2"):
        statement(s, 2)


def test_statement_sums_beyond_int64_exactly() -> None:
    # 96 cells of W * P = 5e17 each: the period total exceeds int64 and stays exact.
    t = 96
    s = settle_rows([[(W, 0)] * t], [], cap=[P] * t)
    st_ = statement(s, 0)
    assert st_.cost_value == t * W * P > 2**63
    assert st_.cost_grosz == t * W * P // 10**6


def test_pending_cells_hold_zero_and_are_listed() -> None:
    metered = [[True, False], [True, True]]
    s = settle_rows(
        [[(500, 0), (-1, 99)], [(0, 500), (0, 500)]],  # garbage in the unmetered cell
        [(0, 0, 1, 500, PRICE, PRICE), (1, 0, 1, 500, PRICE, PRICE)],
        metered=metered,
    )
    assert cell(s, 0, 1) == line()
    assert cell(s, 1, 1)["sold_wh"] == 500  # the seller's own cell is settled
    assert s.complete.tolist() == [True, False]
    assert s.pending_intervals().tolist() == [1]
    assert [a.tolist() for a in s.missing()] == [[0], [1]]
    assert s.metered.tolist() == metered


def test_a_late_reading_is_an_adjustment_that_completes_the_interval() -> None:
    meters = [[(500, 0)], [(0, 500)]]
    rows = [(0, 0, 1, 500, PRICE, PRICE)]
    old = settle_rows(meters, rows, metered=[[False], [True]])
    new = settle_rows(meters, rows)
    adj = adjustment(old, new)
    assert cell(adj, 0) == cell(new, 0)  # the first settlement of the cell
    assert cell(adj, 1) == line()  # the seller's cell did not change
    assert adj.complete.tolist() == [True]
    with pytest.raises(SettlementError, match="1 readings were withdrawn"):
        adjustment(new, old)


def test_result_is_read_only() -> None:
    s = settle_rows([[(1, 0)]], [])
    with pytest.raises(ValueError, match="read-only"):
        s.cost_value[0, 0] = 0


def test_trade_sums_are_exact_beyond_float64() -> None:
    # Odd trade values just above 2**53 into one cell: float64 sums (np.bincount) would round.
    q, p = 90_071_995, 99_999_999
    assert q * p > 2**53 and (q * p) % 2 == 1
    rows = [(0, 1, 0, q, p, p)] * 3 + [(0, 1, 0, 1, 2, 2)]
    s = settle_rows([[(0, 0)], [(0, 0)]], rows, cap=[P], floor=[0])
    expected = 3 * q * p + 2  # odd and above 2**53: no float64 holds it
    as_float = np.bincount(np.zeros(4, np.int64), weights=[q * p] * 3 + [2])[0]
    assert int(as_float) != expected  # the test has teeth
    assert int(s.bought_value[1, 0]) == expected == int(s.sold_value[0, 0])


def test_exact_column_sums_exceed_int64() -> None:
    big = np.full((5, 2), 6 * W * P, np.int64)
    big[:, 1] *= -1
    assert exact_column_sums(big) == [30 * W * P, -30 * W * P]


def test_extremes_at_the_bounds_do_not_overflow() -> None:
    # Member 0 sells W at -P while importing W: shortfall 2W at cap P. Member 1 buys W at P
    # plus fee P while exporting W: surplus 2W at floor -P, so its cost is 4 * W * P.
    band = {"floor": [-P], "cap": [P], "fee": P}
    s = settle_rows([[(W, 0)], [(0, W)]], [(0, 1, 0, W, P, -P)], **band)
    seller = reference_cell(W, 0, 0, 0, W, -W * P, -P, P, P)
    buyer = reference_cell(0, W, W, W * P, 0, 0, -P, P, P)
    assert cell(s, 0) == seller and cell(s, 1) == buyer
    assert buyer["cost_value"] == 4 * W * P
    # Correcting both members' readings the other way round moves every line the most.
    flipped = settle_rows([[(0, W)], [(W, 0)]], [(0, 1, 0, W, P, -P)], **band)
    adj = adjustment(s, flipped)
    for member, before in ((0, seller), (1, buyer)):
        after = cell(flipped, member)
        assert cell(adj, member) == {c: after[c] - before[c] for c in COLUMNS}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": W + 1}, "trade quantity must be in 1..5000000000, was 5000000001"),
        ({"quantity": 0}, "trade quantity must be in 1..5000000000, was 0"),
        ({"buyer_price": P + 1}, "trade buyer_price must be in"),
        ({"buyer": 2}, "trade buyer must be in 0..1, was 2"),
        ({"interval": -1}, "trade interval must be in 0..0, was -1"),
    ],
)
def test_bad_trades_are_refused(change: dict[str, int], message: str) -> None:
    row = dict(interval=0, buyer=1, seller=0, quantity=1, buyer_price=1, seller_price=1)
    row.update(change)
    with pytest.raises(SettlementError, match=message):
        settle_rows([[(0, 0)], [(0, 0)]], [tuple(row.values())])


def test_bought_over_the_cell_bound_is_refused() -> None:
    with pytest.raises(SettlementError, match="member 1 bought 5000000001 Wh in interval 0"):
        settle_rows([[(0, 0)], [(0, 0)]], [(0, 1, 0, W, 1, 1), (0, 1, 0, 1, 1, 1)])


def test_bad_meters_and_prices_are_refused() -> None:
    with pytest.raises(SettlementError, match="import_wh must be in 0..5000000000, was -1"):
        settle_rows([[(-1, 0)]], [])
    with pytest.raises(SettlementError, match="cap must be in"):
        settle_rows([[(0, 0)]], [], cap=[P + 1])
    with pytest.raises(SettlementError, match="export_wh must hold integers, held float64"):
        settle(PeriodTrades.empty(), np.zeros((1, 1), np.int64), np.zeros((1, 1)), *BAND, 0, ONE)
    with pytest.raises(SettlementError, match=r"must have shape \(1, 1\), had \(1, 2\)"):
        settle(PeriodTrades.empty(), np.zeros((1, 2), np.int64), np.zeros((1, 1)), *BAND, 0, ONE)
    with pytest.raises(SettlementError, match="fee_ticks must be in 0..100000000, was -1"):
        settle_rows([[(0, 0)]], [], fee=-1)
    with pytest.raises(SettlementError, match="fee_ticks must be an int"):
        settle_rows([[(0, 0)]], [], fee=1.5)  # type: ignore[arg-type]


BAND = (np.array([FLOOR]), np.array([CAP]))
ONE = np.ones((1, 1), bool)


def test_kpis_of_a_hand_computed_period() -> None:
    # Interval 0: member 0 exports 3000, member 1 imports 2000 and buys 2000 from member 0.
    # Interval 1: member 1 imports 1000, no trades. Interval 2: member 0 unmetered (pending).
    meters = [[(0, 3000), (0, 0), (0, 0)], [(2000, 0), (1000, 0), (1000, 0)]]
    metered = [[True, True, False], [True, True, True]]
    s = settle_rows(meters, [(0, 1, 0, 2000, PRICE, PRICE)], metered=metered)
    meter = np.array(meters, np.int64)
    k = kpis(s, meter[:, :, 0], meter[:, :, 1], np.full(3, FLOOR), np.full(3, CAP))
    assert (k.intervals, k.pending) == (2, (2,))
    assert (k.import_wh, k.export_wh, k.local_use_wh, k.traded_wh) == (3000, 3000, 2000, 2000)
    # Interval 0 nets 2000 inside and sends 1000 out; interval 1 takes 1000 from outside.
    assert (k.boundary_import_wh, k.boundary_export_wh) == (1000, 1000)
    assert k.import_covered_locally == Fraction(2, 3)
    assert k.export_used_locally == Fraction(2, 3)
    assert k.traded_share == Fraction(2, 3)
    assert k.average_buyer_price == k.average_seller_price == PRICE
    assert (k.average_cap, k.average_floor) == (CAP, FLOOR)
    # Savings: seller 2000 * (PRICE - FLOOR), buyer 2000 * (CAP - PRICE - FEE).
    assert k.savings_value == 2000 * (PRICE - FLOOR) + 2000 * (CAP - PRICE - FEE)
    assert k.savings_grosz == round(Fraction(k.savings_value, 10**6))


def test_kpis_without_trades_or_meters_have_no_ratios() -> None:
    s = settle_rows([[(0, 0)]], [])
    k = kpis(s, np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64), *BAND)
    assert k.import_covered_locally is k.average_buyer_price is k.average_cap is None
    assert k.renewable_export_wh is k.renewable_used_locally is None  # no point flows given
    assert k.savings_value == 0


# The plain-Python reference: the DESIGN.md formulas over Python ints, one cell at a time.


def reference_cell(
    imp: int,
    exp: int,
    bought_wh: int,
    bought_value: int,
    sold_wh: int,
    sold_value: int,
    floor: int,
    cap: int,
    fee: int,
) -> dict[str, int]:
    net = exp - imp
    imbalance = net - (sold_wh - bought_wh)
    shortfall, surplus = max(-imbalance, 0), max(imbalance, 0)
    fee_value = bought_wh * fee
    cost = bought_value + fee_value - sold_value + shortfall * cap - surplus * floor
    baseline = max(-net, 0) * cap - max(net, 0) * floor
    return dict(
        bought_wh=bought_wh,
        bought_value=bought_value,
        sold_wh=sold_wh,
        sold_value=sold_value,
        fee_value=fee_value,
        shortfall_wh=shortfall,
        shortfall_value=shortfall * cap,
        surplus_wh=surplus,
        surplus_value=surplus * floor,
        cost_value=cost,
        baseline_value=baseline,
        savings_value=baseline - cost,
        shared_in_wh=0,
        shared_in_value=0,
        shared_out_wh=0,
        shared_out_value=0,
    )


def reference(case: Case) -> list[list[dict[str, int]]]:
    """Settle ``case`` cell by cell in Python ints; pending cells are all zero."""
    m, t = case.imp.shape
    agg = {(i, j): [0, 0, 0, 0] for i in range(m) for j in range(t)}
    for iv, b, s, q, bp, sp in zip(*(c.tolist() for c in case.columns()), strict=True):
        agg[b, iv][0] += q
        agg[b, iv][1] += q * bp
        agg[s, iv][2] += q
        agg[s, iv][3] += q * sp
    return [
        [
            reference_cell(
                int(case.imp[i, j]),
                int(case.exp[i, j]),
                *agg[i, j],
                int(case.floor[j]),
                int(case.cap[j]),
                case.fee,
            )
            if case.metered[i, j]
            else line()
            for j in range(t)
        ]
        for i in range(m)
    ]


class Case:
    """A random period: meters, band, fee, mask and trades."""

    def __init__(self, imp, exp, floor, cap, fee, metered, rows) -> None:
        self.imp, self.exp, self.floor, self.cap = imp, exp, floor, cap
        self.fee, self.metered, self.rows = fee, metered, rows
        self.trades = trades_of(rows)

    def columns(self) -> list[np.ndarray]:
        return [
            self.trades.interval,
            self.trades.buyer,
            self.trades.seller,
            self.trades.quantity,
            self.trades.buyer_price,
            self.trades.seller_price,
        ]

    def settle(self, metered: np.ndarray | None = None) -> Settlement:
        mask = self.metered if metered is None else metered
        return settle(self.trades, self.imp, self.exp, self.floor, self.cap, self.fee, mask)


MAX_TRADES = 8
# Small values make ties and zero imbalances common; big ones reach the bounds (at most
# MAX_TRADES trades per cell, so W // MAX_TRADES keeps every cell within MAX_CELL_WH).
energy = st.one_of(st.integers(0, 3000), st.integers(W - 10, W))
price = st.one_of(st.integers(-100, 100_000), st.sampled_from([-P, -P + 1, P - 1, P]))


@st.composite
def cases(draw, all_metered: bool = False, same_prices: bool = False, trades: bool = True):
    m, t = draw(st.integers(1, 4)), draw(st.integers(1, 3))

    def matrix(elements):
        return np.array(draw(st.lists(elements, min_size=m * t, max_size=m * t))).reshape(m, t)

    imp, exp = matrix(energy).astype(np.int64), matrix(energy).astype(np.int64)
    metered = np.ones((m, t), bool) if all_metered else matrix(st.booleans()).astype(bool)
    floor = np.array(draw(st.lists(price, min_size=t, max_size=t)), np.int64)
    cap = np.array(draw(st.lists(price, min_size=t, max_size=t)), np.int64)
    fee = draw(st.sampled_from([0, 1, FEE, P]))
    rows = []
    for _ in range(draw(st.integers(0, MAX_TRADES if trades else 0))):
        bp = draw(price)
        rows.append(
            (
                draw(st.integers(0, t - 1)),
                draw(st.integers(0, m - 1)),
                draw(st.integers(0, m - 1)),
                draw(st.one_of(st.integers(1, 3000), st.just(W // MAX_TRADES))),
                bp,
                bp if same_prices else draw(price),
            )
        )
    return Case(imp, exp, floor, cap, fee, metered, rows)


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(cases())
def test_settle_equals_the_reference(case: Case) -> None:
    s = case.settle()
    expected = reference(case)
    m, t = case.imp.shape
    assert [[cell(s, i, j) for j in range(t)] for i in range(m)] == expected
    assert s.complete.tolist() == case.metered.all(axis=0).tolist()


@PROPS
@given(cases())
def test_metered_cells_do_not_depend_on_pending_ones(case: Case) -> None:
    full, partial = case.settle(np.ones_like(case.metered)), case.settle()
    for c in COLUMNS:
        expected = np.where(case.metered, getattr(full, c), 0)
        assert np.array_equal(getattr(partial, c), expected)


@PROPS
@given(cases(all_metered=True))
def test_bought_equals_sold_equals_traded_volume_per_interval(case: Case) -> None:
    s = case.settle()
    volume = [0] * case.imp.shape[1]
    for iv, q in zip(case.trades.interval.tolist(), case.trades.quantity.tolist(), strict=True):
        volume[iv] += q
    assert s.bought_wh.sum(axis=0).tolist() == s.sold_wh.sum(axis=0).tolist() == volume


@PROPS
@given(cases(all_metered=True))
def test_local_money_is_conserved_up_to_the_operator_surplus(case: Case) -> None:
    s = case.settle()
    spread = sum(
        q * (bp - sp)
        for q, bp, sp in zip(
            *(c.tolist() for c in case.columns()[3:]),
            strict=True,
        )
    )
    paid = sum(exact_column_sums(s.bought_value)) - sum(exact_column_sums(s.sold_value))
    assert paid == spread


@PROPS
@given(cases(all_metered=True, same_prices=True))
def test_local_money_nets_to_zero_at_one_price(case: Case) -> None:
    s = case.settle()
    assert exact_column_sums(s.bought_value) == exact_column_sums(s.sold_value)


@PROPS
@given(cases())
def test_savings_are_baseline_minus_cost(case: Case) -> None:
    s = case.settle()
    savings = [int(v) for v in s.savings_value.ravel()]
    baseline, cost = s.baseline_value.ravel().tolist(), s.cost_value.ravel().tolist()
    assert savings == [b - c for b, c in zip(baseline, cost, strict=True)]


@PROPS
@given(cases(trades=False))
def test_without_trades_cost_is_the_baseline(case: Case) -> None:
    s = case.settle()
    assert np.array_equal(s.cost_value, s.baseline_value)
    assert not s.savings_value.any()


@PROPS
@given(cases(), st.data())
def test_adjustment_plus_old_is_new(case: Case, data: st.DataObject) -> None:
    # The old settlement saw fewer readings, and some readings were later corrected.
    fewer = case.metered & np.array(
        data.draw(st.lists(st.booleans(), min_size=case.metered.size, max_size=case.metered.size))
    ).reshape(case.metered.shape)
    # Import and export swapped: every reading the old settlement saw was later corrected.
    old = settle(case.trades, case.exp, case.imp, case.floor, case.cap, case.fee, fewer)
    new = case.settle()
    adj = adjustment(old, new)
    for c in COLUMNS:
        rows = zip(getattr(adj, c).tolist(), getattr(old, c).tolist(), strict=True)
        total = [[a + o for a, o in zip(ra, ro, strict=True)] for ra, ro in rows]
        assert total == getattr(new, c).tolist()
    assert np.array_equal(adj.metered, new.metered)
