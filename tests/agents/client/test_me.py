"""``client.me()`` against the real gateway on loopback: the member, its connection points
(the ones its orders may name) with their limits, the band now and the market's rules, as
the API's types, in msgpack and JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agents.client.sdk import KlasterClient
from engine import api
from tests.gateway_support import START, run, serve

T0_DT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("codec", ["msgpack", "json"])
@run
async def test_me_tells_a_bot_its_connection_points_band_and_rules(
    tmp_path: Path, codec: str
) -> None:
    async with serve(tmp_path) as g, KlasterClient(g.url, "t-dom-1", codec=codec) as client:
        me = await client.me()
        assert isinstance(me, api.Me)
        assert (me.member_id, me.name, me.role) == ("dom-1", "Household 1", "member")
        assert me.cluster == api.ClusterRef("test", "Test cluster")
        assert me.connection_points == [
            api.OwnConnectionPoint("P-1", 3000, 2000, Decimal("12"), Decimal("8"))
        ]
        assert me.band == api.BandNow(T0_DT, Decimal("250.00"), Decimal("900.00"))
        assert (me.rules.interval_minutes, me.rules.gate_closure_minutes) == (15, 5)
        assert (me.rules.horizon_intervals, me.rules.continuous_minutes) == (8, 0)
        assert (me.rules.timezone, me.rules.mechanism) == ("Europe/Warsaw", "uniform")
        assert me.rules.tick_pln_mwh == Decimal("0.01")
        # what it lists is what an order may name, up to the limit
        point = me.connection_points[0]
        ack = await client.submit_order(START, point.id, "sell", me.band.cap, point.max_export_wh)
        assert ack.order_id == 1
