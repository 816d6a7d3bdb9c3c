"""One ``klaster serve`` hosting three clusters, on each store (the ``place`` fixture: a data
directory, and PostgreSQL): orders to each under ``/v1/clusters/{id}/``, a token of one
cluster refused on another's paths, gate closures of one cluster leaving the others open,
and a restart that replays every cluster's journal."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.store.place import DataDirStore
from tests.serving import Server, an_open_interval, an_order, start_server, wait_ready
from tests.stores import Place

CLUSTERS = ("north", "south", "west")
DEMO_TOML = Path(__file__).parents[3] / "engine" / "config" / "clusters" / "demo.toml"


def cluster_files(directory: Path) -> Path:
    """Three copies of the demo cluster config, each with an id of its own (the file names
    differ from the ids on purpose: the id is the document's)."""
    directory.mkdir()
    text = DEMO_TOML.read_text()
    for n, cluster_id in enumerate(CLUSTERS):
        named = text.replace('id = "zywiec"', f'id = "{cluster_id}"', 1)
        assert named != text
        (directory / f"{n}-klaster.toml").write_text(named)
    return directory


def where(place: Place, data: Path) -> list[str]:
    if isinstance(place.store, DataDirStore):
        return ["--data", str(place.store.path)]
    return ["--data", str(data), "--store", place.store.url]


def issue_tokens(place: Place, configs: Path, data: Path) -> dict[str, dict[str, str]]:
    """dom-01's and the coordinator's token in each cluster: the first through ``klaster
    members add --cluster``, the rest straight into each cluster's token store."""
    added = subprocess.run(
        [sys.executable, "-m", "engine", "members", "add", "dom-01", "--cluster", "north",
         "--clusters", str(configs), *where(place, data)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    tokens = {"north": {"dom-01": added.stdout.strip()}}
    for cluster_id in CLUSTERS:
        with contextlib.closing(
            place.store.of_cluster(cluster_id).open_tokens(cluster_id)
        ) as store:
            for member in ("dom-01", "oke"):
                if member not in tokens.setdefault(cluster_id, {}):
                    tokens[cluster_id][member] = store.issue(member)
    return tokens


def orders_of(server: Server, cluster_id: str, token: str) -> list[int]:
    status, body = server.request("GET", f"/v1/clusters/{cluster_id}/orders", token)
    assert status == 200, body
    return [o["order_id"] for o in body["orders"]]


@pytest.mark.slow
def test_one_server_hosts_three_clusters_apart_and_replays_each_journal(
    place: Place, tmp_path: Path
) -> None:
    configs = cluster_files(tmp_path / "configs")
    data = tmp_path / "files"
    if isinstance(place.store, DataDirStore):
        data = place.store.path
    tokens = issue_tokens(place, configs, data)
    if isinstance(place.store, DataDirStore):  # a data directory of its own per cluster
        assert all((data / "clusters" / c / "tokens.sqlite").is_file() for c in CLUSTERS)
    server = start_server(data, "--clusters", str(configs), *where(place, data)[2:])
    start = an_open_interval()
    try:
        wait_ready(server)
        assert server.lines[-1].startswith("klaster: serving north, south, west on ")
        status, listed = server.request("GET", "/v1/clusters")
        assert status == 200
        assert [(c["id"], c["api"]) for c in listed["clusters"]] == [
            (c, f"/v1/clusters/{c}") for c in CLUSTERS
        ]

        acknowledged: dict[str, list[int]] = {}
        for n, cluster_id in enumerate(CLUSTERS):  # 1, 2 and 3 orders
            for _ in range(n + 1):
                status, body = server.request(
                    "POST",
                    f"/v1/clusters/{cluster_id}/orders",
                    tokens[cluster_id]["dom-01"],
                    an_order(start),
                )
                assert status == 201, body
                acknowledged.setdefault(cluster_id, []).append(body["order_id"])
        assert [len(acknowledged[c]) for c in CLUSTERS] == [1, 2, 3]
        for cluster_id in CLUSTERS:
            assert (
                orders_of(server, cluster_id, tokens[cluster_id]["dom-01"])
                == (acknowledged[cluster_id])
            )

        # A token opens only its own cluster; a cluster not hosted is not found.
        status, body = server.request("GET", "/v1/clusters/south/orders", tokens["north"]["dom-01"])
        assert (status, body["type"].rsplit("/", 1)[1]) == (403, "wrong-cluster")
        status, body = server.request("GET", "/v1/clusters/east/orders", tokens["north"]["dom-01"])
        assert (status, body["type"].rsplit("/", 1)[1]) == (404, "unknown-cluster")
        status, body = server.request("GET", "/v1/orders", tokens["north"]["dom-01"])
        assert status == 404 and "/v1/clusters/{cluster_id}/orders" in body["detail"]
        status, body = server.request("GET", "/v1/clusters/south/orders", "not-a-token")
        assert status == 401

        # The coordinator of south closes its gate early: north's and west's stay open.
        status, body = server.request(
            "POST", f"/v1/clusters/south/intervals/{start}/close", tokens["south"]["oke"]
        )
        assert status in (200, 201), body
        states = {}
        for cluster_id in CLUSTERS:
            status, body = server.request(
                "GET", f"/v1/clusters/{cluster_id}/intervals/{start}", tokens[cluster_id]["oke"]
            )
            assert status == 200, body
            states[cluster_id] = body["result"] is not None
        assert states == {"north": False, "south": True, "west": False}

        status, health = server.request("GET", "/healthz")
        assert status == 200 and set(health["clusters"]) == set(CLUSTERS)
        status, metrics = server.request("GET", "/metrics")
        assert 'klaster_orders_total{cluster="west",outcome="accepted",side="buy"} 3.0' in metrics
        assert 'klaster_clearing_duration_seconds_count{cluster="south"} 1.0' in metrics
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()

    again = start_server(data, "--clusters", str(configs), *where(place, data)[2:])
    try:
        wait_ready(again)
        assert again.request("GET", "/healthz") == (200, health)  # every journal replayed
        for cluster_id in CLUSTERS:
            assert (
                orders_of(again, cluster_id, tokens[cluster_id]["dom-01"])
                == (acknowledged[cluster_id])
            )
        status, body = again.request(
            "GET", f"/v1/clusters/south/intervals/{start}", tokens["south"]["oke"]
        )
        assert body["result"] is not None
    finally:
        assert again.stop(signal.SIGINT) == 0, again.log.read_text()
    if isinstance(place.store, DataDirStore):
        assert all((data / "clusters" / c / "journal.sqlite").is_file() for c in CLUSTERS)
        assert not (data / "journal.sqlite").exists()
