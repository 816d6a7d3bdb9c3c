"""Units of the market, in one place.

Energy is integer watt-hours [Wh], prices are integer ticks [tick] (1 tick = 0.01 PLN/MWh
unless a cluster says otherwise), money is integer grosz. The maxima below keep every product
``quantity * price`` and every per-side sum of such products inside int64, so no kernel can
overflow on a book that passed validation:

    MAX_SIDE_WH * MAX_ABS_PRICE_TICKS = 9e10 * 1e8 = 9e18 < 2**63 - 1 ~ 9.22e18

and ``MAX_SIDE_WH < 2**37``, which the exact multiply-divide of pro-rata rationing relies on.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: Largest absolute limit price [tick]: 1,000,000.00 PLN/MWh at the default tick.
MAX_ABS_PRICE_TICKS = 10**8
#: Largest total quantity of one side of one book [Wh]: 90 GWh, far above any cluster's
#: 15-minute interval (a 100 MW cluster moves 25 MWh).
MAX_SIDE_WH = 9 * 10**10
#: Ticks per PLN/MWh at the default tick (0.01 PLN/MWh).
TICKS_PER_PLN_MWH = 100
#: Wh per kWh.
WH_PER_KWH = 1000
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
