"""Encoding and decoding the API's types, JSON and msgpack, with the hooks they need.

- Responses: :func:`to_json` writes a type (or plain builtins) as JSON;
  :func:`to_msgpack` as msgpack, through builtins so that instants and decimals are
  strings exactly as in JSON (msgpack's own timestamp type is not used).
- Requests: :class:`Decoders` holds a JSON and a msgpack decoder of one type. JSON numbers
  read as exact decimals where a :class:`~engine.api.values.PriceInput` expects them
  (``exact_numbers``), or as floats (columns: converted by numpy with an exactness check).
- :func:`schema_hook` gives the JSON Schema of the custom types.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec

from engine.api.values import Int64Column, PriceInput

T = TypeVar("T")


def dec_hook(kind: type, value: Any) -> Any:
    """Build a custom type from the value as decoded without a type."""
    if kind is PriceInput:
        return PriceInput.read(value)
    if isinstance(kind, type) and issubclass(kind, Int64Column):
        return kind.read(value)
    raise NotImplementedError(f"no decoder for {kind!r}")


def enc_hook(value: Any) -> Any:
    """Write a custom type as builtins (the client encodes requests with it)."""
    if isinstance(value, PriceInput):
        return format(value, "f")  # a plain decimal: never exponent notation
    if isinstance(value, Int64Column):
        return value.values
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def schema_hook(kind: type) -> dict[str, Any]:
    if kind is PriceInput:
        return dict(PriceInput.SCHEMA)
    if isinstance(kind, type) and issubclass(kind, Int64Column):
        return kind.schema()
    raise NotImplementedError(f"no schema for {kind!r}")


_json = msgspec.json.Encoder(enc_hook=enc_hook)
_msgpack = msgspec.msgpack.Encoder(enc_hook=enc_hook)
_to_builtins = msgspec.to_builtins


def to_json(value: Any) -> bytes:
    """``value`` (API types, builtins) as compact UTF-8 JSON."""
    return _json.encode(value)


def to_msgpack(value: Any) -> bytes:
    """``value`` as msgpack, instants and decimals as strings (as in JSON), bytes as bin."""
    return _msgpack.encode(_to_builtins(value, builtin_types=(bytes,), enc_hook=enc_hook))


def to_builtins(value: Any) -> Any:
    """``value`` as dicts, lists, strs and ints: what either codec writes."""
    return _to_builtins(value, builtin_types=(bytes,), enc_hook=enc_hook)


def convert(value: Any, kind: type[T]) -> T:
    """Builtins (decoded without a type) -> ``kind``, or :class:`msgspec.ValidationError`."""
    return msgspec.convert(value, kind, dec_hook=dec_hook)


class Decoders(Generic[T]):
    """A JSON and a msgpack decoder of one type."""

    def __init__(self, kind: Any, *, exact_numbers: bool = True) -> None:
        float_hook = Decimal if exact_numbers else None
        self.json = msgspec.json.Decoder(kind, dec_hook=dec_hook, float_hook=float_hook)
        self.msgpack = msgspec.msgpack.Decoder(kind, dec_hook=dec_hook)
        self.exact_numbers = exact_numbers
