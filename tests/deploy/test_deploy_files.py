"""The deploy files, checked without Docker or systemd running them: the compose file parses
and everything it names exists, the Dockerfile's sources are in the build context, Grafana's
provisioning finds the dashboard and its datasource, and every ``klaster serve`` option the
image, compose and the systemd unit pass is one the command has."""

from __future__ import annotations

import json
import re

import yaml

from tests import REPO
from tests.deploy.stack import (
    COMPOSE,
    DASHBOARD,
    DEPLOY,
    compose,
    dashboard_queries,
    klaster_options,
    long_options,
    query_metrics,
    serve_help_options,
)

DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def test_the_compose_file_parses_and_what_it_names_exists() -> None:
    services = compose()["services"]
    assert {"postgres", "klaster", "prometheus", "grafana"} <= set(services)
    build = services["klaster"]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == REPO
    assert (context / build["dockerfile"]).is_file()
    named_volumes = set(compose()["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in named_volumes, f"{name}: volume {source} is not declared"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for needed in service.get("depends_on", {}):
            assert needed in services


def test_every_option_compose_passes_to_klaster_serve_exists() -> None:
    services = compose()["services"]
    known = serve_help_options()
    for name in ("klaster", "klaster-standby"):
        options = [str(o) for o in services[name]["command"]]
        assert set(long_options(options)) <= known, name
    # a leader and a standby of the same cluster on the compose file's PostgreSQL
    assert services["klaster-standby"]["command"] == services["klaster"]["command"]
    assert {"--store", "--standby"} <= set(services["klaster"]["command"])


def test_the_dockerfile_copies_what_the_build_context_holds() -> None:
    text = DOCKERFILE.read_text()
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    copies = [line.split()[1:-1] for line in text.splitlines() if line.startswith("COPY ")]
    sources = [s for args in copies if not args[0].startswith("--from") for s in args]
    assert "pyproject.toml" in sources and "engine" in sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert source not in ignored, f"{source} is in .dockerignore"
    assert re.search(r"^FROM python:3\.11-slim AS build$", text, re.M)
    assert re.search(r"^USER klaster$", text, re.M)  # not root at run time
    assert "NUMBA_CACHE_DIR=" in text and "warm_up()" in text
    assert "/readyz" in text.split("HEALTHCHECK", 1)[1]


def test_the_image_runs_klaster_serve_with_options_it_has() -> None:
    text = DOCKERFILE.read_text()
    (entrypoint,) = re.findall(r"^ENTRYPOINT (.+)$", text, re.M)
    (cmd,) = re.findall(r"^CMD (.+)$", text, re.M)
    assert json.loads(entrypoint) == ["klaster", "serve"]
    assert set(long_options(json.loads(cmd))) <= serve_help_options()
    assert set(long_options(klaster_options())) <= serve_help_options()


def test_grafana_provisions_the_dashboard_on_the_datasource_it_queries() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())[
        "datasources"
    ]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "klaster.yaml").read_text())[
        "providers"
    ]
    grafana = compose()["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("."))
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert source["url"] == "http://prometheus:9090"
    board = json.loads(DASHBOARD.read_text())
    uids = {panel["datasource"]["uid"] for panel in board["panels"]}
    uids |= {t["datasource"]["uid"] for p in board["panels"] for t in p["targets"]}
    assert uids == {source["uid"]}


def test_the_dashboard_has_the_panels_operations_asked_for() -> None:
    queries = " ".join(dashboard_queries())
    for metric in (
        "klaster_orders_total",  # orders/s by outcome
        "klaster_clearing_duration_seconds_bucket",  # clearing time
        "klaster_last_band_cap_pln_per_mwh",  # price against the band
        "klaster_cleared_volume_wh_total",  # traded volume
        "klaster_journal_commit_duration_seconds_bucket",  # journal commit latency
        "klaster_websocket_streams",  # open streams
        "klaster_problems_total",  # errors by problem type
    ):
        assert metric in queries
    assert query_metrics('sum by (type) (rate(klaster_problems_total{a="b"}[5m]))') == {
        "klaster_problems_total"
    }


def test_the_local_scrape_config_stays_on_loopback() -> None:
    local = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    stack = yaml.safe_load((DEPLOY / "prometheus-compose.yml").read_text())
    (local_targets,) = [c["static_configs"][0]["targets"] for c in local["scrape_configs"]]
    (stack_targets,) = [c["static_configs"][0]["targets"] for c in stack["scrape_configs"]]
    assert local_targets == ["localhost:8080"]
    assert stack_targets == ["klaster:8080"]  # the compose service's name and port
