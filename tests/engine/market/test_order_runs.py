"""Runs of single-order events parsed straight into columns agree with the event decoder."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.market import events
from engine.market.events import EventDecodeError, OrderAccepted
from engine.market.order_runs import OrderRun, decode_run

INT64 = st.integers(-(2**63), 2**63 - 1)
# Around every boundary of msgpack's int forms, where a parser would go wrong first.
EDGES = st.sampled_from(
    [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1]
    + [-1, -32, -33, -128, -129, -(2**15), -(2**15) - 1, -(2**31), -(2**31) - 1, -(2**63)]
)
VALUES = st.one_of(INT64, EDGES)
CLIENT_IDS = st.one_of(st.none(), st.text(min_size=1, max_size=64))
FIELDS = ("interval_start", "member", "order_id", "point", "price", "quantity", "side")


ROWS = st.lists(
    st.tuples(st.integers(0, 2**55), CLIENT_IDS, *[VALUES] * len(FIELDS)), min_size=1, max_size=12
)


def order_events(rows: list[tuple]) -> list[OrderAccepted]:
    return [
        OrderAccepted(
            seq=10 + i, ts_us=ts, client_order_id=cid, **dict(zip(FIELDS, values, strict=True))
        )
        for i, (ts, cid, *values) in enumerate(rows)
    ]


@pytest.fixture(autouse=True, scope="module")
def compiled() -> None:
    """Load (or compile) the parser once, outside hypothesis' deadline."""
    decode_run(rows_of(order_events([(0, None, *[0] * len(FIELDS))])))


def rows_of(run: list[OrderAccepted]) -> list[tuple]:
    return [(e.seq, e.kind, e.ts_us, events.encode(e), b"hash") for e in run]


def assert_same(run: OrderRun, expected: list[OrderAccepted]) -> None:
    reference = OrderRun.of_events(expected)
    for name in FIELDS:
        column = getattr(run, name)
        assert column.dtype == np.int64
        assert column.tolist() == getattr(reference, name).tolist(), name
    assert run.client_order_id == reference.client_order_id
    assert (run.first_seq, run.last_seq) == (expected[0].seq, expected[-1].seq)


@given(ROWS)
def test_a_run_parses_to_the_events_it_holds(rows: list[tuple]) -> None:
    run = order_events(rows)
    assert_same(decode_run(rows_of(run)), run)


@given(ROWS, st.data())
def test_a_payload_in_another_form_is_decoded_event_by_event(
    drawn: list[tuple], data: st.DataObject
) -> None:
    run = order_events(drawn)
    # Valid msgpack a canonical encoder would not write (keys in another order, an
    # unknown key that msgspec skips): the same events, through the fallback.
    rows = rows_of(run)
    at = data.draw(st.integers(0, len(run) - 1))
    fields = {
        "client_order_id": run[at].client_order_id,
        **{n: getattr(run[at], n) for n in FIELDS},
    }
    if data.draw(st.booleans()):
        fields = dict(reversed(fields.items()))
    else:
        fields["zz_later"] = 1
    rows[at] = (*rows[at][:3], msgspec.msgpack.encode(fields), b"hash")
    assert_same(decode_run(rows), run)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p[:-1],  # cut short
        lambda p: p + b"\x00",  # a byte too many
        lambda p: p.replace(b"\xa4side", b"\xa4sidf"),  # a field missing
        lambda p: p.replace(b"\xa4side\x01", b"\xa4side\xcb" + bytes(8)),  # a float
        lambda p: p.replace(b"\xa4side\x01", b"\xa4side\xc3"),  # a bool
        lambda p: p.replace(b"\xc0", b"\xa2\xff\xfe"),  # a client order id of bad UTF-8
        lambda p: b"\x90",  # not a map
    ],
)
def test_a_damaged_payload_is_refused_as_the_event_decoder_refuses_it(damage) -> None:
    run = [
        OrderAccepted(
            seq=5 + i,
            ts_us=1,
            client_order_id=None,
            interval_start=1_767_225_600,
            member=3,
            order_id=70 + i,
            point=2,
            price=25_000,
            quantity=5,
            side=1,
        )
        for i in range(3)
    ]
    rows = rows_of(run)
    rows[1] = (*rows[1][:3], damage(rows[1][3]), b"hash")
    with pytest.raises(EventDecodeError) as expected:
        events.decode(*rows[1][:4])
    with pytest.raises(EventDecodeError) as found:
        decode_run(rows)
    assert str(found.value) == str(expected.value)


def test_an_uint64_above_int64_is_left_to_the_event_decoder() -> None:
    event = OrderAccepted(
        seq=1,
        ts_us=1,
        client_order_id=None,
        interval_start=0,
        member=0,
        order_id=1,
        point=0,
        price=1,
        quantity=1,
        side=0,
    )
    payload = events.encode(event).replace(b"\xa5price\x01", b"\xa5price\xcf" + b"\xff" * 8)
    try:
        expected = events.decode(1, "OrderAccepted", 1, payload)
    except EventDecodeError as exc:
        with pytest.raises(EventDecodeError, match=str(exc)[:20]):
            decode_run([(1, "OrderAccepted", 1, payload)])
    else:  # msgspec takes it as a Python int: the columns cannot hold it either way
        with pytest.raises(OverflowError):
            OrderRun.of_events([expected])
