"""Statements of a period inside which members join and leave and points move (issue 11):
each section bills the points of its own configuration, each for the member that held it
then. A member's statement is the sum over the sections of the points it held; one who
joined inside the period gets a statement for the part it was in, one who left for the part
before. Property: over random histories, every point in force in an interval is billed in it
for its owner there, and nothing else is; energy and money conserve (the sum over members =
the sum over points = the sum over sections); a replay gives the same statements."""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.book.auction import BUY, SELL
from engine.book.new_orders import NewOrder
from engine.market.state import MarketState
from engine.settlement.bills import LINES, member_statement, operator_value
from engine.settlement.metering import ReadingBatch
from matching.units import value_to_exact_grosz
from tests.engine.market.test_membership import (
    CAP,
    FLOOR,
    T0,
    L,
    cluster,
    document,
    joined,
    left,
    market_of,
)

N = 8  # intervals of the period, from T0 + L (T0's gate is closed at the start)
FIRST = T0 + L


def moved(doc: dict, point_id: str, to: str) -> dict:
    """``point_id`` moved to member ``to`` (a member left without points must then leave)."""
    doc = copy.deepcopy(doc)
    point = None
    for member in doc["members"]:
        for p in member.get("connection_points", []):
            if p["id"] == point_id:
                point = p
        member["connection_points"] = [
            p for p in member.get("connection_points", []) if p["id"] != point_id
        ]
    target = next(m for m in doc["members"] if m["id"] == to)
    target["connection_points"].append(point)
    return doc


BASE = document()
VARIANTS = [
    BASE,
    joined(BASE),  # dom-3 joins with P-3
    left(BASE, "dom-2"),  # dom-2 leaves with P-2
    left(moved(BASE, "P-2", "dom-1"), "dom-2"),  # P-2 moves to dom-1, dom-2 leaves
    left(moved(joined(BASE), "P-1", "dom-3"), "dom-1"),  # dom-3 joins, P-1 moves to it
    left(joined(BASE), "dom-1"),
]
CLUSTERS = [cluster(v) for v in VARIANTS]

histories = st.tuples(
    # (effective interval of the period, variant), at most one change per interval
    st.lists(
        st.tuples(st.integers(1, N - 1), st.integers(0, len(VARIANTS) - 1)),
        max_size=4,
        unique_by=lambda c: c[0],
    ),
    # orders: (interval, buyer's and seller's point index among the interval's, Wh, price)
    st.lists(
        st.tuples(
            st.integers(0, N - 1), st.integers(0, 9), st.integers(0, 9),
            st.integers(1, 1_500), st.integers(FLOOR, CAP),
        ),
        max_size=10,
    ),
    st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 2_000)), min_size=5 * N,
             max_size=5 * N),
    st.integers(0, N - 1),  # where the period of the statement starts
)  # fmt: skip


def history(changes, orders, readings):
    """A market with the changes, orders and readings drawn, every interval delivered."""
    m, clock, journal = market_of(BASE)
    for at, variant in sorted(changes):  # (a change to the configuration in force: refused)
        m.change_cluster("oke", CLUSTERS[variant], FIRST + at * L)
    for t, b, s, quantity, price in orders:
        registry, start = m.registry_at(FIRST + t * L), FIRST + t * L
        owned = np.flatnonzero(registry.owner >= 0).tolist()
        buyer, seller = owned[b % len(owned)], owned[s % len(owned)]
        member = m.registry.member_ids
        m.submit(member[registry.owner[buyer]], NewOrder(start, buyer, BUY, price, quantity))
        m.submit(member[registry.owner[seller]], NewOrder(start, seller, SELL, price, quantity))
    clock.advance_to((FIRST + (N + 1) * L) * 1_000_000)
    m.close_due_gates()
    cells = iter(readings)
    for t in range(N):
        start = FIRST + t * L
        owned = np.flatnonzero(m.registry_at(start).owner >= 0)
        drawn = [next(cells) for _ in owned]
        batch = ReadingBatch(
            np.full(owned.shape[0], start, np.int64),
            owned.astype(np.int64),
            np.array([i for i, _ in drawn], np.int64),
            np.array([e for _, e in drawn], np.int64),
        )
        m.record_readings("oke", batch)
    return m, journal


