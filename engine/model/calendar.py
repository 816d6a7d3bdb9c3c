"""The calendar of delivery intervals and the states an interval moves through.

An interval is identified by its start [s since the epoch, UTC], a multiple of its length.
For an interval starting at ``s`` (DESIGN.md, "Calendar"):

- it is OPEN for orders from ``opens_at(s) = s - horizon * length`` until the auction gate,
- the auction gate closes at ``auction_gate(s) = s - gate_closure - continuous``, when the
  book is frozen and cleared,
- with continuous trading it is CONTINUOUS from clearing until the final gate
  ``final_gate(s) = s - gate_closure``; after that (or right after the auction without
  continuous trading) it is CLEARED: traded, waiting for delivery,
- DELIVERED from ``s + length``, SETTLED once every reading is in.

Only the times live here; which interval is in which state is the market's record, moved
by these times.

Every instant the market takes from outside (an interval start in an order, a reading, a
band, a gate closure; a query's period; the simulated clock) lies in one range,
``FIRST_INSTANT_S <= t < END_INSTANT_S``: 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z.
Within it every derived time (gates, delivery, a calendar page ahead) is an ``int64``,
a journal timestamp and an RFC 3339 instant with a four-digit year; outside it a value is
more likely a unit mistake (milliseconds, a zero) than a delivery interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

FIRST_INSTANT_S = 946_684_800
"""2000-01-01T00:00:00Z [s]: the earliest instant the market takes."""
END_INSTANT_S = 4_102_444_800
"""2100-01-01T00:00:00Z [s]: the first instant the market no longer takes (exclusive)."""
INSTANT_RANGE = "from 2000-01-01T00:00:00Z (inclusive) to 2100-01-01T00:00:00Z (exclusive)"
"""The range in words, for messages and the API's documentation."""


def in_range(t_s: int) -> bool:
    """True for an instant the market takes (see :data:`FIRST_INSTANT_S`)."""
    return FIRST_INSTANT_S <= t_s < END_INSTANT_S


class IntervalState(StrEnum):
    PLANNED = "planned"  # not open for orders yet
    OPEN = "open"
    CONTINUOUS = "continuous"
    CLEARED = "cleared"  # the auction is cleared and trading over; waiting for delivery
    DELIVERED = "delivered"
    SETTLED = "settled"


@dataclass(frozen=True, slots=True)
class Calendar:
    """Interval times of one cluster, all in seconds."""

    length_s: int
    gate_closure_s: int
    continuous_s: int
    horizon: int  # intervals open ahead

    def start_of(self, t_s: int) -> int:
        """Return the start of the interval that contains ``t_s``."""
        return t_s - t_s % self.length_s

    def is_start(self, t_s: int) -> bool:
        return t_s % self.length_s == 0

    def opens_at(self, start_s: int) -> int:
        return start_s - self.horizon * self.length_s

    def auction_gate(self, start_s: int) -> int:
        return start_s - self.gate_closure_s - self.continuous_s

    def final_gate(self, start_s: int) -> int:
        return start_s - self.gate_closure_s

    def delivered_at(self, start_s: int) -> int:
        return start_s + self.length_s

    def accepts_orders(self, start_s: int, now_s: int) -> bool:
        """True while the interval's auction book takes orders at ``now_s``."""
        return self.opens_at(start_s) <= now_s < self.auction_gate(start_s)

    def state(self, start_s: int, now_s: int, settled: bool = False) -> IntervalState:
        """The state the times give at ``now_s`` (settlement is the market's to say)."""
        if now_s >= self.delivered_at(start_s):
            return IntervalState.SETTLED if settled else IntervalState.DELIVERED
        if now_s >= self.final_gate(start_s):
            return IntervalState.CLEARED
        if now_s >= self.auction_gate(start_s):
            return IntervalState.CONTINUOUS
        if now_s >= self.opens_at(start_s):
            return IntervalState.OPEN
        return IntervalState.PLANNED

    def open_starts(self, now_s: int) -> range:
        """The starts of every interval whose auction takes orders at ``now_s``."""
        # s is open iff s - horizon*L <= now < s - gate - cont, i.e.
        # now + gate + cont < s <= now + horizon*L.
        first = self.start_of(now_s + self.gate_closure_s + self.continuous_s) + self.length_s
        last = self.start_of(now_s + self.horizon * self.length_s)
        return range(first, last + 1, self.length_s)
