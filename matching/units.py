"""Units of the market, in one place.

Energy is integer watt-hours [Wh], prices are integer ticks [tick] (1 tick = 0.01 PLN/MWh
unless a cluster says otherwise: ``tick`` below is a cluster's tick [PLN/MWh] as a
``Decimal``), money is integer grosz. The maxima below keep every product
``quantity * price`` and every per-side sum of such products inside int64, so no kernel can
overflow on a book that passed validation:

    MAX_SIDE_WH * MAX_ABS_PRICE_TICKS = 9e10 * 1e8 = 9e18 < 2**63 - 1 ~ 9.22e18

and ``MAX_SIDE_WH < 2**37``, which the exact multiply-divide of pro-rata rationing relies on.

Every conversion between these units and the ones people read (PLN/MWh, kWh, kW, PLN) is
here, and so is the one rounding rule: an exact value (a ``Fraction`` or ``Decimal``, never a
float) is rounded once, half to even, where it becomes a whole grosz, tick or printed decimal.
Power becomes energy floored (a limit is never rounded up). Floats come in only at the edges
(scenario files, device models) as ``round(x * 10**p)``, and go out only to reports and plots.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

#: Largest absolute limit price [tick]: 1,000,000.00 PLN/MWh at the default tick.
MAX_ABS_PRICE_TICKS = 10**8
#: Largest total quantity of one side of one book [Wh]: 90 GWh, far above any cluster's
#: 15-minute interval (a 100 MW cluster moves 25 MWh).
MAX_SIDE_WH = 9 * 10**10
#: The tick of a cluster that names none [PLN/MWh].
DEFAULT_TICK_PLN_MWH = Decimal("0.01")
#: Decimals of a price [PLN/MWh] at the default tick, and ticks per PLN/MWh there.
PLN_MWH_DECIMALS = 2
TICKS_PER_PLN_MWH = 10**PLN_MWH_DECIMALS
#: Decimals of an energy [kWh] in whole Wh, and Wh per kWh.
KWH_DECIMALS = 3
WH_PER_KWH = 10**KWH_DECIMALS
#: Wh per MWh: a price [PLN/MWh] times an energy [Wh] is money [PLN] times WH_PER_MWH.
WH_PER_MWH = 10**6
#: Decimals of money [PLN] in whole grosz, and grosz per PLN.
PLN_DECIMALS = 2
GROSZ_PER_PLN = 10**PLN_DECIMALS
#: Decimals of a power [kW] in whole W, and W per kW.
KW_DECIMALS = 3
W_PER_KW = 10**KW_DECIMALS
#: Seconds per hour: power [W] over a time [s] is energy [Wh] * 3600.
SECONDS_PER_HOUR = 3600
#: Decimals of a ratio [1] wherever one is written (the HTTP API, reports).
RATIO_DECIMALS = 6
#: Resolution of the uniform-price parameter k: k is used to 6 decimals.
K_SCALE = 1_000_000


def decimal_to_int(text: str, decimals: int, what: str) -> int:
    """Convert a decimal string with at most ``decimals`` decimals to an exact integer.

    ``decimal_to_int("12.5", 2, "price")`` is 1250. Raises ``ValueError`` naming ``what``
    for anything that is not a finite decimal with at most that many decimals.
    """
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{what} must be a decimal number, was {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, was {text!r}")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} must have at most {decimals} decimals, was {text!r}")
    return int(scaled)


def int_to_decimal_text(value: int, decimals: int) -> str:
    """Format an integer count of 10**-decimals units as a fixed-point decimal string."""
    return str(Decimal(value).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals)))


def ratio_to_decimal_text(numerator: int, denominator: int, decimals: int) -> str:
    """Format numerator / denominator, both integers, rounded half-to-even to ``decimals``."""
    value = Decimal(numerator) / Decimal(denominator)
    return str(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN))


def k_to_ppm(k: float) -> int:
    """Convert the uniform-price parameter k in [0, 1] to millionths, validating it."""
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise ValueError(f"k must be a number in [0, 1], was {k!r}")
    if not (0.0 <= float(k) <= 1.0):  # also rejects NaN
        raise ValueError(f"k must be in [0, 1], was {k!r}")
    return round(float(k) * K_SCALE)


# --- the rounding rule ---------------------------------------------------------------------


def round_half_even(value: Fraction | Decimal | int) -> int:
    """Round an exact value to an integer, half to even (``round_half_even(Fraction(5, 2))``
    is 2): the one rule by which klaster turns exact values into whole units."""
    if isinstance(value, float):  # a float has already been rounded somewhere else
        raise TypeError(f"round_half_even needs an exact value, was the float {value!r}")
    return round(Fraction(value))  # Fraction.__round__ rounds half to even


def round_decimal(value: Fraction | Decimal | int, decimals: int) -> Decimal:
    """Round an exact value to ``decimals`` decimals, half to even, by the same rule
    (``round_decimal(Fraction(2, 3), 6)`` is ``Decimal("0.666667")``): how a figure becomes
    the decimal a report writes."""
    if isinstance(value, float):  # a float has already been rounded somewhere else
        raise TypeError(f"round_decimal needs an exact value, was the float {value!r}")
    unit = Decimal(1).scaleb(-decimals)
    # Exact: an int scaled by a power of ten, quantized to its own exponent ("0.000", not
    # "0E-3"), in a context wide enough for any figure within the limits.
    scaled = round_half_even(Fraction(value) * 10**decimals)
    return _WIDE.quantize(Decimal(scaled).scaleb(-decimals), unit)


# --- prices ------------------------------------------------------------------------------

_WIDE = Context(prec=60, traps=[InvalidOperation])  # exact for any price within the limits


class OffTick(ValueError):
    """A price between two ticks."""


def ticks_to_pln_mwh(ticks: int, tick: Decimal) -> Decimal:
    """Convert ``ticks`` [tick] to an exact price [PLN/MWh] (``12345`` ticks of 0.01 is
    ``Decimal("123.45")``)."""
    return _WIDE.multiply(Decimal(int(ticks)), tick)


def pln_mwh_to_exact_ticks(price: Decimal | int, tick: Decimal) -> Fraction:
    """Convert a price [PLN/MWh] to ticks, exactly, whole or not (an average price)."""
    return Fraction(price) / Fraction(tick)


def pln_mwh_to_ticks(price: Decimal | int, tick: Decimal) -> int:
    """Convert a price [PLN/MWh] to whole ticks, exactly: :class:`OffTick` if it is between
    two ticks, ``ValueError`` if it has more digits than any price within the limits.

    A Decimal divmod in a 60-digit context (~0.2 us; Fractions cost ~4 us on the
    single-order path): exact, because both operands and the quotient fit in 60 digits."""
    try:
        ticks, rest = _WIDE.divmod(Decimal(price), tick)
    except InvalidOperation:
        raise ValueError(f"{price} has more digits than a price can have") from None
    if rest:
        raise OffTick(f"must be a whole number of ticks of {tick} PLN/MWh, was {price}")
    return int(ticks)


def average_price_decimals(tick: Decimal) -> int:
    """Decimals an average price [PLN/MWh] is written with: the tick's, plus 2 (``4`` for
    the default tick ``0.01``)."""
    return max(0, -(tick / 100).as_tuple().exponent)


def ticks_to_pln_mwh_float(ticks: Any, tick: Decimal) -> Any:
    """Convert ``ticks`` [tick] (a number, ``Fraction``, ``Decimal`` or a numpy array) to
    PLN/MWh as float(s), for reports and plots only: ``float(ticks) * float(tick)``."""
    scale = float(tick)
    return ticks * scale if hasattr(ticks, "shape") else float(ticks) * scale


# --- energy ------------------------------------------------------------------------------


def energy_wh(power_w: int, seconds: int) -> int:
    """Return the energy [Wh] of ``power_w`` [W] over ``seconds`` [s], floored: a limit
    never rounds up (1 W over 15 minutes is 0 Wh, 3700 W is 925 Wh)."""
    return power_w * seconds // SECONDS_PER_HOUR


def kwh_to_wh(kwh: float) -> int:
    """Convert an energy [kWh] read from a file or drawn by a model to whole Wh."""
    return round(kwh * WH_PER_KWH)


def kw_to_w(kw: float) -> int:
    """Convert a power [kW] read from a file or drawn by a model to whole W."""
    return round(kw * W_PER_KW)


def wh_to_kwh(wh: Any) -> Any:
    """Convert ``wh`` [Wh] (an int or a numpy array) to kWh as float(s), for reports only."""
    return wh / WH_PER_KWH


# --- money -------------------------------------------------------------------------------


def value_to_grosz(value: int, tick: Decimal) -> int:
    """Convert ``value`` [Wh*tick] to grosz, rounding half to even, exactly.

    1 Wh * 1 tick = tick PLN/MWh * 1 Wh = tick / WH_PER_MWH PLN = tick * 1e-4 grosz.
    """
    return round_half_even(value_to_exact_grosz(int(value), tick))


def value_to_exact_grosz(value: int | Fraction, tick: Decimal) -> Fraction:
    """Convert ``value`` [Wh*tick] (an int, or a Fraction such as a discounted value) to
    grosz exactly, not rounded: statements add exact amounts and round each line once."""
    return Fraction(value) * Fraction(tick) * GROSZ_PER_PLN / WH_PER_MWH


def grosz_to_pln(grosz: Any) -> Any:
    """Convert ``grosz`` (an int or a numpy array) to PLN as float(s), for reports only."""
    return grosz / GROSZ_PER_PLN
