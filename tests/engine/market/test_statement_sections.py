"""A statement across a change of tariffs (issue 11): each part of the period is billed on the
configuration in force for it, as its own section.

What rounds where: each section's lines are rounded once (half to even), then its net, its
VAT (at its own VAT rate) and its gross; the period's lines, net, VAT and gross are the sums of
its sections'. So a period cut at a change bills exactly as its two parts billed one after the
other (the second opening with the credits the first left), and money conserves per section.
"""

from __future__ import annotations

import copy
import tomllib
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder
from engine.config.cluster import cluster_from_document
from engine.market.commands import Changed
from engine.market.market import Market
from engine.market.state import MarketState
from engine.model.clock import SimulatedClock
from engine.settlement.bills import LINES, member_statement, operator_value
from engine.settlement.metering import ReadingBatch
from matching.units import round_half_even, value_to_exact_grosz
from tests.clusters import small_cluster_toml
from tests.engine.market.recording import RecordingJournal

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
L = 900
N = 8  # intervals of the period
POINTS = ("P-OKE", "P-1", "P-2")


def before() -> dict:
    doc = tomllib.loads(small_cluster_toml())
    doc["settlement"] = {"vat_rate": "0.23", "discount_share": "0.25"}
    p1 = doc["members"][1]["connection_points"][0]
    p1 |= {"supplier_pln_mwh": "500.00", "regime": "net-billing", "net_billing_price": "rce"}
    p2 = doc["members"][2]["connection_points"][0]
    p2 |= {"supplier_pln_mwh": "600.00", "regime": "net-metering", "installed_kw": "6"}
    return doc


def after() -> dict:
    """New tariffs: another supplier price and group, another VAT rate and discount."""
    doc = copy.deepcopy(before())
    doc["settlement"] = {"vat_rate": "0.05", "discount_share": "0.5"}
    doc["members"][1]["connection_points"][0]["supplier_pln_mwh"] = "700.00"
    doc["members"][2]["connection_points"][0]["tariff"] = "G12"
    return doc


def traded_market(change_at: int, orders, readings) -> tuple[Market, RecordingJournal]:
    """A market whose tariffs change at interval ``change_at``, with the orders and
    readings drawn, every interval delivered."""
    clock, journal = SimulatedClock(T0 * 1_000_000), RecordingJournal()
    market = Market(cluster_from_document(before(), "t.toml"), clock, journal)
    changed = market.change_cluster(
        "oke", cluster_from_document(after(), "t.toml"), T0 + change_at * L
    )
    assert isinstance(changed, Changed)
    code = market.registry.point_code
    for t, bid, ask, price in orders:
        market.submit("dom-2", NewOrder(T0 + t * L, code["P-2"], BUY, 90_000, bid))
        market.submit("dom-1", NewOrder(T0 + t * L, code["P-1"], SELL, price, ask))
    clock.advance_to((T0 + (N + 1) * L) * 1_000_000)
    market.close_due_gates()
    rows = [(t, p, imp, exp) for t, row in enumerate(readings) for p, (imp, exp) in enumerate(row)]
    batch = ReadingBatch(
        np.array([T0 + t * L for t, *_ in rows], np.int64),
        np.array([code[POINTS[p]] for _, p, *_ in rows], np.int64),
        np.array([imp for *_, imp, _ in rows], np.int64),
        np.array([exp for *_, exp in rows], np.int64),
    )
    market.record_readings("oke", batch)
    return market, journal


cells = st.tuples(st.integers(0, 3_000), st.integers(0, 3_000))
periods = st.tuples(
    st.integers(1, N - 1),
    st.lists(
        st.tuples(
            st.integers(1, N - 1), st.integers(1, 2_000), st.integers(1, 2_000),
            st.integers(25_000, 90_000),
        ),
        max_size=6,
        unique_by=lambda o: o[0],
    ),
    st.lists(st.tuples(cells, cells, cells), min_size=N, max_size=N),
)  # fmt: skip


def statements(state, first: int, last: int):
    starts = [T0 + t * L for t in range(first, last)]
    return state.cluster_at(starts[0]), state.bill_points(starts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periods)
def test_a_period_across_a_change_bills_as_its_two_parts_billed_one_after_the_other(period):
    change_at, orders, readings = period
    market, _ = traded_market(change_at, orders, readings)
    cluster, whole = statements(market, 0, N)
    _, first = statements(market, 0, change_at)
    _, second = statements(market, change_at, N)
    for p, (w, a, b) in enumerate(zip(whole, first, second, strict=True)):
        assert [s.count for s in w.sections] == [change_at, N - change_at]
        for kind in LINES:
            assert w.bill.line(kind).grosz == a.bill.line(kind).grosz + b.bill.line(kind).grosz
        assert w.bill.vat_grosz == a.bill.vat_grosz + b.bill.vat_grosz
        assert w.bill.gross_grosz == a.bill.gross_grosz + b.bill.gross_grosz
        assert w.baseline.gross_grosz == a.baseline.gross_grosz + b.baseline.gross_grosz
        assert w.saving_grosz == a.saving_grosz + b.saving_grosz
        assert (b.opening, w.closing) == (a.closing, b.closing)  # the credits run on
        # each section: its lines rounded once, its VAT at its own rate
        for section, vat in zip(w.sections, ("0.23", "0.05"), strict=True):
            bill = section.statement.bill
            assert all(line.grosz == round_half_even(line.exact) for line in bill.lines)
            assert bill.net_grosz == sum(line.grosz for line in bill.lines)
            assert bill.vat_grosz == round_half_even(bill.net_grosz * Fraction(vat))
        assert w.sections[0].statement.bill == a.bill and w.sections[1].statement.bill == b.bill
        assert cluster.points[p].id == POINTS[p]
    # The second part is billed on the new supplier price (700.00 PLN/MWh for P-1).
    p1 = second[1].bill.line("supplier_energy")
    assert p1.exact == value_to_exact_grosz(p1.wh * 70_000, cluster.tick_pln_mwh)
    # Money conserves per section: buyers pay sellers plus the operator's share.
    trades = market.period_trades([T0 + t * L for t in range(N)], by_point=True)
    spread = value_to_exact_grosz(sum(operator_value(trades, N)), cluster.tick_pln_mwh)
    bought = sum((s.bill.line("local_bought").exact for s in whole), Fraction(0))
    sold = -sum((s.bill.line("local_sold").exact for s in whole), Fraction(0))
    assert bought - sold == spread
    # A member's statement is still the sum of its points'.
    m = member_statement(whole, "dom-1")
    assert m.bill.gross_grosz == whole[1].bill.gross_grosz


def test_a_change_of_tariffs_inside_a_period_replays_to_the_same_statements() -> None:
    readings = [((0, 0), (100 * t, 2_000), (1_500, 0)) for t in range(N)]
    market, journal = traded_market(3, [(4, 1_000, 1_200, 30_000)], readings)
    state = MarketState(cluster_from_document(before(), "t.toml"))
    state.replay(journal.events)
    assert statements(state, 0, N) == statements(market, 0, N)
    _, whole = statements(market, 0, N)
    sections = [(s.first, s.count, s.tariff) for s in whole[2].sections]
    assert sections == [(0, 3, "G11"), (3, 5, "G12")]
