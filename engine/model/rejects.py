"""Why the market refuses a command: result codes, one number range per stage.

Rejections are values, not exceptions: a command returns :class:`Rejected` and leaves the
state as it was. The gateway maps the codes to HTTP statuses and problem types in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np


class Reject(IntEnum):
    # 100-199: the input itself
    BAD_VALUE = 100  # wrong type, NaN, not an integer, ...
    BAD_SIDE = 101
    PRICE_OFF_TICK = 102
    PRICE_OUT_OF_BAND = 103
    BAD_QUANTITY = 104  # <= 0 or not an integer number of Wh
    QUANTITY_ABOVE_LIMIT = 105  # above the connection point's power over one interval
    BAD_CLIENT_ORDER_ID = 106
    BAD_INTERVAL = 107  # not an interval start
    EMPTY_BATCH = 108
    # 200-299: who is asking
    UNKNOWN_MEMBER = 200
    UNKNOWN_CONNECTION_POINT = 201
    NOT_YOUR_CONNECTION_POINT = 202
    ROLE_FORBIDDEN = 203
    # 300-399: the state of the market
    INTERVAL_NOT_OPEN = 300
    UNKNOWN_ORDER = 301
    ORDER_NOT_ACTIVE = 302  # cancelled, filled, or its auction already cleared
    CLIENT_ORDER_ID_CONFLICT = 303  # same client id, other content
    NOT_YOUR_ORDER = 304
    INTERVAL_NOT_CLEARED = 305
    # the point's orders in the interval, with this one, would pass its import or export
    # limit (engine/book/point_limits.py)
    ABOVE_INTERVAL_LIMIT = 306
    # 400-499: settlement
    READING_NOT_DELIVERED = 400  # a meter reading for an interval not yet delivered


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused command: the code, the offending field, and what was wrong."""

    code: Reject
    field: str
    message: str
    row: int | None = None  # the batch row, for batch commands


@dataclass(frozen=True, slots=True)
class BatchRejected:
    """A refused batch: nothing was applied; every bad row is listed (up to a limit)."""

    rows: tuple[Rejected, ...]
    bad_rows: int  # how many rows failed in all (rows may be cut short)


def column_shape_rejects(batch: Any, names: tuple[str, ...], what: str) -> list[Rejected]:
    """The first reason a columnar batch is malformed: empty, or a named column that is not
    ``len(batch)`` int64 values. Empty list when the columns are fine."""
    n = len(batch)
    if n == 0:
        return [Rejected(Reject.EMPTY_BATCH, what, f"a batch needs at least one of its {what}")]
    for name in names:
        column = getattr(batch, name)
        if not isinstance(column, np.ndarray) or column.dtype != np.int64 or column.shape != (n,):
            return [Rejected(Reject.BAD_VALUE, name, f"{name} must be {n} int64 values")]
    return []
