"""The events' encoding: exact round trips of every event type, the documented canonical
bytes (a msgpack map with sorted keys, int64 columns as extension type 1), floats and
strangers refused, decoded columns read-only."""

from __future__ import annotations

import math
import typing
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.market import events
from engine.market.events import (
    EVENT_TYPES,
    INT64_COLUMN_EXT,
    Event,
    EventDecodeError,
    GateClosed,
    MeterReadingsRecorded,
    OrderAccepted,
    OrderCancelled,
)

INT64 = st.integers(-(2**63), 2**63 - 1)
COLUMNS = st.lists(INT64, max_size=40).map(lambda xs: np.array(xs, dtype=np.int64))
TEXT = st.text(max_size=20)
BY_ANNOTATION: dict[Any, st.SearchStrategy] = {
    int: INT64,
    str: TEXT,
    int | None: st.none() | INT64,
    str | None: st.none() | TEXT,
    list[str | None] | None: st.none() | st.lists(st.none() | TEXT, max_size=5),
    np.ndarray: COLUMNS,
    list[str]: st.lists(TEXT, max_size=5),
    dict[str, bytes]: st.dictionaries(TEXT, st.binary(max_size=20), max_size=3),
    # A configuration document (ClusterChanged.config): TOML's values, tables nested.
    dict[str, Any]: st.dictionaries(
        TEXT,
        st.recursive(
            st.booleans() | INT64 | TEXT | st.floats(allow_nan=False),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
            max_leaves=8,
        ),
        max_size=4,
    ),
}


def journaled(t: type[Event]) -> list[str]:
    return [f for f in t.__struct_fields__ if f not in t._not_journaled]


def an_event(t: type[Event]) -> st.SearchStrategy[Event]:
    hints = typing.get_type_hints(t)
    fields = {name: BY_ANNOTATION[hints[name]] for name in journaled(t)}
    return st.builds(t, seq=st.integers(1, 2**40), ts_us=st.integers(0, 2**56 - 1), **fields)


EVENTS = st.sampled_from(sorted(EVENT_TYPES)).flatmap(lambda k: an_event(EVENT_TYPES[k]))


def same(a: Event, b: Event) -> bool:
    if type(a) is not type(b) or (a.seq, a.ts_us) != (b.seq, b.ts_us):
        return False
    for name in journaled(type(a)):
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if not (type(y) is np.ndarray and y.dtype == np.int64 and np.array_equal(x, y)):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def documented_bytes(event: Event) -> bytes:
    """The format the module docstring states, written with plain msgpack."""
    payload = {}
    for name in sorted(journaled(type(event))):
        value = getattr(event, name)
        if isinstance(value, np.ndarray):
            value = msgpack.ExtType(INT64_COLUMN_EXT, value.astype("<i8").tobytes())
        payload[name] = value
    return msgpack.packb(payload, use_bin_type=True)


@given(EVENTS)
def test_decode_gives_back_exactly_the_event_that_was_encoded(event: Event) -> None:
    assert same(events.decode(event.seq, event.kind, event.ts_us, events.encode(event)), event)


@given(EVENTS)
def test_every_event_is_encoded_as_the_documented_sorted_msgpack_map(event: Event) -> None:
    assert events.encode(event) == documented_bytes(event)


def test_encoding_of_a_fixed_event_never_changes() -> None:
    event = OrderCancelled(seq=7, ts_us=1, member=300, order_id=-2)
    assert events.encode(event).hex() == (
        "82"  # a map of 2, keys sorted: member, order_id (seq and ts_us are the journal's)
        "a66d656d626572"
        "cd012c"  # "member": 300 as uint16
        "a86f726465725f6964"
        "fe"  # "order_id": -2 as a negative fixint
    )


def test_live_only_fields_are_not_journaled() -> None:
    live = GateClosed(
        seq=3, ts_us=5, digest="d", interval_start=900, price=None, volume=0, clearing_seconds=1.5
    )
    decoded = events.decode(3, "GateClosed", 5, events.encode(live))
    assert decoded.clearing is None and decoded.clearing_seconds == 0.0


def readings(**columns: np.ndarray) -> MeterReadingsRecorded:
    empty = np.zeros(0, np.int64)
    fields = {"export_wh": empty, "import_wh": empty, "interval_start": empty, "point": empty}
    return MeterReadingsRecorded(seq=1, ts_us=1, **{**fields, **columns})


def test_a_10000_row_event_costs_little_more_than_its_raw_bytes() -> None:
    column = np.arange(10_000, dtype=np.int64)
    event = readings(export_wh=column, import_wh=column, interval_start=column, point=column)
    assert len(events.encode(event)) < 4 * 80_000 + 100


