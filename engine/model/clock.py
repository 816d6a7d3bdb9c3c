"""Clocks: where the market's idea of "now" comes from.

The market never reads the system time itself; it asks an injected :class:`Clock`, so that a
simulation can run a month in seconds and a test can stand on a gate closure exactly.
Time is int microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_us(self) -> int:
        """Return the current time [us since the epoch, UTC]."""
        ...


class WallClock:
    """The system clock, for serving."""

    def now_us(self) -> int:
        return time.time_ns() // 1000


class SimulatedClock:
    """A clock that moves only when told to, never backwards."""

    def __init__(self, start_us: int) -> None:
        self._now = int(start_us)

    def now_us(self) -> int:
        return self._now

    def advance_to(self, t_us: int) -> None:
        """Move to ``t_us`` [us]; moving backwards is a bug in the caller."""
        if t_us < self._now:
            raise ValueError(f"a simulated clock cannot go back from {self._now} to {t_us} us")
        self._now = int(t_us)

    def advance(self, delta_us: int) -> None:
        """Move forward by ``delta_us`` [us] (>= 0)."""
        self.advance_to(self._now + int(delta_us))
