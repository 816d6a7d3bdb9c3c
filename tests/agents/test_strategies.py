"""Bidding strategies: limits, bands, quantities and determinism for every strategy, then the
behaviour each one promises."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.strategies import (
    BUY,
    SELL,
    ZIP,
    BatteryArbitrage,
    Fill,
    LinearRamp,
    MarketView,
    Need,
    Outcome,
    Quote,
    Strategy,
    Truthful,
    ZeroIntelligenceConstrained,
)

FACTORIES: dict[str, Callable[[], Strategy]] = {
    "truthful": Truthful,
    "zi-c": ZeroIntelligenceConstrained,
    "zip": ZIP,
    "ramp": LinearRamp,
    "ramp-half": lambda: LinearRamp(start_margin=0.5),
}


@st.composite
def markets(draw: st.DrawFn) -> MarketView:
    floor = draw(st.integers(-1_000, 5_000))
    cap = draw(st.integers(floor, 20_000))
    price = st.none() | st.integers(floor, cap)
    return MarketView(
        floor, cap, draw(st.floats(0.0, 1.0)), last_price=draw(price), indicative=draw(price)
    )


needs = st.builds(
    Need, st.sampled_from([BUY, SELL]), st.integers(1, 10**7), st.integers(-2_000, 25_000)
)
prices = st.none() | st.integers(-1_000, 20_000)
outcomes = st.builds(Outcome, prices, st.integers(0, 10**6), prices, prices)


def assert_within_limit_and_band(quotes: list[Quote], need: Need, market: MarketView) -> None:
    for q in quotes:
        assert type(q.price) is int and type(q.quantity) is int
        assert market.floor <= q.price <= market.cap
        assert q.price <= need.limit if need.side == BUY else q.price >= need.limit
        assert q.side == need.side
        assert 0 < q.quantity <= need.energy_wh


@pytest.mark.parametrize("name", FACTORIES)
@given(
    rounds=st.lists(st.tuples(needs, markets(), outcomes), min_size=1, max_size=8),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=60, deadline=None)
def test_every_strategy_quotes_within_its_limit_and_the_band_and_never_more_than_it_needs(
    name: str, rounds: list[tuple[Need, MarketView, Outcome]], seed: int
) -> None:
    strategy, rng = FACTORIES[name](), np.random.default_rng(seed)
    for need, market, outcome in rounds:
        assert_within_limit_and_band(strategy.quote(need, market, rng), need, market)
        strategy.observe(outcome, rng)


@pytest.mark.parametrize("name", FACTORIES)
@given(
    rounds=st.lists(st.tuples(needs, markets(), outcomes), min_size=1, max_size=8),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=30, deadline=None)
def test_every_strategy_gives_the_same_quotes_for_the_same_seed(
    name: str, rounds: list[tuple[Need, MarketView, Outcome]], seed: int
) -> None:
    def run() -> list[list[Quote]]:
        strategy, rng = FACTORIES[name](), np.random.default_rng(seed)
        out = []
        for need, market, outcome in rounds:
            out.append(strategy.quote(need, market, rng))
            strategy.observe(outcome, rng)
        return out

    assert run() == run()


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize(
    "need",
    [Need(BUY, 100, 99), Need(SELL, 100, 501)],
    ids=["buyer-below-floor", "seller-above-cap"],
)
def test_a_need_that_cannot_trade_inside_the_band_gets_no_quote(name: str, need: Need) -> None:
    market = MarketView(100, 500)
    assert FACTORIES[name]().quote(need, market, np.random.default_rng(0)) == []


def test_truthful_quotes_the_limit_clipped_into_the_band() -> None:
    rng, market = np.random.default_rng(0), MarketView(100, 500)
    assert Truthful().quote(Need(BUY, 7, 300), market, rng) == [Quote(BUY, 300, 7)]
    assert Truthful().quote(Need(BUY, 7, 900), market, rng) == [Quote(BUY, 500, 7)]
    assert Truthful().quote(Need(SELL, 7, 0), market, rng) == [Quote(SELL, 100, 7)]


def test_zero_intelligence_prices_cover_the_range_between_band_edge_and_limit() -> None:
    rng, market = np.random.default_rng(1), MarketView(100, 500)
    zic = ZeroIntelligenceConstrained()
    bids = {zic.quote(Need(BUY, 1, 110), market, rng)[0].price for _ in range(500)}
    asks = {zic.quote(Need(SELL, 1, 490), market, rng)[0].price for _ in range(500)}
    assert bids == set(range(100, 111))
    assert asks == set(range(490, 501))


@pytest.mark.parametrize("side, limit", [(BUY, 400), (SELL, 200)])
def test_linear_ramp_starts_at_the_far_band_edge_and_reaches_the_limit_at_the_gate(
    side: int, limit: int
) -> None:
    rng, ramp, need = np.random.default_rng(0), LinearRamp(), Need(side, 10, limit)
    prices = [
        ramp.quote(need, MarketView(100, 500, t), rng)[0].price for t in (1.0, 0.75, 0.5, 0.0)
    ]
    edge = 100 if side == BUY else 500
    assert prices[0] == edge
    assert prices[-1] == limit
    assert prices == sorted(prices, reverse=side == SELL)  # monotone towards the limit


def test_zip_seller_that_does_not_fill_lowers_its_margin_towards_the_clearing_price() -> None:
    rng, zip_, market = np.random.default_rng(2), ZIP(margin=0.8), MarketView(0, 1_000)
    need = Need(SELL, 100, 200)  # asks 840 at first
    first = zip_.quote(need, market, rng)[0].price
    for _ in range(40):
        zip_.quote(need, market, rng)
        zip_.observe(Outcome(price=400, filled_wh=0), rng)
    last = zip_.quote(need, market, rng)[0].price
    assert zip_.margin < 0.8
    assert abs(last - 400) < abs(first - 400)
    assert 380 <= last <= 440  # near the target band R * q + A just under 400


def test_zip_buyer_that_fills_far_above_the_price_takes_margin_down_to_just_above_it() -> None:
    rng, zip_, market = np.random.default_rng(3), ZIP(margin=0.0), MarketView(0, 1_000)
    need = Need(BUY, 100, 900)  # bids its limit at first
    for _ in range(40):
        zip_.quote(need, market, rng)
        zip_.observe(Outcome(price=600, filled_wh=100), rng)
    assert zip_.margin > 0.0
    # under a uniform price it pays 600 anyway: it keeps a cushion above, not a bid below
    assert 600 <= zip_.quote(need, market, rng)[0].price <= 640


@given(
    side=st.sampled_from([BUY, SELL]),
    limit=st.integers(0, 1_000),
    margin=st.floats(0.0, 1.0),
    price=st.integers(0, 1_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_zip_learns_the_same_from_a_trade_whether_or_not_it_filled(
    side: int, limit: int, margin: float, price: int, seed: int
) -> None:
    need, market = Need(side, 100, limit), MarketView(0, 1_000)
    margins = []
    for filled in (0, 100):
        rng, zip_ = np.random.default_rng(seed), ZIP(margin=margin)
        zip_.quote(need, market, rng)
        zip_.observe(Outcome(price, filled), rng)
        margins.append(zip_.margin)
    assert margins[0] == margins[1]


@pytest.mark.parametrize("best_bid, best_ask", [(None, None), (300, None), (None, 700), (400, 600)])
def test_zip_learns_nothing_from_a_call_without_a_trade_or_an_indicative_price(
    best_bid: int | None, best_ask: int | None
) -> None:
    rng, zip_ = np.random.default_rng(4), ZIP(margin=0.3)
    zip_.quote(Need(SELL, 1, 100), MarketView(0, 1_000), rng)
    zip_.observe(Outcome(None, 0, best_bid, best_ask), rng)
    assert zip_.margin == 0.3


@pytest.mark.parametrize("side", [BUY, SELL], ids=["buyer", "seller"])
def test_zip_without_a_trade_concedes_to_just_past_the_indicative_price(side: int) -> None:
    rng, zip_, market = np.random.default_rng(5), ZIP(margin=0.8), MarketView(0, 1_000)
    need = Need(side, 100, 900 if side == BUY else 100)
    first = zip_.quote(need, market, rng)[0].price  # a buyer bids 180, a seller asks 820
    for _ in range(40):
        zip_.quote(need, market, rng)
        zip_.observe(Outcome(None, 0, best_bid=400, best_ask=600, indicative=500), rng)
    last = zip_.quote(need, market, rng)[0].price
    assert zip_.margin < 0.8
    assert abs(last - 500) < abs(first - 500) / 10
    # just past the indicative price towards the other side: a buyer above, a seller below
    assert 500 <= last <= 540 if side == BUY else 460 <= last <= 500


battery_params = st.fixed_dictionaries(
    {
        "capacity_wh": st.integers(1, 50_000),
        "power_w": st.integers(1, 20_000),
        "efficiency": st.floats(0.5, 1.0),
        "spread_permille": st.integers(0, 300),
    }
)


@given(
    params=battery_params,
    soc_fraction=st.floats(0.0, 1.0),
    rounds=st.lists(st.tuples(markets(), outcomes, st.floats(0.0, 1.0)), max_size=20),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=80, deadline=None)
def test_battery_quotes_stay_within_power_energy_and_band_and_its_charge_within_bounds(
    params: dict, soc_fraction: float, rounds: list, seed: int
) -> None:
    soc = int(params["capacity_wh"] * soc_fraction)
    battery, rng = BatteryArbitrage(soc_wh=soc, **params), np.random.default_rng(seed)
    ignored = Need(BUY, 1, 0)
    for market, outcome, fill_fraction in rounds:
        quotes = battery.quote(ignored, market, rng)
        assert len(quotes) <= 1
        for q in quotes:
            low, high = battery.thresholds(market)
            assert market.floor <= q.price <= market.cap
            assert q.price <= low if q.side == BUY else q.price >= high
            room = battery.charge_room_wh() if q.side == BUY else battery.discharge_room_wh()
            assert 0 < q.quantity <= min(room, battery.step_wh)
            filled = round(q.quantity * fill_fraction)
            if filled:
                battery.apply(Fill(q.side, filled))
        battery.observe(outcome, rng)
        assert battery.min_soc_wh <= battery.soc_wh <= battery.capacity_wh


def run_day(battery: BatteryArbitrage, prices: list[int]) -> list[int]:
    """Offer the battery each price as indicative, fill it fully, return its quote sides."""
    rng, sides = np.random.default_rng(0), []
    for price in prices:
        quotes = battery.quote(Need(BUY, 1, 0), MarketView(0, 1_000, indicative=price), rng)
        for q in quotes:
            battery.apply(Fill(q.side, q.quantity))
            sides.append(q.side)
        battery.observe(Outcome(price), rng)
    return sides


def test_battery_charges_when_cheap_and_discharges_when_dear() -> None:
    battery = BatteryArbitrage(capacity_wh=10_000, power_w=4_000, efficiency=0.9, soc_wh=0)
    # 4 kW for 15 minutes: 1,000 Wh per interval; 90 % efficient: 900 Wh stored each.
    sides = run_day(battery, [500] * 8 + [100] * 4 + [900] * 6)
    assert sides == [BUY] * 4 + [SELL] * 4  # 3,600 Wh leave in four intervals
    assert battery.soc_wh == 0


def test_battery_stops_charging_at_capacity_and_stops_selling_when_empty() -> None:
    battery = BatteryArbitrage(capacity_wh=2_500, power_w=4_000, efficiency=1.0)
    sides = run_day(battery, [500] * 4 + [100] * 10)
    assert sides == [BUY] * 3
    assert battery.soc_wh == 2_500
    assert (
        battery.quote(Need(BUY, 1, 0), MarketView(0, 1_000, indicative=0), np.random.default_rng(0))
        == []
    )
    sides = run_day(battery, [900] * 10)
    assert battery.soc_wh == 0
    assert sides == [SELL] * 3


def test_battery_refuses_a_fill_beyond_its_capacity() -> None:
    battery = BatteryArbitrage(capacity_wh=1_000, power_w=10_000, efficiency=1.0, soc_wh=900)
    with pytest.raises(ValueError, match="charge of 200 Wh is outside 1..100 Wh"):
        battery.apply(Fill(BUY, 200))
