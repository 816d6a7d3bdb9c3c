"""Operations basics of a running ``klaster serve``: ``klaster_build_info`` and the
``process_*`` metrics on ``/metrics``, JSON log lines and the access log."""

from __future__ import annotations

import io
import json
import logging
import signal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.cli.logs import JsonFormatter, access_record, configure
from engine.cli.version import version_number
from engine.market.metrics import Metrics
from tests.serving import an_open_interval, an_order, start_server, wait_ready


def test_metrics_say_the_build_and_the_process() -> None:
    families = {
        f.name: f
        for f in text_string_to_metric_families(Metrics(version="9.9.9").exposition().decode())
    }
    (build,) = families["klaster_build_info"].samples  # text format: an info is a gauge
    assert build.name == "klaster_build_info" and build.value == 1.0
    assert build.labels["version"] == "9.9.9" and build.labels["python"].count(".") == 2
    for name in ("process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds"):
        assert families[name].samples[0].value > 0
    assert version_number()[:1].isdigit()  # the tree's pyproject.toml, or the install's


def test_a_json_record_carries_its_fields_and_its_error() -> None:
    out = io.StringIO()
    logger = logging.getLogger("klaster.test-json")
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        try:
            raise OSError("disk full")
        except OSError:
            logger.error("commit failed: %s", "x", exc_info=True, extra={"fields": {"seq": 7}})
    finally:
        logger.removeHandler(handler)
    record = json.loads(out.getvalue())
    assert record["message"] == "commit failed: x" and record["level"] == "error"
    assert record["seq"] == 7 and "OSError: disk full" in record["error"]
    assert record["ts"].endswith("Z") and record["logger"] == "klaster.test-json"


def test_the_text_access_log_is_one_line_per_request() -> None:
    out = io.StringIO()
    configure("text", access_log=True, stream=out)
    access = logging.getLogger("klaster.access")
    try:

        class Request:
            method, path, remote = "GET", "/v1/me", "127.0.0.1"

        access_record(access, Request(), 200, 512, 0.0012)
    finally:  # as it was: no handler of its own, records propagate
        access.handlers.clear()
        access.propagate, access.level = True, logging.NOTSET
    assert out.getvalue() == '127.0.0.1 "GET /v1/me" 200 512 0.001200\n'


@pytest.mark.slow
def test_serve_logs_json_lines_with_an_access_record_per_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, "--log-format", "json", "--access-log")
    try:
        wait_ready(server)
        token = server.tokens["dom-01"]
        assert server.request("POST", "/v1/orders", token, an_order(an_open_interval()))[0] == 201
        status, metrics = server.request("GET", "/metrics")
        assert status == 200 and "klaster_build_info{" in metrics
        assert "process_resident_memory_bytes" in metrics
    finally:
        assert server.stop(signal.SIGTERM) == 0
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]
    access = [r for r in lines if r["logger"] == "klaster.access"]
    assert {"method": "POST", "path": "/v1/orders", "status": 201}.items() <= access[-2].items()
    assert access[-1]["path"] == "/metrics" and access[-1]["duration_s"] >= 0
    assert not [line for line in server.log.read_text().splitlines() if token in line]
