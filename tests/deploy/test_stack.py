"""The processes the compose file starts, started without Docker: ``klaster serve`` with the
compose service's options (on loopback, in a temporary data directory) and Prometheus with
``deploy/prometheus-compose.yml`` (its target pointed at that server). The dashboard's
queries read only metrics this server exports; its logs are JSON with an access log; a real
Prometheus scrapes it and answers a query.

The Prometheus test skips only without the ``prometheus`` binary; ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.stack import (
    DEPLOY,
    dashboard_queries,
    klaster_options,
    query_grouping,
    query_metrics,
    without_place,
)
from tests.postgres import throwaway_server
from tests.prometheus import http_json, retargeted, start_prometheus, stop_prometheus, wait_for
from tests.serving import Server, an_order, start_server, wait_ready

# Labels Prometheus puts on every series of a target (the scrape config's own included),
# and the bucket bound of histograms: a dashboard may group by them.
TARGET_LABELS = frozenset({"job", "instance", "cluster", "role", "le"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server started as compose starts it (on a throwaway PostgreSQL), having taken one
    order and refused one request."""
    data = tmp_path_factory.mktemp("stack") / "data"
    with throwaway_server() as postgres:
        yield from _served(data, postgres.url())


def _served(data: Path, url: str) -> Iterator[Server]:
    server = start_server(data, "--store", url, *without_place(klaster_options()))
    try:
        wait_ready(server)
        order = an_order((int(time.time()) // 900 + 2) * 900)
        status, body = server.request("POST", "/v1/orders", server.tokens["dom-01"], order)
        assert status == 201, body
        assert server.request("GET", "/v1/me")[0] == 401  # no token: a problem to count
        yield server
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()
    last = json.loads(server.log.read_text().splitlines()[-1])
    assert (last["logger"], last["message"]) == ("klaster.serve", "stopped")


def exported(server: Server) -> dict[str, set[str]]:
    """Every sample name of the server's /metrics -> the label names it carries."""
    status, text = server.request("GET", "/metrics")
    assert status == 200
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def test_every_metric_the_dashboard_queries_is_exported(server: Server) -> None:
    names = exported(server)
    queries = dashboard_queries()
    assert len(queries) >= 7
    for expr in queries:
        metrics = query_metrics(expr)
        assert metrics, expr
        missing = metrics - set(names)
        assert not missing, f"{expr}: not exported: {missing}"
        labels = set().union(*(names[m] for m in metrics)) | TARGET_LABELS
        assert query_grouping(expr) <= labels, expr


def test_the_server_exports_its_build_and_process_metrics(server: Server) -> None:
    names = exported(server)
    assert names["klaster_build_info"] == {"version", "python", "numba"}
    for standard in ("process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert standard in names
    status, text = server.request("GET", "/metrics")
    assert 'klaster_problems_total{type="unauthorized"} 1.0' in text


def test_the_logs_are_json_lines_with_an_access_log(server: Server) -> None:
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line]
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    serving = [r for r in records if r["message"] == "serving"]
    assert serving and serving[0]["url"] == server.url
    access = [r for r in records if r["logger"] == "klaster.access"]
    refused = [r for r in access if r["path"] == "/v1/me"]
    assert refused and refused[0]["status"] == 401 and refused[0]["problem"] == "unauthorized"
    (order,) = [r for r in access if r["path"] == "/v1/orders"]
    assert order["method"] == "POST" and order["status"] == 201 and order["route"] == "/v1/orders"
    assert "problem" not in order and order["duration_s"] > 0
    assert not any("Bearer" in json.dumps(r) for r in records)  # no token in the log


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus binary is absent (apt-get install prometheus; .ci/run installs it)",
)
def test_prometheus_of_the_stack_scrapes_the_server(server: Server, tmp_path: Path) -> None:
    target = urllib.parse.urlsplit(server.url).netloc
    config = retargeted((DEPLOY / "prometheus-compose.yml").read_text(), {"klaster:8080": target})
    (tmp_path / "prometheus.yml").write_text(config)
    prometheus, api = start_prometheus(tmp_path, tmp_path / "prometheus.yml")
    try:
        query = urllib.parse.urlencode({"query": "klaster_build_info"})
        (series,) = wait_for(
            "a scrape of klaster_build_info",
            lambda: http_json(f"{api}/api/v1/query?{query}")["data"]["result"],
            60,
        )
        assert series["metric"]["job"] == "klaster"
        assert series["metric"]["cluster"] == "demo"
        assert float(series["value"][1]) == 1.0
        targets = http_json(f"{api}/api/v1/targets")["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"]
    finally:
        stop_prometheus(prometheus)
