"""Prometheus metrics of a running market, named by Prometheus' conventions.

One :class:`Metrics` per process, on its own ``CollectorRegistry`` (tests make fresh ones).
Names carry the ``klaster_`` prefix, base units (seconds, Wh) and ``_total`` on counters;
labels are bounded sets (side, outcome, route template, method, status class): never a
member or an order id. Everything is updated per batch or per event, not per order.
Beside them: ``klaster_build_info`` (1, labelled with the version and the Python) and the
client library's standard ``process_*`` families (CPU seconds, resident and virtual memory,
open and maximum file descriptors, start time; read from ``/proc`` at each scrape, so they
cost nothing between scrapes; absent where there is no ``/proc``).
"""

from __future__ import annotations

import platform
from typing import Any

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

SIDES = ("buy", "sell")
OUTCOMES = ("accepted", "rejected")
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Request latencies from 0.25 ms to 2.5 s: the gateway's targets are in milliseconds.
LATENCY_BUCKETS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5)


class Metrics:
    """The market's metrics; call the ``record_*`` methods from the gateway and runtime."""

    def __init__(self, registry: CollectorRegistry | None = None, version: str = "unknown") -> None:
        """``version``: the running klaster's (``klaster_build_info``)."""
        self.registry = registry or CollectorRegistry()
        r = self.registry
        Info("klaster_build", "The running klaster: its version and Python's", registry=r).info(
            {"version": version, "python": platform.python_version()}
        )
        ProcessCollector(registry=r)
        self.orders = Counter(
            "klaster_orders_total",
            "Orders received, by side and outcome",
            ("side", "outcome"),
            registry=r,
        )
        # Label sets pre-initialised (a series exists from the start) and kept: labels()
        # costs more than the increment.
        self._order_children = {
            (side, outcome): self.orders.labels(side, outcome)
            for side in SIDES
            for outcome in OUTCOMES
        }
        self.requests = Histogram(
            "klaster_http_request_duration_seconds",
            "HTTP request latency by route",
            ("route", "method", "status"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.clearing = Histogram(
            "klaster_clearing_duration_seconds",
            "Gate closure: freeze, clear, journal",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.cleared_volume = Counter(
            "klaster_cleared_volume_wh_total", "Energy traded in auctions", registry=r
        )
        self.last_volume = Gauge(
            "klaster_last_cleared_volume_wh", "Volume of the last cleared interval", registry=r
        )
        self.last_price = Gauge(
            "klaster_last_clearing_price_pln_per_mwh",
            "Uniform price of the last cleared interval (NaN without one)",
            registry=r,
        )
        self.book_orders = Gauge(
            "klaster_book_orders", "Orders in open auction books, by side", ("side",), registry=r
        )
        for side in SIDES:
            self.book_orders.labels(side)
        self.commit = Histogram(
            "klaster_journal_commit_duration_seconds",
            "Journal group commit latency",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.journal_head = Gauge(
            "klaster_journal_head_seq",
            "Seq of the last durable journal event: the head of the hash chain",
            registry=r,
        )
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self.streams = Gauge("klaster_websocket_streams", "Open WebSocket streams", registry=r)

    def record_orders(self, buy: int, sell: int, accepted: bool) -> None:
        """Count a command's orders (one call per batch)."""
        outcome = "accepted" if accepted else "rejected"
        if buy:
            self._order_children["buy", outcome].inc(buy)
        if sell:
            self._order_children["sell", outcome].inc(sell)

    def record_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Observe one request; ``route`` is the route template, never the raw path.
        Children are kept per label set (routes x methods x statuses, a bounded set):
        ``labels()`` costs more than the observation itself."""
        key = (route, method, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(route, method, str(status))
        child.observe(seconds)

    def record_clearing(self, seconds: float, volume_wh: int, price_pln_mwh: float) -> None:
        self.clearing.observe(seconds)
        self.cleared_volume.inc(volume_wh)
        self.last_volume.set(volume_wh)
        self.last_price.set(price_pln_mwh)

    def set_book_orders(self, buy: int, sell: int) -> None:
        self.book_orders.labels("buy").set(buy)
        self.book_orders.labels("sell").set(sell)

    def exposition(self) -> bytes:
        """The text format of every metric, for ``/metrics``."""
        return generate_latest(self.registry)
