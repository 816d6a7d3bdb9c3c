"""Event payloads as canonical msgpack bytes.

A payload is a ``dict`` with ``str`` keys whose values are, recursively:

- ``int`` in the int64 range ``[-2**63, 2**63 - 1]`` (numpy integer scalars are accepted and
  stored as plain ints), ``bool``, ``None``, ``str``, ``bytes`` (digests);
- ``list`` (not ``tuple``: a payload decodes back to exactly what was encoded) and ``dict``
  with ``str`` keys;
- a 1-D numpy array of a signed 64-bit integer dtype: a column.

Floats are refused everywhere (``TypeError``), inside arrays too: no float decides who trades,
and NaN or inf cannot reach the journal.

Columns are stored as the msgpack extension type ``INT64_ARRAY_EXT`` (code 1) whose data is
the raw little-endian int64 bytes of the column, so a 10,000-order batch of five columns costs
a few memcpy's rather than 50,000 msgpack ints. :func:`decode` returns columns as
**read-only** ``np.frombuffer`` views on the decoded bytes (no copy); copy one to modify it.

Determinism: the encoding is canonical. Map keys are written sorted by code point at every
level, so the same payload gives the same bytes whatever order its dicts were built in (and
:func:`decode` returns dicts in that sorted order). Every int uses msgpack's shortest form,
strings are UTF-8 ``str`` type, bytes are ``bin`` type.

Cost: one Python pass over the payload's containers and scalars, plus one copy per column;
columns themselves are never iterated.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

INT64_ARRAY_EXT = 1
"""msgpack ExtType code of a column: raw little-endian int64 values, 8 bytes each."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_LE_INT64 = np.dtype("<i8")

Payload = dict[str, Any]


def encode(payload: Payload) -> bytes:
    """Encode ``payload`` to its canonical msgpack bytes.

    Raise ``TypeError`` for a value of a type outside the contract (a float, a tuple, a set,
    a non-str key, an array of another dtype) and ``ValueError`` for an int outside int64 or
    an array that is not 1-D; the message names the path of the offending value
    (``payload.orders[3].price: floats are not allowed ...``).
    """
    if type(payload) is not dict:
        raise TypeError(f"a payload must be a dict, was {type(payload).__name__}")
    try:
        canonical = _dict(payload)
    except _Refused as refused:
        path = "".join(f"[{p}]" if type(p) is int else f".{p}" for p in reversed(refused.path))
        raise refused.kind(f"payload{path}: {refused.reason}") from None
    # use_bin_type: bytes as bin, str as str (the two stay distinct on decode).
    return msgpack.packb(canonical, use_bin_type=True)


def decode(data: bytes) -> Payload:
    """Decode bytes made by :func:`encode`; columns come back as read-only int64 arrays."""
    payload = msgpack.unpackb(
        data, raw=False, strict_map_key=True, use_list=True, ext_hook=_ext_hook
    )
    if type(payload) is not dict:
        raise ValueError(f"an encoded payload must be a map, was {type(payload).__name__}")
    return payload


class _Refused(Exception):
    """A value outside the contract; containers add their key on the way out, so the path
    string is only built when something is refused (never on the hot path)."""

    def __init__(self, kind: type[Exception], reason: str) -> None:
        self.kind, self.reason = kind, reason
        self.path: list[str | int] = []


# Exact type checks (``type(True) is bool``, so bools never pass as ints, and int subclasses
# such as IntEnum are refused rather than guessed at); scalars inline, the common case.
def _dict(value: dict) -> dict:
    for key in value:
        if type(key) is not str:
            raise _Refused(TypeError, f"dict keys must be str, found {key!r}")
    out = {}
    for key in sorted(value):  # sorted(): the same bytes whatever order the dict was built in
        v = value[key]
        t = type(v)
        try:
            if (t is int and _INT64_MIN <= v <= _INT64_MAX) or t is str or _is_atom(t, v):
                out[key] = v
            else:
                out[key] = _value(v)
        except _Refused as refused:
            refused.path.append(key)
            raise
    return out


def _list(value: list) -> list:
    out = []
    for i, v in enumerate(value):
        t = type(v)
        try:
            if (t is int and _INT64_MIN <= v <= _INT64_MAX) or t is str or _is_atom(t, v):
                out.append(v)
            else:
                out.append(_value(v))
        except _Refused as refused:
            refused.path.append(i)
            raise
    return out


def _is_atom(t: type, v: Any) -> bool:
    return t is bool or v is None or t is bytes


def _int(value: int) -> int:
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    raise _Refused(ValueError, f"int must fit in int64, was {value}")


def _value(value: Any) -> Any:
    """Check a non-str, non-int value against the contract; return its msgpack form."""
    t = type(value)
    if t is str or t is bool or value is None or t is bytes:
        return value
    if t is int:
        return _int(value)
    if t is dict:
        return _dict(value)
    if t is list:
        return _list(value)
    if t is np.ndarray:
        return _column(value)
    if isinstance(value, np.integer):  # e.g. an element taken from a column
        return _int(int(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        raise _Refused(TypeError, f"floats are not allowed in a payload, was {value!r}")
    raise _Refused(TypeError, f"unsupported type {t.__name__} ({value!r:.60})")


def _column(array: np.ndarray) -> msgpack.ExtType:
    if array.dtype.kind != "i" or array.dtype.itemsize != 8:
        raise _Refused(TypeError, f"arrays must be int64, was {array.dtype}")
    if array.ndim != 1:
        raise _Refused(ValueError, f"arrays must be 1-D, was {array.ndim}-D")
    # astype(copy=False) is a no-op on little-endian hosts; tobytes() is one memcpy of a
    # contiguous column (and gathers a strided view).
    return msgpack.ExtType(INT64_ARRAY_EXT, array.astype(_LE_INT64, copy=False).tobytes())


def _ext_hook(code: int, data: bytes) -> np.ndarray:
    if code != INT64_ARRAY_EXT:
        raise ValueError(f"unknown msgpack extension type {code} in a payload")
    if len(data) % 8:
        raise ValueError(f"an int64 column must be a multiple of 8 bytes, was {len(data)}")
    return np.frombuffer(data, dtype=_LE_INT64)  # read-only: it views the bytes object
