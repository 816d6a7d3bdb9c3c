"""The payload codec: exact round trips, canonical bytes, floats and strangers refused."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.store.codec import INT64_ARRAY_EXT, decode, encode

INT64 = st.integers(-(2**63), 2**63 - 1)
SCALARS = st.none() | st.booleans() | INT64 | st.text(max_size=20) | st.binary(max_size=20)
COLUMNS = st.lists(INT64, max_size=40).map(lambda xs: np.array(xs, dtype=np.int64))
KEYS = st.text(max_size=12)
VALUES = st.recursive(
    SCALARS | COLUMNS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
PAYLOADS = st.dictionaries(KEYS, VALUES, max_size=8)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (``True`` is not ``1``), arrays compared by content."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and b.dtype == np.int64 and np.array_equal(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    return a == b


def reversed_build_order(value: Any) -> Any:
    """The same value with every dict built in the opposite key order."""
    if isinstance(value, dict):
        return {k: reversed_build_order(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_build_order(v) for v in value]
    return value


@given(PAYLOADS)
def test_decode_gives_back_exactly_what_was_encoded(payload: dict) -> None:
    assert same(decode(encode(payload)), payload)


@given(PAYLOADS)
def test_encoding_is_canonical_whatever_order_dicts_were_built_in(payload: dict) -> None:
    data = encode(payload)
    assert encode(reversed_build_order(payload)) == data
    assert encode(decode(data)) == data


def test_encoding_of_a_fixed_payload_never_changes() -> None:
    payload = {"qty": np.array([1, -2], dtype=np.int64), "member": "gmina-żywiec", "n": 300}
    assert encode(payload).hex() == (
        "83"  # a map of 3, keys sorted: member, n, qty
        "a66d656d626572"
        "ad676d696e612dc5bc7977696563"  # "member": "gmina-żywiec" (UTF-8)
        "a16e"
        "cd012c"  # "n": 300 as uint16
        "a3717479"
        "d801"
        "0100000000000000"
        "feffffffffffffff"  # "qty": fixext16, code 1
    )


def test_columns_are_one_ext_type_of_little_endian_int64_bytes() -> None:
    column = np.array([1, 2**40, -1], dtype=np.int64)
    raw = msgpack.unpackb(encode({"price": column}))
    assert raw == {"price": msgpack.ExtType(INT64_ARRAY_EXT, column.astype("<i8").tobytes())}


def test_a_10000_order_batch_costs_little_more_than_its_raw_bytes() -> None:
    columns = {name: np.arange(10_000, dtype=np.int64) for name in "abcde"}
    assert len(encode(columns)) < 5 * 80_000 + 100


def test_decoded_columns_are_read_only_int64_views() -> None:
    column = decode(encode({"c": np.arange(5, dtype=np.int64)}))["c"]
    assert column.dtype == np.int64 and not column.flags.writeable
    with pytest.raises(ValueError):
        column[0] = 7


@pytest.mark.parametrize(
    "column",
    [
        np.arange(10, dtype=np.int64)[::3],  # a strided view
        np.arange(4, dtype=">i8"),  # big-endian
        np.zeros(0, dtype=np.int64),
    ],
    ids=["strided", "big-endian", "empty"],
)
def test_columns_of_any_layout_round_trip_by_value(column: np.ndarray) -> None:
    decoded = decode(encode({"c": column}))["c"]
    assert decoded.dtype == np.int64 and decoded.tolist() == column.tolist()


def test_numpy_scalars_are_stored_as_plain_values() -> None:
    data = encode({"i": np.int64(7), "j": np.int32(-3), "b": np.bool_(True)})
    assert data == encode({"i": 7, "j": -3, "b": True})


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"price": 1.5}, "payload.price"),
        ({"price": math.nan}, "payload.price"),
        ({"price": math.inf}, "payload.price"),
        ({"price": np.float64(2.0)}, "payload.price"),
        ({"rows": [1, {"qty": -0.0}]}, "payload.rows[1].qty"),
    ],
)
def test_floats_are_refused_with_the_path_of_the_value(payload: dict, path: str) -> None:
    with pytest.raises(TypeError) as refused:
        encode(payload)
    assert str(refused.value).startswith(f"{path}: floats are not allowed in a payload")


@pytest.mark.parametrize(
    ("payload", "error", "message"),
    [
        ({"c": np.zeros(3)}, TypeError, r"payload\.c: arrays must be int64, was float64"),
        ({"c": np.zeros(3, np.int32)}, TypeError, r"payload\.c: arrays must be int64, was int32"),
        ({"c": np.zeros((2, 2), np.int64)}, ValueError, r"payload\.c: arrays must be 1-D"),
        ({"n": 2**63}, ValueError, r"payload\.n: int must fit in int64, was 9223372036854775808"),
        ({"n": [-(2**63) - 1]}, ValueError, r"payload\.n\[0\]: int must fit in int64"),
        ({"t": (1, 2)}, TypeError, r"payload\.t: unsupported type tuple"),
        ({"s": {1, 2}}, TypeError, r"payload\.s: unsupported type set"),
        ({"d": {"a": 1, 2: 3}}, TypeError, r"payload\.d: dict keys must be str, found 2"),
    ],
)
def test_values_outside_the_contract_are_refused(
    payload: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode(payload)


def test_only_dicts_are_payloads() -> None:
    with pytest.raises(TypeError, match="a payload must be a dict, was list"):
        encode([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="an encoded payload must be a map, was list"):
        decode(msgpack.packb([1, 2]))


def test_unknown_extension_types_are_refused_on_decode() -> None:
    with pytest.raises(ValueError, match="unknown msgpack extension type 9"):
        decode(msgpack.packb({"x": msgpack.ExtType(9, b"")}))
    with pytest.raises(ValueError, match="multiple of 8 bytes, was 3"):
        decode(msgpack.packb({"x": msgpack.ExtType(INT64_ARRAY_EXT, b"abc")}))