def test_decoded_columns_are_read_only_int64_views() -> None:
    data = events.encode(readings(point=np.arange(5, dtype=np.int64)))
    column = events.decode(1, "MeterReadingsRecorded", 1, data).point
    assert column.dtype == np.int64 and not column.flags.writeable
    with pytest.raises(ValueError):
        column[0] = 7


@pytest.mark.parametrize(
    "column",
    [np.arange(10, dtype=np.int64)[::3], np.arange(4, dtype=">i8"), np.zeros(0, dtype=np.int64)],
    ids=["strided", "big-endian", "empty"],
)
def test_columns_of_any_layout_round_trip_by_value(column: np.ndarray) -> None:
    data = events.encode(readings(point=column))
    decoded = events.decode(1, "MeterReadingsRecorded", 1, data).point
    assert decoded.dtype == np.int64 and decoded.tolist() == column.tolist()


def test_numpy_scalars_are_stored_as_plain_ints() -> None:
    event = OrderCancelled(seq=1, ts_us=1, member=np.int64(7), order_id=np.int32(-3))
    assert events.encode(event) == events.encode(OrderCancelled(member=7, order_id=-3))


@pytest.mark.parametrize("value", [1.5, math.nan, math.inf, np.float64(2.0), -0.0])
def test_floats_are_refused_naming_the_field(value: float) -> None:
    with pytest.raises(TypeError, match="OrderCancelled.member: floats are not allowed"):
        events.encode(OrderCancelled(member=value, order_id=1))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (np.zeros(3), "a column must be 1-D int64, was 1-D float64"),
        (np.zeros(3, np.int32), "a column must be 1-D int64, was 1-D int32"),
        (np.zeros((2, 2), np.int64), "a column must be 1-D int64, was 2-D int64"),
    ],
)
def test_columns_outside_the_contract_are_refused(column: np.ndarray, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        events.encode(readings(point=column))


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_ints_outside_int64_are_refused(value: int) -> None:
    with pytest.raises(ValueError, match="OrderCancelled.order_id: ints must fit in int64"):
        events.encode(OrderCancelled(member=1, order_id=value))


ORDER_INTS = ("interval_start", "member", "order_id", "point", "price", "quantity", "side")


@given(
    st.tuples(
        *[
            st.one_of(
                INT64,
                st.integers(2**63, 2**64 + 5),  # written as uint64, or not at all
                st.integers(-(2**64), -(2**63) - 1),
                st.floats(allow_nan=False),
                st.sampled_from([0xCA, 0xCB, 0xCF, 2**32, 2**40]),  # the markers as values
            )
            for _ in ORDER_INTS
        ]
    ),
    # client order ids whose UTF-8 holds the markers: CA 80, CB 80, CF 80
    st.one_of(st.none(), st.text(alphabet="\u0280\u02c0\u03c0abc", max_size=8)),
)
def test_one_order_is_refused_for_exactly_its_bad_fields_else_written_canonically(
    values: tuple[Any, ...], client_order_id: str | None
) -> None:
    """The check that looks at the values only when the bytes show a float or uint64 marker
    refuses what a look at every value refuses, and writes what msgpack writes."""
    fields = dict(zip(ORDER_INTS, values, strict=True))
    event = OrderAccepted(seq=3, ts_us=4, client_order_id=client_order_id, **fields)
    bad = (
        next((n for n in ORDER_INTS if type(fields[n]) is float), None),
        next(
            (n for n in ORDER_INTS if type(fields[n]) is int and not -(2**63) <= fields[n] < 2**63),
            None,
        ),
    )
    first = min((n for n in bad if n is not None), key=ORDER_INTS.index, default=None)
    if first is None:
        expected = msgpack.packb({"client_order_id": client_order_id, **fields})
        assert events.encode(event) == expected
        return
    error = TypeError if type(fields[first]) is float else ValueError
    with pytest.raises(error, match=f"OrderAccepted.{first}: "):
        events.encode(event)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("Intruder", msgpack.packb({}), "event 4: unknown kind 'Intruder'"),
        ("OrderCancelled", msgpack.packb([1, 2]), r"event 4 \(OrderCancelled\): Expected `object`"),
        ("OrderCancelled", msgpack.packb({"member": 1}), "missing required field `order_id`"),
        ("OrderCancelled", msgpack.packb({"member": 1.0, "order_id": 2}), "Expected `int`"),
        (
            "MeterReadingsRecorded",
            msgpack.packb({"point": msgpack.ExtType(9, b"")}),
            "unknown msgpack extension type 9",
        ),
        (
            "MeterReadingsRecorded",
            msgpack.packb({"point": msgpack.ExtType(INT64_COLUMN_EXT, b"abc")}),
            "multiple of 8 bytes, was 3",
        ),
    ],
)
def test_bytes_that_are_no_event_of_their_kind_are_refused_on_decode(
    kind: str, payload: bytes, message: str
) -> None:
    with pytest.raises(EventDecodeError, match=message):
        events.decode(4, kind, 0, payload)