def covers(s, t: int) -> bool:
    """True if statement ``s`` bills the period's interval ``t``."""
    if not s.sections:
        return True
    return any(x.first <= t < x.first + x.count for x in s.sections)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_each_section_bills_its_own_configuration_s_points_for_their_members_then(drawn):
    changes, orders, readings, begin = drawn
    m, journal = history(changes, orders, readings)
    starts = [FIRST + t * L for t in range(begin, N)]
    points = m.bill_points(starts)
    # Each interval: exactly the points in force then, each for its owner then.
    for t, start in enumerate(starts):
        c = m.cluster_at(start)
        expected = sorted((p.id, c.members[p.member_code].id) for p in c.points)
        billed = sorted((s.point_id, s.member_id) for s in points if covers(s, t))
        assert billed == expected
    # Energy conserves: every Wh metered in the period is on exactly one statement.
    imports, _, metered = m.readings.points(starts)
    taken = int(np.where(metered, imports, 0).sum())
    assert sum(s.bill.line("distribution_variable").wh for s in points) == taken
    # Money: the sum over members = the sum over points = the sum over sections.
    members = [member_statement(points, member) for member in m.registry.member_ids]
    by_points = sum(s.bill.gross_grosz for s in points)
    by_sections = sum(
        sum(x.statement.bill.gross_grosz for x in s.sections) if s.sections else s.bill.gross_grosz
        for s in points
    )
    assert sum(ms.bill.gross_grosz for ms in members) == by_points == by_sections
    assert sum(ms.saving_grosz for ms in members) == sum(s.saving_grosz for s in points)
    for kind in LINES:
        assert sum(ms.bill.line(kind).grosz for ms in members) == sum(
            s.bill.line(kind).grosz for s in points
        )
    # What buyers pay locally = what sellers receive + the operator's share.
    trades = m.period_trades(starts, by_point=True)
    tick = m.cluster.tick_pln_mwh
    spread = value_to_exact_grosz(sum(operator_value(trades, len(starts))), tick)
    bought = sum((s.bill.line("local_bought").exact for s in points), Fraction(0))
    sold = -sum((s.bill.line("local_sold").exact for s in points), Fraction(0))
    assert bought - sold == spread
    # A replay gives the same statements.
    again = MarketState(cluster(BASE))
    again.replay(journal.events)
    assert again.bill_points(starts) == points


def test_a_joining_member_a_leaving_one_and_a_moved_point_each_get_their_part() -> None:
    m, _ = history(
        [(3, 4), (6, 2)],  # at 3 dom-3 joins taking P-1 from dom-1, who leaves;
        # at 6 dom-3 and dom-2 leave, dom-1 comes back with P-1
        [],
        [(100, 0)] * (5 * N),
    )
    points = m.bill_points([FIRST + t * L for t in range(N)])
    held = {(s.member_id, s.point_id): [(x.first, x.count) for x in s.sections] for s in points}
    assert held == {
        ("oke", "P-OKE"): [(0, 3), (3, 3), (6, 2)],
        ("dom-1", "P-1"): [(0, 3), (6, 2)],  # P-1 comes back with the base configuration
        ("dom-3", "P-1"): [(3, 3)],
        ("dom-3", "P-3"): [(3, 3)],
        ("dom-2", "P-2"): [(0, 3), (3, 3)],
    }
    dom3 = member_statement(points, "dom-3")
    assert [p.point_id for p in dom3.points] == ["P-1", "P-3"]
    assert dom3.bill.line("distribution_variable").wh == 2 * 3 * 100
    # The credits stay with the point: P-1 opens under dom-3 with what it closed under dom-1.
    p1 = {s.member_id: s for s in points if s.point_id == "P-1"}
    assert p1["dom-3"].sections[0].statement.opening == p1["dom-1"].sections[0].statement.closing
