"""The configurations of a cluster in force, each from its effective instant, with stable codes.

A cluster's journal holds its configuration as :class:`~engine.market.events.ClusterChanged`
events, each in force from its ``effective_from_s`` (an interval start [s]) until the next
one's. A change replaces every version from its effective instant on (a version journaled
for next week and then one for tomorrow leaves only tomorrow's in force from tomorrow).
Member and connection point codes are numbered once for the life of the cluster
(:meth:`~engine.model.registry.Registry.of`), and every version's registry spans all codes,
so a code means the same member in every interval and every column.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from typing import Any

from engine.model.calendar import FIRST_INSTANT_S
from engine.model.registry import Registry


class Versions:
    """The versions in force, sorted by effective instant; the first from the start of time."""

    def __init__(self, cluster: Any) -> None:
        self.codes = Registry.of(cluster)  # every code ever, with the last version's roles
        self.starts: list[int] = [FIRST_INSTANT_S]
        self.clusters: list[Any] = [cluster]
        self._registries: list[Registry] = [self.codes]
        self._hit = self._span(0)  # the span of the version found last (see index)

    def add(self, effective_s: int, cluster: Any) -> None:
        """Put ``cluster`` in force from ``effective_s`` [s] on, replacing later versions."""
        keep = bisect_left(self.starts, effective_s)
        self.starts = [*self.starts[:keep], effective_s]
        self.clusters = [*self.clusters[:keep], cluster]
        self.codes = Registry.of(cluster, self.codes)
        self._registries = [Registry.of(c, self.codes) for c in self.clusters]
        self._hit = self._span(0)

    def index(self, start_s: int) -> int:
        """The place of the version in force at ``start_s`` [s]. The version found last is
        remembered with its span: one order asks for its interval's registry, band and
        limits, and orders cluster in a few intervals of one version."""
        low, high, at = self._hit
        if low <= start_s < high:
            return at
        at = max(0, bisect_right(self.starts, start_s) - 1)
        self._hit = self._span(at)
        return at

    def _span(self, at: int) -> tuple[float, float, int]:
        """The instants [s] the version at place ``at`` is in force for: (from, until, at),
        the first from the start of time, the last until its end."""
        starts = self.starts
        low = starts[at] if at > 0 else -math.inf
        high = starts[at + 1] if at + 1 < len(starts) else math.inf
        return low, high, at

    def cluster_at(self, start_s: int) -> Any:
        """The configuration in force for the interval starting at ``start_s`` [s]."""
        return self.clusters[self.index(start_s)]

    def registry_at(self, start_s: int) -> Registry:
        """The members and points (all codes) in force at ``start_s`` [s]."""
        return self._registries[self.index(start_s)]

    def registry_of(self, index: int) -> Registry:
        """The registry of the version at place ``index`` (see :meth:`index`)."""
        return self._registries[index]

    @property
    def latest(self) -> Any:
        """The configuration with the latest effective instant."""
        return self.clusters[-1]

    def by_version(self, starts: list[int]) -> list[tuple[int, list[int]]]:
        """``starts`` (ascending) in runs under one version: ``[(version index, starts)]``."""
        runs: list[tuple[int, list[int]]] = []
        for start in starts:
            at = self.index(start)
            if runs and runs[-1][0] == at:
                runs[-1][1].append(start)
            else:
                runs.append((at, [start]))
        return runs
