"""The plain-number counter and histogram scrape exactly as prometheus_client's own types
would, for the same updates (every sample but the ``_created`` instants, which only match
in name and labels)."""

from __future__ import annotations

import re
from bisect import bisect_left

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from engine.market.metrics import LATENCY_BUCKETS, Metrics
from engine.market.plain_metrics import PlainCounter, PlainHistogram

ROUTES = ("/v1/orders", "/v1/orders/{order_id}", "unmatched")
CREATED = re.compile(r"^(\S+_created\{?.*?\}?) \S+$", re.MULTILINE)

latencies = st.one_of(
    st.sampled_from(LATENCY_BUCKETS),  # on a bound: that bucket, as the library's <=
    st.floats(min_value=0, max_value=5, allow_nan=False),
    st.floats(min_value=0, max_value=1e-3, allow_nan=False),
)
requests = st.lists(
    st.tuples(st.sampled_from(ROUTES), st.sampled_from(("GET", "POST")),
              st.sampled_from((200, 201, 422)), latencies),
    max_size=60,
)  # fmt: skip
orders = st.lists(
    st.tuples(st.sampled_from(("buy", "sell")), st.sampled_from(("accepted", "rejected")),
              st.integers(1, 10_000)),
    max_size=20,
)  # fmt: skip


def _scrape(registry: CollectorRegistry) -> str:
    """The text exposition with each ``_created`` value masked (an instant of its own)."""
    return CREATED.sub(r"\1 <created>", generate_latest(registry).decode())


@given(requests, orders)
def test_plain_metrics_scrape_as_the_library_types(
    observed: list[tuple[str, str, int, float]], counted: list[tuple[str, str, int]]
) -> None:
    library, plain = CollectorRegistry(), CollectorRegistry()
    labels = ("route", "method", "status")
    histogram = Histogram("t_seconds", "doc", labels, buckets=LATENCY_BUCKETS, registry=library)
    ours = PlainHistogram("t_seconds", "doc", labels, LATENCY_BUCKETS, plain)
    counter = Counter("t_orders_total", "doc", ("side", "outcome"), registry=library)
    our_counter = PlainCounter("t_orders_total", "doc", ("side", "outcome"), plain)
    for route, method, status, seconds in observed:
        histogram.labels(route, method, str(status)).observe(seconds)
        cell = ours.cell(route, method, str(status))
        cell[bisect_left(ours.bounds, seconds)] += 1
        cell[-1] += seconds
    for side, outcome, n in counted:
        counter.labels(side, outcome).inc(n)
        our_counter.cell(side, outcome)[0] += n
    assert _scrape(plain) == _scrape(library)


def test_the_market_metrics_scrape_their_counts_and_latencies() -> None:
    metrics = Metrics()
    metrics.record_orders(3, 0, accepted=True)
    metrics.record_orders(0, 2, accepted=False)
    for seconds in (0.0001, 0.0005, 0.003):
        metrics.record_request("/v1/orders", "POST", 201, seconds)
    sample = metrics.registry.get_sample_value
    assert sample("klaster_orders_total", {"side": "buy", "outcome": "accepted"}) == 3
    assert sample("klaster_orders_total", {"side": "sell", "outcome": "rejected"}) == 2
    assert sample("klaster_orders_total", {"side": "sell", "outcome": "accepted"}) == 0
    route = {"route": "/v1/orders", "method": "POST", "status": "201"}
    assert sample("klaster_http_request_duration_seconds_count", route) == 3
    assert sample("klaster_http_request_duration_seconds_bucket", {**route, "le": "0.0005"}) == 2
    assert sample("klaster_http_request_duration_seconds_sum", route) == 0.0001 + 0.0005 + 0.003
    assert sample("klaster_http_request_duration_seconds_created", route) is not None
    assert sample("klaster_orders_created", {"side": "buy", "outcome": "accepted"}) is not None


def test_a_cluster_view_counts_its_own_orders() -> None:
    metrics = Metrics(by_cluster=True)
    a, b = metrics.for_cluster("a"), metrics.for_cluster("b")
    a.record_orders(1, 0, accepted=True)
    b.record_orders(0, 4, accepted=True)

    def orders(cluster: str, side: str) -> float | None:
        labels = {"cluster": cluster, "side": side, "outcome": "accepted"}
        return metrics.registry.get_sample_value("klaster_orders_total", labels)

    assert (orders("a", "buy"), orders("b", "sell"), orders("a", "sell")) == (1, 4, 0)
