"""The market port hands the simulation what a call published for its traders to learn
from, in process and over HTTP alike: the best bid and ask left unfilled and, when nothing
traded, the indicative price [tick]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.sim.market_port import Cleared, HttpMarket, LocalMarket, MarketPort, read_tokens
from agents.sim.scenario import parse_scenario
from agents.sim.serving import LEAD_S, TOKENS_FILE
from engine import OrderBatch
from tests.agents.sim.test_scenario import SMALL
from tests.serving import start_server

SCENARIO = parse_scenario(SMALL, "small.toml")
CLUSTER = SCENARIO.cluster
FLOOR, CAP = 25_000, 90_000  # the scenario's band [tick of 0.01 PLN/MWh]


def first_start() -> int:
    import datetime as dt

    first = dt.datetime.combine(SCENARIO.start, dt.time(), CLUSTER.timezone)
    return int(first.timestamp())


def point(member: str) -> int:
    """The connection point code of ``member``'s first point."""
    ids = [p.id for p in CLUSTER.points]
    owner = next(m for m in CLUSTER.members if m.id == member)
    return ids.index(owner.connection_points[0].id)


def trade_and_miss(port: MarketPort, start: int) -> tuple[Cleared | None, Cleared | None]:
    """Interval ``start``: a 30,000 bid meets a 28,000 ask (1 of its 2 kWh filled);
    interval ``start + length``: a bid of 26,000 below an ask of 27,001, no trade."""
    length = CLUSTER.interval_seconds
    buyer, seller = point("dom-0001"), point("dom-0002")
    port.move_to(start - 86_400)  # both intervals open (the horizon is two days)
    for member, p, side, prices in (
        ("dom-0001", buyer, 0, (30_000, 26_000)),
        ("dom-0002", seller, 1, (28_000, 27_001)),
    ):
        starts = np.array([start, start + length], np.int64)
        quantity = np.array([1_000, 1_000] if side == 0 else [2_000, 1_000], np.int64)
        batch = OrderBatch(
            starts, np.full(2, p, np.int64), np.full(2, side, np.int64),
            np.array(prices, np.int64), quantity,
        )  # fmt: skip
        port.submit(member, batch)
    port.move_to(start + length + length)  # both gates have passed
    return port.outcome(start), port.outcome(start + length)


def check(traded: Cleared | None, missed: Cleared | None) -> None:
    assert traded is not None and missed is not None
    # the ask left partly unfilled sets the price: nothing above it would clear more
    assert (traded.volume, traded.price) == (1_000, 28_000)
    assert (traded.best_bid, traded.best_ask, traded.indicative) == (None, 28_000, None)
    assert (missed.volume, missed.price) == (0, -1)
    # k = 0.5: halfway between 26,000 and 27,001, rounded half up
    assert (missed.best_bid, missed.best_ask, missed.indicative) == (26_000, 27_001, 26_501)


def test_the_local_port_publishes_the_best_unfilled_quotes_and_the_indicative_price() -> None:
    start = first_start()
    port = LocalMarket(CLUSTER, start - LEAD_S)
    check(*trade_and_miss(port, start))


@pytest.mark.slow
def test_the_http_port_publishes_the_same(tmp_path: Path) -> None:
    scenario_file = tmp_path / "small.toml"
    scenario_file.write_text(SMALL)
    server = start_server(tmp_path / "data", "--scenario", str(scenario_file))
    try:
        port = HttpMarket(server.url, CLUSTER, read_tokens(tmp_path / "data" / TOKENS_FILE))
        try:
            check(*trade_and_miss(port, first_start()))
        finally:
            port.close()
    finally:
        assert server.stop() == 0
