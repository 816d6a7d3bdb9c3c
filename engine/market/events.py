"""The market's events: immutable, past-tense facts, and their one canonical encoding.

Every change of a cluster's market is one event. An event carries ``seq`` (its place in the
cluster's journal, from 1, no gaps) and ``ts_us`` (when the market decided it [us since the
epoch, UTC]); both are stored in the journal's own columns, not in the payload.

Encoding: the payload is a msgpack map of the event's other fields, keys sorted by code point
(the fields below are declared in that order for this reason), ints in their shortest form,
strings as msgpack str, int64 numpy columns as the msgpack extension type 1 (raw
little-endian bytes, one memcpy per column). These are exactly the bytes the payload codec
wrote before events were typed, so those journals replay unchanged
(``tests/engine/market/test_journal_v1.py``).
Decoding checks every field's type (a float where an int belongs is refused), and columns
come back as read-only ``np.frombuffer`` views.

Fields marked *live only* hold what the market computed while deciding the event (the
clearing result, how long it took); they are never journaled and are empty on replay, where
the fold recomputes them.

``OrderAccepted`` is the compact form of a batch of one (scalars instead of one-row
columns: a journal of single orders replays several times faster this way); the fold books
it exactly as the one-row ``OrdersAccepted`` it stands for.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import numpy as np

from engine.book.auction import GateRows
from engine.book.point_limits import BatchGroups
from matching import ClearingResult

INT64_COLUMN_EXT = 1
"""msgpack extension type of an int64 column."""

_LE_INT64 = np.dtype("<i8")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One fact of the market, numbered by the journal."""

    seq: int = 0
    ts_us: int = 0

    # Set on the payload copy before encoding: seq and ts_us live in the journal's columns,
    # live-only fields are not facts.
    _not_journaled: ClassVar[dict[str, Any]] = {"seq": 0, "ts_us": 0}
    _journaled: ClassVar[tuple[str, ...]] = ()  # the payload's fields, set below per type
    _journaled_at: ClassVar[tuple[int, ...]] = ()  # and their places among all fields

    @property
    def kind(self) -> str:
        """The name the journal stores: the class name."""
        return type(self).__name__


class ClusterConfigured(Event, kw_only=True):
    """The journal's first event: which cluster config its events mean something in."""

    cluster_id: str
    fingerprint: str  # SHA-256 of the config (engine.market.recovery.cluster_fingerprint)


class ClusterChanged(Event, kw_only=True):
    """The cluster's configuration from an interval on: the whole document (keys sorted,
    :mod:`engine.config.document`) and the files it names, in force from
    ``effective_from_s`` until a later change; journaled right after ``ClusterConfigured``
    (from the start of time) and for every change since. ``cancelled``: the orders it took
    out of their books (of members and points no longer in force for their interval)."""

    cancelled: np.ndarray  # order ids, ascending
    changes: list[str]  # what changed, in plain words
    config: dict[str, Any]  # the TOML document, keys sorted at every level
    effective_from_s: int  # [s] an interval start
    files: dict[str, bytes]  # the files the document names, by name


class OrderAccepted(Event, kw_only=True):
    """One order booked (a batch of one, in compact form)."""

    client_order_id: str | None
    interval_start: int  # [s since the epoch, UTC]
    member: int  # member code
    order_id: int
    point: int  # connection point code
    price: int  # [tick]
    quantity: int  # [Wh]
    side: int  # BUY or SELL


class OrdersAccepted(Event, kw_only=True):
    """A batch of one member's orders booked, all rows at once; ids ``first_order_id``,
    ``first_order_id + 1``, ... in row order."""

    client_order_id: list[str | None] | None
    first_order_id: int
    interval_start: np.ndarray  # [s] int64, one per row
    member: int
    point: np.ndarray
    price: np.ndarray  # [tick]
    quantity: np.ndarray  # [Wh]
    side: np.ndarray
    # live only: the rows grouped while deciding (the same rows in the same order), so that
    # the fold does not group them again; None on replay, where the fold groups them itself
    groups: BatchGroups | None = None

    _not_journaled: ClassVar[dict[str, Any]] = {"seq": 0, "ts_us": 0, "groups": None}


class OrderCancelled(Event, kw_only=True):
    """An active order taken out of its book."""

    member: int
    order_id: int


class OrderReplaced(Event, kw_only=True):
    """An order cancelled and booked anew with a new id (and a new place in the queue)."""

    member: int
    new_order_id: int
    order_id: int
    price: int  # [tick]
    quantity: int  # [Wh]


class GateClosed(Event, kw_only=True):
    """An interval's auction gate closed: its book frozen and cleared."""

    digest: str  # ClearingResult.digest(): replay recomputes the clearing and compares
    interval_start: int  # [s]
    price: int | None  # uniform clearing price [tick], None when nothing traded
    volume: int  # [Wh]
    clearing: ClearingResult | None = None  # live only: the result itself
    clearing_seconds: float = 0.0  # live only: freezing and clearing took this long [s]
    # live only: the rows the clearing was of, so that the fold does not find them again
    rows: GateRows | None = None

    _not_journaled: ClassVar[dict[str, Any]] = {
        "seq": 0,
        "ts_us": 0,
        "clearing": None,
        "clearing_seconds": 0.0,
        "rows": None,
    }


