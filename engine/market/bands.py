"""Price bands the coordinator publishes while the market runs, and their validation.

A :class:`BandBatch` overrides the cluster's band (``engine/config/price_bands.py``) for the given
intervals, from the moment it is recorded (event ``PriceBandsPublished``). The bands decide
which prices orders may carry and, at settlement, what a shortfall costs (cap) and what a
surplus earns (floor); so a band may only change while the interval's auction is still
open: once its gate has closed its trades and their settlement are fixed. Orders booked
before a new band keep their prices (they were valid when accepted).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from engine.book.new_orders import MAX_REPORTED_ROWS
from engine.model import wording
from engine.model.calendar import INSTANT_RANGE, Calendar, in_range
from engine.model.rejects import Reject, Rejected
from matching.units import MAX_ABS_PRICE_TICKS

BAND_FIELDS = ("interval_start", "floor", "cap")


@dataclass(frozen=True)
class BandBatch:
    """Bands as int64 columns, one row per interval."""

    interval_start: np.ndarray  # [s]
    floor: np.ndarray  # [tick]
    cap: np.ndarray  # [tick]

    def __len__(self) -> int:
        return int(self.interval_start.shape[0])


def validate_bands(
    batch: BandBatch, calendar: Calendar, cleared: Container[int], now_s: int, tick: Decimal
) -> list[Rejected]:
    """Every reason to refuse rows of ``batch`` (all or nothing); ``cleared`` holds the
    starts of intervals whose auction is over (a gate the coordinator closed early);
    prices are named in PLN/MWh (``tick`` [PLN/MWh])."""
    n = len(batch)
    if n == 0:
        return [Rejected(Reject.EMPTY_BATCH, "bands", "publish at least one band")]
    for name in BAND_FIELDS:
        column = getattr(batch, name)
        if not isinstance(column, np.ndarray) or column.dtype != np.int64 or column.shape != (n,):
            return [Rejected(Reject.BAD_VALUE, name, f"{name} must be {n} int64 values")]
    rejects: list[Rejected] = []
    for row, (start, floor, cap) in enumerate(
        zip(batch.interval_start.tolist(), batch.floor.tolist(), batch.cap.tolist(), strict=True)
    ):
        if len(rejects) >= MAX_REPORTED_ROWS:
            break
        if not in_range(start):
            message = f"interval_start must be {INSTANT_RANGE}, was {start} s"
            rejects.append(Rejected(Reject.BAD_INTERVAL, "interval_start", message, row))
        elif start % calendar.length_s:
            message = wording.not_an_interval_start(start, calendar)
            rejects.append(Rejected(Reject.BAD_INTERVAL, "interval_start", message, row))
        elif now_s >= calendar.auction_gate(start) or start in cleared:
            message = wording.band_fixed(start, calendar)
            rejects.append(Rejected(Reject.INTERVAL_NOT_OPEN, "interval_start", message, row))
        for name, value in (("floor", floor), ("cap", cap)):
            if not -MAX_ABS_PRICE_TICKS <= value <= MAX_ABS_PRICE_TICKS:
                message = wording.price_beyond_limit(name, value, MAX_ABS_PRICE_TICKS, tick)
                rejects.append(Rejected(Reject.BAD_VALUE, name, message, row))
        if floor > cap:
            message = wording.floor_above_cap(floor, cap, tick)
            rejects.append(Rejected(Reject.BAD_VALUE, "floor", message, row))
    if not rejects and np.unique(batch.interval_start).shape[0] != n:
        rejects.append(Rejected(Reject.BAD_VALUE, "interval_start", "an interval appears twice"))
    return rejects
