"""The API's values: instants, prices, energies and money as they cross the wire.

Out (responses): instants are aware UTC ``datetime`` (ISO 8601 with ``Z``), prices exact
``Decimal`` [PLN/MWh] written as decimal strings with the tick's decimals (``"400.00"``),
energy int [Wh], money int [grosz], ratios ``Decimal`` with 6 decimals (strings on the
wire). In (requests): an instant is ISO 8601 with an offset or int seconds since the epoch,
from 2000-01-01T00:00:00Z (inclusive) to 2100-01-01T00:00:00Z (exclusive)
(:data:`engine.model.calendar.FIRST_INSTANT_S`; the gateway checks it and names the field);
a price a number or a plain decimal string (:class:`PriceInput`, exact); energy int [Wh].

Two custom types need hooks, passed to every encoder, decoder and schema generator of the
API (:mod:`engine.api.wire`): :class:`PriceInput` (decoded from the value as sent, so that
a JSON number stays exact and ``"1e3"`` stays refused) and :class:`Int64Column` (a msgpack
``bin`` of raw little-endian int64, or an array).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S, INSTANT_RANGE

INT64_MAX = 2**63 - 1
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # no exponent, no NaN: as in the TOML files
MAX_INSTANT_TEXT = 64  # characters: longer is no instant

Instant = Annotated[
    datetime, Meta(tz=True, description="ISO 8601 UTC", examples=["2026-01-01T01:00:00Z"])
]
# The range is documented here and checked by the gateway (engine.gateway.quantities), not
# by msgspec: its message would not say what an instant is, and a column names each bad row.
InstantIn = (
    Annotated[
        int,
        Meta(
            description=f"seconds since the Unix epoch [s], {INSTANT_RANGE}",
            extra_json_schema={"minimum": FIRST_INSTANT_S, "exclusiveMaximum": END_INSTANT_S},
        ),
    ]
    | Annotated[
        str,
        Meta(
            max_length=MAX_INSTANT_TEXT,
            description=f"ISO 8601 with an offset, whole seconds, {INSTANT_RANGE}",
            extra_json_schema={"format": "date-time", "examples": ["2026-01-01T01:00:00Z"]},
        ),
    ]
)
Price = Annotated[Decimal, Meta(description="[PLN/MWh], exact", examples=["400.00"])]
Wh = Annotated[int, Meta(ge=-INT64_MAX, le=INT64_MAX, description="[Wh]")]
Grosz = Annotated[int, Meta(description="[grosz]")]
Ratio = Annotated[Decimal, Meta(description="a ratio, 6 decimals", examples=["0.769231"])]
Count = Annotated[int, Meta(ge=0)]
OrderId = Annotated[int, Meta(ge=1)]
Side = Literal["buy", "sell"]
# In columns a side is any string: an unknown one is refused row by row by the engine.
SideCell = Annotated[str, Meta(extra_json_schema={"enum": ["buy", "sell"]})]


class PriceInput(Decimal):
    """A price as a client sends it [PLN/MWh]: an int, a number (exact: JSON numbers are
    read as decimals, msgpack floats as their shortest repr) or a plain decimal string
    (``"512.30"``; no exponent, no ``NaN``). Whole ticks and the band are checked later."""

    __slots__ = ()

    SCHEMA: ClassVar[dict[str, Any]] = {
        "description": "[PLN/MWh], a whole number of the cluster's ticks (default 0.01)",
        "oneOf": [
            {"type": "number"},
            {"type": "string", "pattern": f"^{PLAIN_DECIMAL.pattern}$", "maxLength": 40},
        ],
    }

    @classmethod
    def read(cls, value: Any) -> PriceInput:
        """The decoder's hook: ``value`` as decoded without a type -> a price, or ValueError."""
        kind = type(value)
        if kind is int or kind is Decimal:
            number = cls(value)
            if number.is_finite():
                return number
        elif kind is float:
            if math.isfinite(value):
                return cls(repr(value))  # the shortest decimal that reads back as this float
        elif kind is str and len(value) <= 40 and PLAIN_DECIMAL.fullmatch(value):
            return cls(value)
        text = repr(value)
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"must be a number or decimal string in PLN/MWh, was {shown}")


class Int64Column:
    """A column of int64 values: an array, or in msgpack a ``bin`` of raw little-endian
    int64 (8 bytes a row, read without decoding each value). The values are checked by the
    gateway's column converters, which name every bad row."""

    __slots__ = ("values",)

    ITEMS: ClassVar[dict[str, Any]] = {"type": "integer"}

    def __init__(self, values: list[Any] | bytes) -> None:
        self.values = values

    @classmethod
    def schema(cls) -> dict[str, Any]:
        raw = {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": "msgpack bin: raw little-endian int64 values, 8 bytes a row",
        }
        return {"oneOf": [{"type": "array", "items": cls.ITEMS}, raw]}

    @classmethod
    def read(cls, value: Any) -> Int64Column:
        """The decoder's hook: an array (of anything: checked later) or bytes."""
        if type(value) is bytes or type(value) is list:
            return cls(value)
        raise ValueError(f"must be an array or a msgpack bin, was {type(value).__name__}")


class InstantColumn(Int64Column):
    """Interval starts: int seconds [s] or ISO 8601 strings in an array, or int64 bin [s]."""

    __slots__ = ()
    ITEMS: ClassVar[dict[str, Any]] = {"type": ["integer", "string"]}


class WhColumn(Int64Column):
    """Energies: ints in an array, or int64 bin [Wh]."""

    __slots__ = ()
