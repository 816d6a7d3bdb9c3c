"""The single order as it usually arrives, decoded straight into the engine's command.

``POST /v1/orders`` with one order is the gateway's hot path. Its usual body has a price
as a decimal string or an int (``"512.30"``, ``512``) and the cluster's tick is a power of
ten (0.01 PLN/MWh by default): then the price is whole ticks by integer arithmetic on its
digits, with no ``Decimal`` and no decoder hook. :func:`decode` tries that and answers
None for anything else (a price with more decimals than the tick's, a JSON number with a
fraction, a price beyond the limit, any body that is not one such order): the handler then
decodes the body the full way (:mod:`engine.gateway.commands`), which accepts or refuses it
with the same words as before. Whatever this module accepts, the full way turns into the
same :class:`~engine.book.new_orders.NewOrder` (``tests/engine/gateway/test_single_order.py``
holds the two together).

The wire type is :class:`engine.api.NewOrder` field for field (made from its fields), but
for the price, which it keeps as sent.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine import api
from engine.book.new_orders import NewOrder
from engine.gateway.quantities import instant
from matching.units import MAX_ABS_PRICE_TICKS

MAX_PRICE_TEXT = 40  # characters, as PriceInput reads them

WireOrder = msgspec.defstruct(
    "WireOrder",
    [
        (f.name, str | int if f.name == "price" else f.type)
        if f.required
        else (f.name, f.type, f.default)
        for f in msgspec.structs.fields(api.NewOrder)
    ],
    frozen=True,
    forbid_unknown_fields=True,
)
_DECODERS = (msgspec.msgpack.Decoder(WireOrder), msgspec.json.Decoder(WireOrder))
_SIDES = {"buy": 0, "sell": 1}
_DECIMALS: dict[Decimal, int | None] = {}  # tick -> its decimals if a power of ten


def decode(
    raw: bytes, json_body: bool, point_codes: dict[str, int], tick: Decimal
) -> tuple[NewOrder, str] | None:
    """The order of ``raw`` and its connection point id as sent, or None: decode it the
    full way (see the module docstring). Raises the problem of a bad ``interval_start``
    (the full way raises the same, the rest of the body being fine)."""
    try:
        wire = _DECODERS[json_body].decode(raw)
    except msgspec.DecodeError:  # also a ValidationError
        return None
    price = wire.price
    decimals = _DECIMALS.get(tick, -1)
    if decimals == -1:
        decimals = _DECIMALS[tick] = _power_of_ten(tick)
    if decimals is None:
        return None
    if type(price) is int:
        ticks = price * 10**decimals
    else:
        ticks = _ticks(price, decimals)
        if ticks is None:
            return None
    if not -MAX_ABS_PRICE_TICKS <= ticks <= MAX_ABS_PRICE_TICKS:
        return None
    point = wire.connection_point
    order = NewOrder(
        instant(wire.interval_start, "interval_start"),
        point_codes.get(point, -1),
        _SIDES[wire.side],
        ticks,
        wire.quantity_wh,
        wire.client_order_id,
    )
    return order, point


def _ticks(text: str, decimals: int) -> int | None:
    """A plain decimal string ``-?[0-9]+(.[0-9]+)?`` (as PriceInput reads it) -> whole
    ticks of ``10**-decimals``; None for anything else, or a price between two ticks."""
    if len(text) > MAX_PRICE_TEXT:
        return None
    digits = text[1:] if text[:1] == "-" else text
    whole, dot, fraction = digits.partition(".")
    if not (whole.isascii() and whole.isdigit()):  # ASCII isdigit: 0-9 only
        return None
    if dot and not (fraction.isascii() and fraction.isdigit()):
        return None
    if len(fraction) > decimals:
        if fraction[decimals:].strip("0"):
            return None  # between two ticks
        fraction = fraction[:decimals]
    ticks = int(whole + fraction.ljust(decimals, "0"))
    return -ticks if digits is not text else ticks


def _power_of_ten(tick: Decimal) -> int | None:
    """``d`` if ``tick`` is ``10**-d`` for some ``d >= 0``, else None."""
    sign, digits, exponent = tick.normalize().as_tuple()
    if sign or digits != (1,) or not isinstance(exponent, int) or exponent > 0:
        return None
    return -exponent
