"""Meter readings after delivery (the DSO's, or the coordinator's) and what they changed."""

from __future__ import annotations

from msgspec import Struct

from engine.api.timetable import State
from engine.api.values import Count, Instant, InstantIn, Wh


class Reading(Struct, frozen=True, forbid_unknown_fields=True):
    """What one connection point imported and exported in one interval [Wh]."""

    interval_start: InstantIn
    connection_point: str
    import_wh: Wh
    export_wh: Wh


class ReadingRows(Struct, frozen=True, forbid_unknown_fields=True):
    """Readings, one object each (all or nothing)."""

    readings: list[Reading]


class ReadingColumns(Struct, frozen=True, forbid_unknown_fields=True):
    """Readings as columns, one array per field, all of one length (all or nothing)."""

    interval_start: list[InstantIn]
    connection_point: list[str]
    import_wh: list[Wh]
    export_wh: list[Wh]


class IntervalStatus(Struct, frozen=True):
    interval_start: Instant
    state: State


class ReadingsRecorded(Struct, frozen=True):
    """How many readings were recorded, and the states of the intervals they touched."""

    recorded: Count
    intervals: tuple[IntervalStatus, ...]
