"""Per-member rate limiting: a token bucket per member, in real (monotonic) time.

Each member's bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second;
a request takes one token or is refused with the seconds until one is back (``Retry-After``).
Real time, not the market's clock: a simulated clock must not change how fast clients may
call. Cost: O(1) per request; one small entry per member that ever called.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, rate: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, were {rate} and {burst}")
        self.rate = float(rate)
        self.burst = float(burst)
        self._now = now
        self._buckets: dict[str, list[float]] = {}  # member -> [tokens, at]

    def take(self, member: str) -> int:
        """Take a token for ``member``: 0 if allowed, else the whole seconds to wait (>= 1)."""
        now = self._now()
        bucket = self._buckets.get(member)
        if bucket is None:
            bucket = self._buckets[member] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0
        bucket[0] = tokens
        return max(1, math.ceil((1.0 - tokens) / self.rate))
