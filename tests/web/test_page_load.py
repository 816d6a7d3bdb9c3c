"""How fast the coordinator's first view appears with 300 members and a full day of
intervals, each with an order of every member (28,704 orders), against the demo cluster's
empty market in the same run: measured in the browser (Navigation Timing and the page's
``klaster-first-view`` mark, set once the calendar and one interval's curves are drawn),
printed, not asserted (a wall-clock limit would fail on a busy machine, not on a slow page).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.store.tokens import TokenStore
from tests.serving import Server, start_server, wait_ready
from tests.web.browser import Page

MEMBERS = 300  # the coordinator and 299 households
HORIZON = 96  # a day of 15-minute intervals open for orders
LOADS = 3  # first views measured per server (the median is reported)

HEAD = f"""
[cluster]
id = "wielki"
name = "Klaster testowy 300"
timezone = "Europe/Warsaw"
interval_minutes = 15
gate_closure_minutes = 5
horizon_intervals = {HORIZON}
continuous_minutes = 0
mechanism = "uniform"
k = 0.5
rationing = "pro-rata"
tick_pln_mwh = "0.01"
network_fee_pln_mwh = "45.00"

[prices]
floor_pln_mwh = "250.00"
cap_pln_mwh = "900.00"
"""

MEMBER = """
[[members]]
id = "{id}"
name = "{name}"
role = "{role}"
[[members.connection_points]]
id = "PL-W-{n:04d}"
terc = "2417011"
dso = "TAURON Dystrybucja"
max_import_kw = "20"
max_export_kw = "10"
"""


def member_id(n: int) -> str:
    return "oke" if n == 0 else f"dom-{n:03d}"


def cluster_toml() -> str:
    members = [
        MEMBER.format(
            id=member_id(n),
            name="Koordynator" if n == 0 else f"Gospodarstwo {n}",
            role="coordinator" if n == 0 else "member",
            n=n,
        )
        for n in range(MEMBERS)
    ]
    return HEAD + "".join(members)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``klaster serve`` of a 300-member cluster whose members each ordered in every open
    interval (one batch per member)."""
    root = tmp_path_factory.mktemp("big")
    config = root / "wielki.toml"
    config.write_text(cluster_toml())
    data = root / "data"
    with TokenStore.open(data) as store:
        tokens = {member_id(n): store.issue(member_id(n)) for n in range(MEMBERS)}
    server = start_server(data, "--config", str(config))
    server.tokens = tokens
    try:
        wait_ready(server, timeout=120)
        _, calendar = server.request("GET", f"/v1/intervals?count={HORIZON + 1}", tokens["oke"])
        starts = [e["interval_start"] for e in calendar["intervals"] if e["state"] == "open"]
        for n in range(1, MEMBERS):
            side = "sell" if n % 2 else "buy"
            price = f"{300 + n % 200}.00" if side == "sell" else f"{320 + n % 250}.00"
            batch = [
                {
                    "interval_start": s,
                    "connection_point": f"PL-W-{n:04d}",
                    "side": side,
                    "price": price,
                    "quantity_wh": 100 + n,
                }
                for s in starts
            ]
            status, answer = server.request("POST", "/v1/orders", tokens[member_id(n)], batch)
            assert status == 201, answer
        yield server
    finally:
        server.stop()


def first_view(page: Page, token: str) -> dict[str, float]:
    """Open the signed-in page afresh; the browser's timings of its first view [ms]."""
    page.driver.get(page.url + "/")
    page.driver.execute_script(
        "sessionStorage.setItem('klaster.token', arguments[0]); localStorage.clear();", token
    )
    page.driver.get(page.url + "/")
    page.find('#curves[data-at-gate="false"]')
    timing: dict[str, Any] = page.driver.execute_script(
        """
        const nav = performance.getEntriesByType("navigation")[0];
        const view = performance.getEntriesByName("klaster-first-view")[0];
        const bytes = performance.getEntriesByType("resource")
          .reduce((sum, r) => sum + r.transferSize, nav.transferSize);
        return {dom: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                view: view ? view.startTime : null, bytes: bytes,
                rows: document.querySelectorAll("#calendar-table tbody tr").length};
        """
    )
    return timing


def measure(page: Page, token: str) -> dict[str, float]:
    runs = [first_view(page, token) for _ in range(LOADS)]
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def test_the_first_view_with_300_members_and_a_full_day(
    big: Server, demo: Server, browser: Any, shots: Path
) -> None:
    empty = measure(Page(browser, demo.url, shots), demo.tokens["oke"])
    page = Page(browser, big.url, shots)
    loaded = measure(page, big.tokens["oke"])  # the page stays on this server
    assert loaded["rows"] == HORIZON + 9 and loaded["view"] is not None
    page.screenshot("coordinator-300-members.png")
    started = page.driver.execute_script("return performance.now()")
    page.go("members")
    page.until(lambda: len(page.all("#members-table > tbody > tr")) == MEMBERS)
    members_ms = page.driver.execute_script("return performance.now()") - started
    when = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"\nfirst view of the coordinator's page ({when}, median of {LOADS} loads, loopback):"
        f"\n  300 members, {HORIZON} intervals x 299 orders: DOMContentLoaded "
        f"{loaded['dom']:.0f} ms, load {loaded['load']:.0f} ms, calendar and curves drawn "
        f"{loaded['view']:.0f} ms, {loaded['bytes'] / 1024:.0f} KiB"
        f"\n  demo cluster, empty books (baseline): DOMContentLoaded {empty['dom']:.0f} ms, "
        f"load {empty['load']:.0f} ms, calendar and curves drawn {empty['view']:.0f} ms"
        f"\n  ratio {loaded['view'] / empty['view']:.2f}; the members view (300 rows): "
        f"{members_ms:.0f} ms"
    )