class MeterReadingsRecorded(Event, kw_only=True):
    """Meter readings of connection points, one row per point and interval."""

    export_wh: np.ndarray  # [Wh]
    import_wh: np.ndarray  # [Wh]
    interval_start: np.ndarray  # [s]
    point: np.ndarray


class PriceBandsPublished(Event, kw_only=True):
    """The coordinator's price bands for intervals whose auction was still open."""

    cap: np.ndarray  # [tick]
    floor: np.ndarray  # [tick]
    interval_start: np.ndarray  # [s]


EVENT_TYPES: dict[str, type[Event]] = {
    t.__name__: t
    for t in (
        ClusterConfigured,
        ClusterChanged,
        OrderAccepted,
        OrdersAccepted,
        OrderCancelled,
        OrderReplaced,
        GateClosed,
        MeterReadingsRecorded,
        PriceBandsPublished,
    )
}
"""Every event type by the kind the journal stores."""

for _t in EVENT_TYPES.values():
    _t._journaled = tuple(f for f in _t.__struct_fields__ if f not in _t._not_journaled)
    _t._journaled_at = tuple(_t.__struct_fields__.index(f) for f in _t._journaled)


def _enc_hook(value: Any) -> Any:
    if type(value) is np.ndarray:
        if value.dtype.kind != "i" or value.dtype.itemsize != 8 or value.ndim != 1:
            raise TypeError(f"a column must be 1-D int64, was {value.ndim}-D {value.dtype}")
        return msgspec.msgpack.Ext(INT64_COLUMN_EXT, value.astype(_LE_INT64, copy=False).tobytes())
    if isinstance(value, np.integer):  # an element taken from a column
        return int(value)
    raise TypeError(f"unsupported type in an event: {type(value).__name__}")


def _ext_hook(code: int, data: memoryview) -> np.ndarray:
    if code != INT64_COLUMN_EXT:
        raise ValueError(f"unknown msgpack extension type {code} in an event")
    if len(data) % 8:
        raise ValueError(f"an int64 column must be a multiple of 8 bytes, was {len(data)}")
    return np.frombuffer(data, dtype=_LE_INT64)  # read-only: a view of the payload bytes


def _dec_hook(expected: type, value: Any) -> Any:
    if expected is np.ndarray and type(value) is np.ndarray:
        return value
    raise TypeError(f"expected {expected.__name__}, found {type(value).__name__}")


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_decoders = {
    kind: msgspec.msgpack.Decoder(t, ext_hook=_ext_hook, dec_hook=_dec_hook)
    for kind, t in EVENT_TYPES.items()
}


class EventDecodeError(ValueError):
    """Stored bytes that are no event of their kind."""


_FLOAT32, _FLOAT64, _UINT64 = 0xCA, 0xCB, 0xCF  # msgpack markers (an int: memchr)


def encode(event: Event) -> bytes:
    """Return the canonical payload bytes of ``event`` (without seq, ts and live fields).

    Raise ``TypeError`` or ``ValueError`` for a value no event may hold (a float, an int
    outside int64, a column that is not 1-D int64): a bug of the code that built the event,
    since every field was validated before.
    """
    payload = msgspec.structs.replace(event, **event._not_journaled)
    try:
        out = _encoder.encode(payload)
    except (TypeError, ValueError, OverflowError):
        _check(event, payload)  # names the field, if a field is the fault
        raise
    # A float or an int beyond int64 (written as uint64) leaves its marker byte in the
    # payload; bytes without any of them need no look at the values (one order's do not).
    if _FLOAT32 in out or _FLOAT64 in out or _UINT64 in out:
        _check(event, payload)
    return out


def _check(event: Event, payload: Event) -> None:
    """Raise for a journaled field msgspec would write without a complaint: an int
    outside int64 or a float (see :func:`encode`)."""
    values = msgspec.structs.astuple(payload)
    for at in event._journaled_at:
        value = values[at]
        kind = type(value)
        if kind is int:
            if not _INT64_MIN <= value <= _INT64_MAX:
                name = payload.__struct_fields__[at]
                raise ValueError(f"{event.kind}.{name}: ints must fit in int64, was {value}")
        elif kind is not str and value is not None and isinstance(value, float | np.floating):
            name = payload.__struct_fields__[at]
            raise TypeError(f"{event.kind}.{name}: floats are not allowed in an event")


def decode(seq: int, kind: str, ts_us: int, payload: bytes) -> Event:
    """Return the event stored as ``(seq, kind, ts_us, payload)`` in a journal."""
    decoder = _decoders.get(kind)
    if decoder is None:
        raise EventDecodeError(f"event {seq}: unknown kind {kind!r}")
    try:
        body = decoder.decode(payload)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise EventDecodeError(f"event {seq} ({kind}): {exc}") from None
    return msgspec.structs.replace(body, seq=seq, ts_us=ts_us)
