"""Prometheus metrics of a running market, named by Prometheus' conventions.

One :class:`Metrics` per process, on its own ``CollectorRegistry`` (tests make fresh ones).
Names carry the ``klaster_`` prefix, base units (seconds, Wh) and ``_total`` on counters;
labels are bounded sets (side, outcome, route template, method, status class, problem type):
never a member or an order id. Everything is updated per batch or per event, not per order.
The two updated on every request (``klaster_orders_total`` and
``klaster_http_request_duration_seconds``) are counted in plain numbers and written at
scrape time (:mod:`engine.market.plain_metrics`): the same samples, without the library's
locks on the loop.
Besides the market's own: the standard ``process_*`` metrics of this process (CPU seconds,
resident memory, open file descriptors, start time: prometheus_client's
``ProcessCollector``) and, when given, ``klaster_build_info`` (version, Python, numba) as
the labels of a constant 1.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from engine.market.plain_metrics import PlainCounter, PlainHistogram

SIDES = ("buy", "sell")
OUTCOMES = ("accepted", "rejected")
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Request latencies from 0.25 ms to 2.5 s: the gateway's targets are in milliseconds.
LATENCY_BUCKETS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5)


class Metrics:
    """The market's metrics; call the ``record_*`` methods from the gateway and runtime."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        build: Mapping[str, str] | None = None,
        *,
        by_cluster: bool = False,
    ) -> None:
        """``build``: the labels of ``klaster_build_info`` (``version``, ``python``,
        ``numba``: :func:`engine.cli.version.build_info`); without it there is none.
        ``by_cluster``: the market's own metrics carry a ``cluster`` label (a server
        hosting several clusters; :meth:`for_cluster` gives each its view); without it they
        carry none, as the metrics of a server of one cluster always did (its scrape
        config's target labels name the cluster)."""
        self.registry = registry or CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        if build is not None:
            Info("klaster_build", "The running build: klaster, Python, numba", registry=r).info(
                dict(build)
            )
        c = ("cluster",) if by_cluster else ()
        self._by_cluster = by_cluster
        self.cluster: str | None = None  # the cluster this view records for
        self._families = (
            # Counted per request (the single-order path): in plain numbers.
            PlainCounter("klaster_orders_total", "Orders received, by side and outcome",
                         (*c, "side", "outcome"), registry=r),
            Histogram("klaster_clearing_duration_seconds", "Gate closure: freeze, clear, journal",
                      c, buckets=LATENCY_BUCKETS, registry=r),
            Counter("klaster_cleared_volume_wh_total", "Energy traded in auctions", c,
                    registry=r),
            Gauge("klaster_last_cleared_volume_wh", "Volume of the last cleared interval", c,
                  registry=r),
            Gauge("klaster_last_clearing_price_pln_per_mwh",
                  "Uniform price of the last cleared interval (NaN without one)", c, registry=r),
            # The band of the last cleared interval beside its price: a dashboard draws all
            # three.
            Gauge("klaster_last_band_floor_pln_per_mwh",
                  "Price floor of the last cleared interval's band", c, registry=r),
            Gauge("klaster_last_band_cap_pln_per_mwh",
                  "Price cap of the last cleared interval's band", c, registry=r),
            Gauge("klaster_book_orders", "Orders in open auction books, by side",
                  (*c, "side"), registry=r),
            Histogram("klaster_journal_commit_duration_seconds", "Journal group commit latency",
                      c, buckets=LATENCY_BUCKETS, registry=r),
            Gauge("klaster_journal_head_seq",
                  "Seq of the last durable journal event: the head of the hash chain", c,
                  registry=r),
            Gauge("klaster_websocket_streams", "Open WebSocket streams", c, registry=r),
        )  # fmt: skip
        self.requests = PlainHistogram(
            "klaster_http_request_duration_seconds",
            "HTTP request latency by route",
            ("route", "method", "status"),
            LATENCY_BUCKETS,
            r,
        )
        self._request_cells: dict[tuple[str, str, int], list[float]] = {}
        self._bounds = self.requests.bounds
        self.problems = Counter(
            "klaster_problems_total",
            "Refusals answered as problem details, by problem type (its last URI segment)",
            ("type",),
            registry=r,
        )
        if not by_cluster:
            self._bind(())

    def for_cluster(self, cluster_id: str) -> Metrics:
        """This registry's view for one cluster: the market's metrics labelled
        ``cluster=cluster_id`` (requests and problems stay the server's). Without
        ``by_cluster`` there is one cluster and this is ``self``."""
        if not self._by_cluster:
            return self
        view = copy.copy(self)
        view.cluster = cluster_id
        view._bind((cluster_id,))
        return view

    def _bind(self, cluster: tuple[str, ...]) -> None:
        """Keep the children of ``cluster``'s label set (a series exists from the start, and
        ``labels()`` costs more than the increment)."""
        self.orders, *plain = self._families
        self.book_orders = plain.pop(6)  # labelled by side too
        (
            self.clearing,
            self.cleared_volume,
            self.last_volume,
            self.last_price,
            self.last_floor,
            self.last_cap,
            self.commit,
            self.journal_head,
            self.streams,
        ) = (f.labels(*cluster) if cluster else f for f in plain)
        self._order_cells = {
            (side, outcome): self.orders.cell(*cluster, side, outcome)
            for side in SIDES
            for outcome in OUTCOMES
        }
        self._book_children = {side: self.book_orders.labels(*cluster, side) for side in SIDES}
        self.last_floor.set(float("nan"))  # no band drawn before the first clearing
        self.last_cap.set(float("nan"))

    def record_orders(self, buy: int, sell: int, accepted: bool) -> None:
        """Count a command's orders (one call per batch)."""
        outcome = "accepted" if accepted else "rejected"
        if buy:
            self._order_cells["buy", outcome][0] += buy
        if sell:
            self._order_cells["sell", outcome][0] += sell

    def record_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Observe one request; ``route`` is the route template, never the raw path.
        Cells are kept per label set (routes x methods x statuses, a bounded set)."""
        key = (route, method, status)
        cell = self._request_cells.get(key)
        if cell is None:
            cell = self._request_cells[key] = self.requests.cell(route, method, str(status))
        cell[bisect_left(self._bounds, seconds)] += 1
        cell[-1] += seconds

    def record_clearing(self, seconds: float, volume_wh: int, price_pln_mwh: float) -> None:
        self.clearing.observe(seconds)
        self.cleared_volume.inc(volume_wh)
        self.last_volume.set(volume_wh)
        self.last_price.set(price_pln_mwh)

    def record_band(self, floor_pln_mwh: float, cap_pln_mwh: float) -> None:
        """The band [PLN/MWh] of the interval whose clearing was recorded last."""
        self.last_floor.set(floor_pln_mwh)
        self.last_cap.set(cap_pln_mwh)

    def record_problem(self, slug: str) -> None:
        """Count one problem answer; ``slug`` is a problem type of
        :mod:`engine.gateway.problems` (a bounded set)."""
        self.problems.labels(slug).inc()

    def set_book_orders(self, buy: int, sell: int) -> None:
        self._book_children["buy"].set(buy)
        self._book_children["sell"].set(sell)

    def exposition(self) -> bytes:
        """The text format of every metric, for ``/metrics``."""
        return generate_latest(self.registry)
