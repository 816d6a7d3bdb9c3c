"""The words of refusals: prices in PLN/MWh with the tick's decimals, exact; instants in RFC
3339 UTC, a gate's time short when it falls on its interval's day."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.model import wording
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S, Calendar
from matching.units import MAX_ABS_PRICE_TICKS

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
CALENDAR = Calendar(length_s=900, gate_closure_s=300, continuous_s=0, horizon=8)


@given(
    ticks=st.integers(-MAX_ABS_PRICE_TICKS, MAX_ABS_PRICE_TICKS),
    tick=st.sampled_from(["0.01", "0.1", "1", "0.001", "0.05"]),
)
def test_a_price_is_its_ticks_times_the_tick_exactly_with_the_ticks_decimals(
    ticks: int, tick: str
) -> None:
    text = wording.price(ticks, Decimal(tick))
    number, unit = text.split(" ")
    assert unit == "PLN/MWh"
    assert Decimal(number) == ticks * Decimal(tick)
    assert Decimal(number).as_tuple().exponent == Decimal(tick).as_tuple().exponent


def test_prices_and_bands_at_the_default_tick() -> None:
    tick = Decimal("0.01")
    assert wording.price(100_000, tick) == "1000.00 PLN/MWh"
    assert wording.band(25_000, 90_000, tick) == "250.00..900.00 PLN/MWh"
    assert wording.price_out_of_band(100_000, 25_000, 90_000, tick) == (
        "price 1000.00 PLN/MWh is outside the band 250.00..900.00 PLN/MWh"
    )


@given(st.integers(FIRST_INSTANT_S, END_INSTANT_S - 1))
def test_every_instant_of_the_range_is_rfc_3339_utc(t: int) -> None:
    text = wording.instant(t)
    assert len(text) == 20 and text.endswith("Z") and text[10] == "T"


def test_an_instant_outside_the_range_is_said_as_the_number_it_is() -> None:
    assert wording.instant(END_INSTANT_S) == f"{END_INSTANT_S} s since the epoch"


def test_a_gate_on_its_intervals_day_is_a_time_and_the_day_before_an_instant() -> None:
    start = T0 + 45 * 60  # 00:45
    assert wording.interval_not_open(start, CALENDAR, start) == (
        "interval 2026-01-01T00:45:00Z is not open (closed at 00:40:00Z)"
    )
    assert wording.interval_not_open(T0, CALENDAR, T0) == (
        "interval 2026-01-01T00:00:00Z is not open (closed at 2025-12-31T23:55:00Z)"
    )
    later = T0 + 3 * 3600  # opens 2 hours before
    assert wording.interval_not_open(later, CALENDAR, T0) == (
        "interval 2026-01-01T03:00:00Z is not open yet (opens at 01:00:00Z)"
    )


def test_a_time_that_is_not_a_start_names_the_start_of_its_interval() -> None:
    assert wording.not_an_interval_start(T0 + 1000, CALENDAR) == (
        "2026-01-01T00:16:40Z is not the start of a 15-minute interval "
        "(the interval it falls in starts at 00:15:00Z)"
    )
