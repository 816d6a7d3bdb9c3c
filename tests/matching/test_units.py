"""The conversions between the market's units and the ones people read, and the one
rounding rule (``matching/units.py``)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.units import (
    MAX_ABS_PRICE_TICKS,
    OffTick,
    average_price_decimals,
    energy_wh,
    grosz_to_pln,
    kw_to_w,
    kwh_to_wh,
    pln_mwh_to_exact_ticks,
    pln_mwh_to_ticks,
    round_decimal,
    round_half_even,
    ticks_to_pln_mwh,
    ticks_to_pln_mwh_float,
    value_to_grosz,
    wh_to_kwh,
)

TICKS = st.integers(-MAX_ABS_PRICE_TICKS, MAX_ABS_PRICE_TICKS)
TICK_SIZES = st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal("1"), Decimal("0.005")])


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Fraction(5, 2), 2), (Fraction(7, 2), 4), (Fraction(-5, 2), -2), (Decimal("0.5"), 0),
     (Fraction(2501, 1000), 3), (7, 7)],
)  # fmt: skip
def test_round_half_even_rounds_halves_to_the_even_neighbour(value, rounded: int) -> None:
    assert round_half_even(value) == rounded


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**15), 10**15), st.integers(1, 10**9), st.integers(0, 8))
def test_round_decimal_rounds_the_exact_value_once_half_to_even(
    numerator: int, denominator: int, decimals: int
) -> None:
    exact = Fraction(numerator, denominator)
    rounded = round_decimal(exact, decimals)
    assert rounded.as_tuple().exponent == -decimals  # "0.000", never "0E-3"
    assert abs(Fraction(rounded) - exact) <= Fraction(1, 2 * 10**decimals)
    assert rounded == round_decimal(rounded, decimals)  # a second rounding changes nothing
    assert rounded == Decimal(round_half_even(exact * 10**decimals)).scaleb(-decimals)


def test_round_decimal_halves_and_the_decimals_of_an_average_price() -> None:
    assert str(round_decimal(Fraction(1, 2_000_000), 6)) == "0.000000"  # half: to even
    assert str(round_decimal(Fraction(3, 2_000_000), 6)) == "0.000002"
    assert str(round_decimal(0, 3)) == "0.000"
    assert str(round_decimal(Decimal("13692.4510000000001"), 3)) == "13692.451"
    with pytest.raises(TypeError, match="exact value"):
        round_decimal(0.975591056843101, 6)  # type: ignore[arg-type]
    decimals = [average_price_decimals(Decimal(t)) for t in ("0.01", "1", "0.05", "100")]
    assert decimals == [4, 2, 4, 0]


def test_round_half_even_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="exact value"):
        round_half_even(2.5)


@given(TICKS, TICK_SIZES)
def test_a_price_goes_to_pln_mwh_and_back_exactly(ticks: int, tick: Decimal) -> None:
    assert pln_mwh_to_ticks(ticks_to_pln_mwh(ticks, tick), tick) == ticks


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-1_000_000, max_value=1_000_000, allow_nan=False, places=4),
    st.sampled_from(["0.01", "0.05", "0.1", "1", "0.0025"]),
)
def test_whole_ticks_by_decimal_divmod_agree_with_exact_fractions(
    price: Decimal, tick: str
) -> None:
    """The fast path (a wide Decimal divmod) gives the ticks exact arithmetic gives, and
    refuses exactly the prices between two ticks."""
    exact = pln_mwh_to_exact_ticks(price, Decimal(tick))
    try:
        ticks: int | None = pln_mwh_to_ticks(price, Decimal(tick))
    except OffTick:
        ticks = None
    assert ticks == (exact.numerator if exact.denominator == 1 else None)


def test_a_price_with_more_digits_than_any_price_is_refused() -> None:
    with pytest.raises(ValueError, match="more digits than a price can have"):
        pln_mwh_to_ticks(Decimal("1E+70"), Decimal("0.01"))
    with pytest.raises(OffTick):  # 80 decimals: between two ticks, however close
        pln_mwh_to_ticks(Decimal("1." + "1" * 80), Decimal("0.01"))


def test_ticks_to_pln_mwh_keeps_the_ticks_decimals() -> None:
    assert str(ticks_to_pln_mwh(12345, Decimal("0.01"))) == "123.45"
    assert str(ticks_to_pln_mwh(-100, Decimal("0.01"))) == "-1.00"


def test_a_price_between_two_ticks_is_refused_but_can_be_read_exactly() -> None:
    with pytest.raises(ValueError, match="whole number of ticks of 0.01 PLN/MWh, was 1.005"):
        pln_mwh_to_ticks(Decimal("1.005"), Decimal("0.01"))
    assert pln_mwh_to_exact_ticks(Decimal("1.005"), Decimal("0.01")) == Fraction(201, 2)


def test_floats_for_reports_scale_numbers_and_arrays_alike() -> None:
    tick = Decimal("0.01")
    assert ticks_to_pln_mwh_float(Fraction(12345, 2), tick) == 12345 / 2 * 0.01
    assert ticks_to_pln_mwh_float(np.array([100, -1]), tick).tolist() == [1.0, -0.01]
    assert wh_to_kwh(1500) == 1.5 and wh_to_kwh(np.array([1, 1000])).tolist() == [0.001, 1.0]
    assert grosz_to_pln(-250) == -2.5


@pytest.mark.parametrize(
    ("power_w", "seconds", "wh"),
    [(1, 900, 0), (3700, 900, 925), (5_000_000, 900, 1_250_000), (1001, 3600, 1001)],
)
def test_energy_of_a_power_over_a_time_is_floored(power_w: int, seconds: int, wh: int) -> None:
    assert energy_wh(power_w, seconds) == wh


def test_kilo_units_from_files_round_to_whole_units() -> None:
    assert kwh_to_wh(12.3456) == 12346 and kw_to_w(3.7) == 3700 and kw_to_w(0.0005) == 0


@pytest.mark.parametrize(
    ("value", "tick", "grosz"),
    [(1_000_000, "0.01", 1), (500_000, "0.01", 0), (1_500_000, "0.01", 2),
     (-1_500_000, "0.01", -2), (100_000, "0.1", 1), (123_456_789, "0.01", 123)],
)  # fmt: skip
def test_value_to_grosz_rounds_once_half_to_even(value: int, tick: str, grosz: int) -> None:
    assert value_to_grosz(value, Decimal(tick)) == grosz
