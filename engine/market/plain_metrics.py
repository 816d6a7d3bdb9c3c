"""A counter and a histogram counted in plain Python numbers, exposed at scrape time.

prometheus_client's ``Counter.inc`` and ``Histogram.observe`` take a lock per value (three
for an observation: its bucket, its sum, and the check that the child is observable) and
walk the buckets in Python: ~4 us per request on the gateway's loop under load, for
numbers that only a scrape reads. Here a label set's numbers are a list (a *cell*) that the
caller keeps and adds to, and a custom collector turns the cells into the very samples the
library's own types would write (the same names, labels, order, floats and ``_created``),
when the registry is collected. The cells are updated from one thread (the event loop's);
a scrape from another may see one request's bucket and not yet its sum, never a torn
number.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from math import inf

from prometheus_client import CollectorRegistry
from prometheus_client import metrics as library
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString


def _created_series() -> bool:
    """Whether the library writes ``_created`` samples now (it reads
    ``PROMETHEUS_DISABLE_CREATED_SERIES`` and may be switched at run time)."""
    return getattr(library, "_use_created", True)


class PlainCounter:
    """A labelled counter: ``cell(*labels)`` is a list whose item 0 is the count."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        self._name = name.removesuffix("_total")  # the family's name, as the library's
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._cells: dict[tuple[str, ...], list[float]] = {}  # labels -> [count, created]
        registry.register(self)

    def cell(self, *labels: str) -> list[float]:
        """The cell of ``labels`` (made, and so written by a scrape, on first use): add to
        its item 0."""
        found = self._cells.get(labels)
        if found is None:
            found = self._cells[labels] = [0, time.time()]
        return found

    def describe(self) -> list[Metric]:
        return [CounterMetricFamily(self._name, self._documentation, labels=self._labelnames)]

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self._name, self._documentation, labels=self._labelnames)
        created = _created_series()
        for labels, (count, since) in list(self._cells.items()):
            family.add_metric(labels, float(count), since if created else None)
        yield family


class PlainHistogram:
    """A labelled histogram: ``cell(*labels)`` is a list with one count per bucket (``le``
    each bound, the last ``+Inf``; not cumulative) and, last, the sum. An observation adds
    1 at ``bisect_left(bounds, value)`` (the first bound >= the value, as the library's
    ``observe``) and the value to the sum."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        bounds = [float(b) for b in buckets]
        if bounds[-1] != inf:
            bounds.append(inf)
        #: The buckets' upper bounds [s], the last +Inf: bisect this for a value's bucket.
        self.bounds = tuple(bounds)
        self._le = tuple(floatToGoString(b) for b in bounds)
        self._cells: dict[tuple[str, ...], list[float]] = {}
        self._created: dict[tuple[str, ...], float] = {}
        registry.register(self)

    def cell(self, *labels: str) -> list[float]:
        """The cell of ``labels``, made on first use (see the class docstring)."""
        found = self._cells.get(labels)
        if found is None:
            found = self._cells[labels] = [0] * len(self.bounds) + [0.0]
            self._created[labels] = time.time()
        return found

    def describe(self) -> list[Metric]:
        return [HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)]

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)
        created = _created_series()
        for labels, cell in list(self._cells.items()):
            counts = cell[:-1]  # one copy: the bucket counts and the sum of one moment
            total, running = cell[-1], 0
            buckets = []
            for le, count in zip(self._le, counts, strict=True):
                running += count
                buckets.append((le, float(running)))
            family.add_metric(labels, buckets, total)
            if created:
                named = dict(zip(self._labelnames, labels, strict=True))
                family.samples.append(
                    Sample(self._name + "_created", named, self._created[labels], None)
                )
        yield family
