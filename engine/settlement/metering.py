"""Meter readings: import and export [Wh] per connection point and interval.

Readings come from the dso or the coordinator, usually the day after delivery, sometimes
late, sometimes corrected. The store keeps the latest reading per (interval, point) and
tells whether a reading replaced an earlier one (the market then re-settles the interval and
records the difference as an adjustment). A member counts as metered in an interval when
every one of its connection points has a reading; members without points (the dso) always
do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.model import wording
from engine.model.calendar import END_INSTANT_S, FIRST_INSTANT_S, INSTANT_RANGE, Calendar
from engine.model.registry import Registry
from engine.model.rejects import Reject, Rejected, column_shape_rejects
from engine.settlement.settle import MAX_CELL_WH


@dataclass(frozen=True)
class ReadingBatch:
    """Readings as int64 columns, one row per (interval, connection point)."""

    interval_start: np.ndarray  # [s]
    point: np.ndarray  # connection point code
    import_wh: np.ndarray  # [Wh]
    export_wh: np.ndarray  # [Wh]

    def __len__(self) -> int:
        return int(self.point.shape[0])


READING_FIELDS = ("interval_start", "point", "import_wh", "export_wh")


def validate_readings(
    batch: ReadingBatch, registry: Registry, calendar: Calendar, now_s: int
) -> list[Rejected]:
    """Every reason to refuse rows of a reading batch (all or nothing, like orders): an
    unknown point, a start outside the instants' range or not an interval's, an interval
    not delivered at ``now_s``, energies outside 0..MAX_CELL_WH, a point twice in an interval."""
    malformed = column_shape_rejects(batch, READING_FIELDS, "readings")
    if malformed:
        return malformed
    rejects: list[Rejected] = []
    start, point = batch.interval_start, batch.point
    # Vectorised checks, then one reject per bad row and check (a day of a cluster's
    # readings is ~10^5 rows; a Python loop over them would dominate a simulation).
    unknown = (point < 0) | (point >= registry.owner.shape[0])
    outside = (start < FIRST_INSTANT_S) | (start >= END_INSTANT_S)
    misaligned = ~outside & (start % calendar.length_s != 0)
    # Delivered once now >= start + length; written without the sum, which could overflow.
    undelivered = ~outside & ~misaligned & (start > now_s - calendar.length_s)
    checks = [
        (unknown, Reject.UNKNOWN_CONNECTION_POINT, "connection_point",
         lambda r: f"no connection point with code {point[r]}"),
        (outside, Reject.BAD_INTERVAL, "interval_start",
         lambda r: f"interval_start must be {INSTANT_RANGE}, was {start[r]} s"),
        (misaligned, Reject.BAD_INTERVAL, "interval_start",
         lambda r: wording.not_an_interval_start(start[r], calendar)),
        (undelivered, Reject.READING_NOT_DELIVERED, "interval_start",
         lambda r: wording.not_delivered(start[r], calendar)),
    ]  # fmt: skip
    for name, values in (("import_wh", batch.import_wh), ("export_wh", batch.export_wh)):
        bad = (values < 0) | (values > MAX_CELL_WH)
        checks.append(
            (
                bad,
                Reject.BAD_VALUE,
                name,
                lambda r, name=name, values=values: (
                    f"{name} must be within 0..{MAX_CELL_WH} Wh, was {values[r]}"
                ),
            )
        )
    for mask, code, field, message in checks:
        for row in np.flatnonzero(mask).tolist():
            rejects.append(Rejected(code, field, message(row), row))
    rejects.sort(key=lambda r: r.row)
    if _has_duplicates(start, point):
        message = "a connection point appears twice for one interval"
        rejects.append(Rejected(Reject.BAD_VALUE, "readings", message))
    return rejects


def _has_duplicates(start: np.ndarray, point: np.ndarray) -> bool:
    """True if a (start, point) pair appears twice: sorted by both, neighbours compared
    (no combined key that any start could overflow)."""
    order = np.lexsort((point, start))
    s, p = start[order], point[order]
    return bool(np.any((s[1:] == s[:-1]) & (p[1:] == p[:-1])))


class Readings:
    """The latest reading per interval and connection point; ``registry_at(start)``: the
    points in force for an interval, and their owners (codes stable over versions)."""

    def __init__(self, registry_at: Callable[[int], Registry]) -> None:
        self._registry_at = registry_at
        # interval start -> (import, export, present), each indexed by point code (as many
        # as there were codes when the interval's first reading came)
        self._by_interval: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def record(self, start: int, point: np.ndarray, imp: np.ndarray, exp: np.ndarray) -> bool:
        """Store readings of one interval; return True if any replaced a different one."""
        entry = self._by_interval.get(start)
        if entry is None:
            points = self._registry_at(start).owner.shape[0]
            entry = (
                np.zeros(points, np.int64),
                np.zeros(points, np.int64),
                np.zeros(points, bool),
            )
            self._by_interval[start] = entry
        imports, exports, present = entry
        changed = bool(np.any(present[point] & ((imports[point] != imp) | (exports[point] != exp))))
        imports[point], exports[point], present[point] = imp, exp, True
        return changed

    def has(self, start_s: int) -> bool:
        """True once the interval starting at ``start_s`` [s] has a reading."""
        return start_s in self._by_interval

    def read_from(self, start_s: int) -> list[int]:
        """The starts [s] of the intervals with a reading from ``start_s`` on, ascending."""
        return sorted(s for s in self._by_interval if s >= start_s)

    def read_before(self, start_s: int) -> list[int]:
        """The interval starts [s] before ``start_s`` with a reading, ascending."""
        return sorted(s for s in self._by_interval if s < start_s)

    def members(self, starts: list[int], members: int) -> tuple[np.ndarray, ...]:
        """(import, export, metered) as (members x intervals) matrices over ``starts``, each
        interval's points counted for the member that owned them then."""
        imports = np.zeros((members, len(starts)), np.int64)
        exports = np.zeros((members, len(starts)), np.int64)
        missing = np.zeros((members, len(starts)), np.int64)
        for t, start in enumerate(starts):
            owner = self._registry_at(start).owner
            entry = self._by_interval.get(start)
            if entry is None:
                np.add.at(missing[:, t], owner[owner >= 0], 1)
                continue
            imp, exp, present = entry
            n = imp.shape[0]  # points with a code when the interval was read
            if n < owner.shape[0] or (owner < 0).any():
                keep = owner[:n] >= 0
                owned = owner[:n][keep]
                imp, exp, present = imp[keep], exp[keep], present[keep]
                late = owner[n:]  # in force then, but numbered after the reading
                np.add.at(missing[:, t], late[late >= 0], 1)
            else:
                owned = owner
            np.add.at(imports[:, t], owned, np.where(present, imp, 0))
            np.add.at(exports[:, t], owned, np.where(present, exp, 0))
            np.add.at(missing[:, t], owned, (~present).astype(np.int64))
        return imports, exports, missing == 0

    def points(self, starts: list[int]) -> tuple[np.ndarray, ...]:
        """(import, export, metered) as (points x intervals) matrices over ``starts``."""
        # Codes only grow over versions: the widest registry of the period numbers them all.
        points = max((self._registry_at(s).owner.shape[0] for s in starts), default=0)
        shape = (points, len(starts))
        imports, exports = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
        metered = np.zeros(shape, bool)
        for t, start in enumerate(starts):
            entry = self._by_interval.get(start)
            if entry is not None:
                n = entry[0].shape[0]  # codes numbered after the reading had none then
                imports[:n, t], exports[:n, t], metered[:n, t] = entry
        return imports, exports, metered

    def export_of(self, starts: list[int], points: np.ndarray) -> np.ndarray:
        """The export [Wh] of the ``points`` (a bool mask by point code) per interval of
        ``starts``, summed over the readings that are in (int64, exact below 1.8e9 points)."""
        out = np.zeros(len(starts), np.int64)
        for t, start in enumerate(starts):
            entry = self._by_interval.get(start)
            if entry is not None:
                _, exp, present = entry
                n = exp.shape[0]  # codes numbered after the reading had none then
                out[t] = exp[points[:n] & present].sum()
        return out

    def missing_points(self, start: int) -> list[str]:
        """The ids of connection points in force in the interval without a reading for it."""
        registry = self._registry_at(start)
        entry = self._by_interval.get(start)
        ids, owned = registry.point_ids, registry.owner >= 0
        if entry is None:
            return [ids[p] for p in np.flatnonzero(owned)]
        present = np.zeros(owned.shape[0], bool)
        present[: entry[2].shape[0]] = entry[2][: owned.shape[0]]
        return [ids[p] for p in np.flatnonzero(owned & ~present)]
