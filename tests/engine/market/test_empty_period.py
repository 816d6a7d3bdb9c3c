"""A period with no delivered interval has statements too: every point billed nothing (a
hostile-request test once found it answered 500)."""

from __future__ import annotations

from tests.engine.market.test_market import T0
from tests.engine.market.test_point_limits import make_market


def test_a_period_before_any_delivery_bills_every_point_nothing() -> None:
    market, _, _ = make_market()
    starts, points = market.point_statements(T0, T0 + 900)
    assert starts == []
    assert len(points) == len(market.cluster.points)
    assert all(p.bill.gross_grosz == 0 and p.saving_grosz == 0 for p in points)
