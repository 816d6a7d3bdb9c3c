"""Metrics end to end: names by Prometheus' conventions, and a real Prometheus server that
scrapes a running ``klaster serve`` (with ``deploy/prometheus.yml``) and answers a query.

The Prometheus test skips only when the ``prometheus`` binary is absent; ``.ci/run``
installs the Debian package, so CI never skips it.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.market.metrics import Metrics
from tests import REPO
from tests.serving import Server, an_order, start_server, wait_ready

ROOT = REPO
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus.yml"
# Suffixes of units that are not base units (time in seconds, energy in Wh as the house
# plan fixes). Prices stay in the market's quoting unit, PLN/MWh (``_pln_per_mwh``): there
# is no base unit of a price, and PLN/Wh would read 0.0004 on every dashboard.
NOT_BASE_UNITS = ("_ms", "_milliseconds", "_us", "_microseconds", "_kwh", "_mwh", "_minutes")
PRICE_UNIT = "_pln_per_mwh"
STANDARD = ("process_",)  # the client library's process collector, named by Prometheus


def convention_problems(exposition: str) -> list[str]:
    """Return what breaks Prometheus' naming conventions in a text exposition."""
    problems = []
    for family in text_string_to_metric_families(exposition):
        name = family.name
        if not name.startswith(("klaster_", *STANDARD)):
            problems.append(f"{name}: no klaster_ prefix")
        if family.type == "counter":
            if not all(s.name.endswith(("_total", "_created")) for s in family.samples):
                problems.append(f"{name}: a counter's samples must end in _total")
        elif name.endswith("_total"):
            problems.append(f"{name}: only counters end in _total")
        unit_part = name.removesuffix("_total").removesuffix(PRICE_UNIT)
        if unit_part.endswith(NOT_BASE_UNITS):
            problems.append(f"{name}: not a base unit")
        if family.type == "histogram" and not name.endswith("_seconds"):
            problems.append(f"{name}: a latency histogram is in seconds")
        for sample in family.samples:
            for label in ("member", "member_id", "order_id", "token"):
                if label in sample.labels:
                    problems.append(f"{name}: unbounded label {label}")
    return problems


def test_the_metrics_follow_prometheus_naming_conventions() -> None:
    metrics = Metrics()
    metrics.record_orders(3, 2, accepted=True)
    metrics.record_request("/v1/orders", "POST", 201, 0.001)
    metrics.record_clearing(0.01, 1000, 400.0)
    text = metrics.exposition().decode()
    assert convention_problems(text) == []
    assert 'klaster_orders_total{outcome="accepted",side="buy"} 3.0' in text


def test_the_convention_check_catches_bad_names() -> None:
    text = (
        "# TYPE requests_ms counter\nrequests_ms 1\n"
        "# TYPE klaster_x_total gauge\nklaster_x_total 1\n"
    )
    assert len(convention_problems(text)) >= 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def wait_for(what: str, probe, timeout: float):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.25)
    raise TimeoutError(f"{what} within {timeout} s; last: {last!r}")


def submit_one_order(server: Server) -> None:
    length = 900
    start = (int(time.time()) // length + 2) * length
    order = an_order(start, "sell")
    status, body = server.request("POST", "/v1/orders", server.tokens["dom-01"], order)
    assert status in (200, 201), body


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus binary is absent (apt-get install prometheus; .ci/run installs it)",
)
def test_a_real_prometheus_scrapes_the_gateway_and_answers_a_klaster_query(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "data")
    prometheus = None
    try:
        wait_ready(server)
        submit_one_order(server)
        status, exposition = server.request("GET", "/metrics")
        assert status == 200 and convention_problems(exposition) == []

        target = urllib.parse.urlsplit(server.url).netloc
        config = SCRAPE_CONFIG.read_text()
        assert '"localhost:8080"' in config and "5s" in config
        config = config.replace('"localhost:8080"', f'"{target}"').replace("5s", "1s")
        config = config.replace("scrape_timeout: 4s", "scrape_timeout: 1s")
        (tmp_path / "prometheus.yml").write_text(config)
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        log = open(tmp_path / "prometheus.log", "w")  # noqa: SIM115
        prometheus = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        log.close()
        wait_for("Prometheus ready", lambda: urllib.request.urlopen(api + "/-/ready").status, 60)

        query = urllib.parse.urlencode({"query": 'klaster_orders_total{side="sell"}'})

        def sold_and_accepted() -> list:
            result = http_json(f"{api}/api/v1/query?{query}")["data"]["result"]
            return [r for r in result if r["metric"]["outcome"] == "accepted"]

        (series,) = wait_for("a scrape with the order", sold_and_accepted, 60)
        assert series["metric"]["job"] == "klaster"
        assert series["metric"]["cluster"] == "zywiec"
        assert float(series["value"][1]) == 1.0
        targets = http_json(f"{api}/api/v1/targets")["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"]
    finally:
        if prometheus is not None:
            prometheus.terminate()
            try:
                prometheus.wait(20)
            except subprocess.TimeoutExpired:
                prometheus.kill()
                prometheus.wait(10)
        assert server.stop(signal.SIGTERM) == 0
