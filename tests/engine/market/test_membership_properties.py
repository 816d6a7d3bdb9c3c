"""Property: whatever orders, gate closures, readings and configuration changes a market
sees, codes never change meaning, no book holds an active order its configuration does not
allow, and a replay of its journal rebuilds byte-identical clearings and statements."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.book.auction import ACTIVE
from engine.book.new_orders import NewOrder
from engine.market.commands import Changed
from engine.market.state import MarketState
from engine.settlement.metering import ReadingBatch
from tests.engine.market.test_membership import (
    CAP,
    FLOOR,
    L,
    cluster,
    document,
    joined,
    left,
    market_of,
)

BASE = document()
VARIANTS = [
    BASE,
    joined(BASE),
    left(joined(BASE), "dom-2"),
    left(BASE, "dom-1"),
    joined(left(BASE, "dom-2"), "dom-4", "P-4"),
]
CLUSTERS = [cluster(v) for v in VARIANTS]
TRADERS = ("oke", "dom-1", "dom-2", "dom-3", "dom-4")
POINTS = ("P-OKE", "P-1", "P-2", "P-3", "P-4")

ORDER = st.tuples(
    st.just("order"),
    st.integers(0, len(TRADERS) - 1),
    st.integers(0, 1),  # side
    st.integers(FLOOR, CAP),
    st.integers(1, 1500),
    st.integers(1, 6),  # intervals ahead
)
CHANGE = st.tuples(st.just("change"), st.integers(0, len(VARIANTS) - 1), st.integers(0, 4))
ADVANCE = st.tuples(st.just("advance"), st.integers(1, 3))
STEPS = st.lists(st.one_of(ORDER, ORDER, CHANGE, ADVANCE), max_size=30)


def run(steps: list[tuple]) -> tuple:
    m, clock, journal = market_of(BASE)
    seen_codes: dict[str, int] = dict(m.registry.member_code)
    for step in steps:
        now_s = clock.now_us() // 1_000_000
        first_open = m.calendar.start_of(now_s) + L
        match step:
            case ("order", who, side, price, quantity, ahead):
                member = TRADERS[who]
                point_id = POINTS[who]
                if member in m.registry.member_code and point_id in m.registry.point_code:
                    start = first_open + ahead * L
                    m.submit(
                        member,
                        NewOrder(start, m.registry.point_code[point_id], side, price, quantity),
                    )
            case ("change", variant, ahead):
                answer = m.change_cluster("oke", CLUSTERS[variant], first_open + ahead * L)
                if isinstance(answer, Changed):
                    assert all(m.registry.member_code[k] == v for k, v in seen_codes.items())
                    seen_codes = dict(m.registry.member_code)
            case ("advance", n):
                clock.advance_to((now_s + n * L) * 1_000_000)
                m.close_due_gates()
                delivered = [s for s in sorted(m._results) if s + L <= now_s + n * L]
                for start in delivered[-1:]:
                    registry = m.registry_at(start)
                    owned = np.flatnonzero(registry.owner >= 0)
                    batch = ReadingBatch(
                        np.full(owned.shape[0], start, np.int64),
                        owned.astype(np.int64),
                        np.full(owned.shape[0], 100, np.int64),
                        np.full(owned.shape[0], 50, np.int64),
                    )
                    m.record_readings("oke", batch)
        for start, book in m._books.items():  # no active order its configuration forbids
            if start in m._results:
                continue
            registry = m.registry_at(start)
            o = book.orders
            active = o["status"] == ACTIVE
            member, point = o["member"][active], o["point"][active]
            assert registry.active[member].all() and (registry.owner[point] == member).all()
    return m, journal


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_replays_with_membership_changes_give_the_same_clearings_and_statements(
    steps: list[tuple],
) -> None:
    m, journal = run(steps)
    replayed = MarketState(cluster(BASE))
    replayed.replay(journal.events)  # raises ReplayMismatch if a clearing differs
    assert replayed.registry.member_code == m.registry.member_code
    assert replayed.versions.starts == m.versions.starts
    assert {s: r.clearing.digest() for s, r in replayed._results.items()} == {
        s: r.clearing.digest() for s, r in m._results.items()
    }
    starts = sorted(m._results)
    live, again = m._settle(starts), replayed._settle(starts)
    for name in ("cost_value", "bought_wh", "sold_wh", "fee_value", "metered"):
        assert np.array_equal(getattr(live, name), getattr(again, name))
