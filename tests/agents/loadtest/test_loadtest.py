"""``klaster loadtest`` against a real ``klaster serve`` on loopback (single orders and
batches, counts checked against the server's own lists), its refusals (non-loopback URL, bad
arguments, tokens), and the order comparison that decides the verdict."""

from __future__ import annotations

import json
import random
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.client.results import Order
from agents.loadtest.cli import loopback_url
from agents.loadtest.run import (
    LoadResult,
    Point,
    SentOrder,
    Trader,
    Verification,
    _Load,
    compare_orders,
    format_report,
    room_left,
)
from engine.cli.main import main
from engine.config.demo import demo_cluster
from tests.serving import Server, start_server, wait_ready
from tests.terminal import run_in_terminal

TRADERS = [m.id for m in demo_cluster().members if m.role == "member"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("loadtest") / "data"
    s = start_server(data)
    try:
        wait_ready(s)
        yield s
    finally:
        assert s.stop(signal.SIGTERM) == 0, s.log.read_text()


def tokens_file(server: Server) -> str:
    return str(Path(server.log).parent / "data" / "demo-tokens.txt")


def order_ids_on(server: Server) -> set[int]:
    """Every trading member's orders on the server, read independently of the loadtest."""
    ids: set[int] = set()
    for member in TRADERS:
        cursor = 0
        while cursor is not None:  # every page
            path = f"/v1/orders?limit=1000&cursor={cursor}"
            status, body = server.request("GET", path, server.tokens[member])
            assert status == 200, body
            ids |= {o["order_id"] for o in body["orders"]}
            cursor = body["next_cursor"]
    return ids


def loadtest(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``klaster loadtest ARGS --json`` in process: (exit code, report, stderr)."""
    code = main(["loadtest", *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.mark.slow
@pytest.mark.parametrize("batch", [None, 25], ids=["single", "batch"])
def test_a_run_acknowledges_exactly_what_the_server_then_lists(
    server: Server, capsys: pytest.CaptureFixture[str], batch: int | None
) -> None:
    before = order_ids_on(server)
    extra = [] if batch is None else ["--batch", str(batch)]
    args = ["--url", server.url, "--agents", "3", "--duration", "2", *extra]
    code, report, err = loadtest(capsys, *args, "--tokens", tokens_file(server))
    assert code == 0, err
    assert report is not None and report["ok"] and report["batch"] == batch
    assert report["run_id"].startswith("lt-") and len(report["run_id"]) == 11
    assert report["errors"] == {} and report["unexpected_errors"] == 0
    assert report["requests"] > 0
    # Full requests, but for the last of an agent whose member's points ran out of room (a
    # fast server gets there within the run): a short batch.
    short = report["requests"] * (batch or 1) - report["orders"]
    assert 0 <= short <= report["booked_up_agents"] * ((batch or 1) - 1)
    assert report["members"] == 3  # three agents, one member each (round-robin)
    assert report["skipped"] == {"oke": "role coordinator", "tauron-dystrybucja": "role dso"}
    verification = report["verification"]
    assert verification["ok"] and verification["listed"] == report["orders"]
    assert (verification["missing"], verification["extra"], verification["changed"]) == (0, 0, 0)
    # The server's own lists, read here, grew by exactly the acknowledged orders.
    assert len(order_ids_on(server) - before) == report["orders"]
    lat = report["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert report["orders_per_s"] == pytest.approx(report["orders"] / report["elapsed_s"], 0.01)
    assert err == ""  # stderr is no terminal here: no status line


@pytest.mark.slow
def test_on_a_terminal_a_status_line_tells_the_load_and_the_verification(server: Server) -> None:
    command = [sys.executable, "-m", "engine", "loadtest", "--url", server.url]
    args = ["--agents", "2", "--duration", "1", "--tokens", tokens_file(server)]
    code, text = run_in_terminal(command + args)
    assert code == 0, text
    assert "klaster: sending orders for 1 s with 2 agents… " in text
    verified = re.search(
        r"klaster: verifying ([0-9,]+) orders against the server… done in [0-9.]+ s\r\n",
        text,
    )
    assert verified is not None, text
    acknowledged = re.search(r"acknowledged +[0-9,]+ requests, ([0-9,]+) orders", text)
    assert acknowledged is not None and acknowledged[1] == verified[1]  # the report's count


def test_a_token_the_server_refuses_is_skipped(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"# member token\ndom-01 {server.tokens['dom-01']}\n\ndom-02 not-a-token\n")
    args = ["--url", server.url, "--agents", "2", "--duration", "0.3", "--tokens", str(tokens)]
    code, report, err = loadtest(capsys, *args)
    assert code == 0, err
    assert report is not None and report["members"] == 1 and report["verification"]["ok"]
    assert report["skipped"] == {"dom-02": "401 unauthorized (token not-a-to)"}


def test_no_interval_open_for_the_whole_run_exits_1(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--url", server.url, "--agents", "1", "--duration", "86400"]
    code, report, err = loadtest(capsys, *args, "--tokens", tokens_file(server))
    assert (code, report) == (1, None)
    assert "no open interval" in err and "shorten --duration" in err


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1:8080", "http://example.com:8080", "http://[::2]:80", "http://128.0.0.1"],
)
def test_a_host_that_is_not_loopback_is_refused(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["loadtest", "--url", url, "--agents", "1", "--duration", "1"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --url: loopback only" in err


def test_loopback_hosts_are_accepted() -> None:
    for url in (
        "http://127.0.0.1:8080/",
        "http://127.3.2.1",
        "http://[::1]:80",
        "http://localhost",
    ):
        assert loopback_url(url) == url.rstrip("/")
    for bad in ("127.0.0.1:8080", "ftp://127.0.0.1", "http://127.0.0.1:99999"):
        with pytest.raises(Exception, match="expected http|not a URL"):
            loopback_url(bad)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--agents", "0"),
        ("--agents", "two"),
        ("--duration", "0"),
        ("--duration", "-1"),
        ("--duration", "nan"),
        ("--batch", "0"),
    ],
)
def test_bad_arguments_exit_2_with_a_usage_message(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {"--url": "http://127.0.0.1:9", "--agents": "1", "--duration": "1", option: value}
    with pytest.raises(SystemExit) as exited:
        main(["loadtest", *(x for kv in args.items() for x in kv)])
    assert exited.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_a_tokens_file_that_does_not_exist_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.txt"
    args = ["--url", "http://127.0.0.1:9", "--agents", "1", "--duration", "1"]
    code, report, err = loadtest(capsys, *args, "--tokens", str(missing))
    assert (code, report) == (2, None)
    assert f"cannot read tokens {missing}: No such file or directory" in err


def test_a_server_that_does_not_answer_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("dom-01 t1\n")
    args = ["--url", "http://127.0.0.1:9", "--agents", "1", "--duration", "1"]
    code, report, err = loadtest(capsys, *args, "--tokens", str(tokens))
    assert (code, report) == (1, None)
    assert "cannot reach http://127.0.0.1:9" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("oke t1\ntauron-dystrybucja t2\nsomeone t3\n", 'with role "member"'),
        ("dom-01 t1\ndom-02\n", 'tokens.txt:2: expected "member token"'),
    ],
)
def test_a_tokens_file_without_a_usable_line_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(text)
    args = ["--url", "http://127.0.0.1:9", "--agents", "1", "--duration", "1"]
    code, report, err = loadtest(capsys, *args, "--tokens", str(tokens))
    assert (code, report) == (2, None)
    assert message in err


START = 1_767_229_200  # 2026-01-01T01:00Z [s]


def sent(cid: str, member: str = "dom-01", quantity_wh: int = 100) -> SentOrder:
    return SentOrder(cid, member, START, "PL-TAURON-0011", "buy", Decimal("400.00"), quantity_wh)


def listed(order_id: int, quantity_wh: int = 100, cid: str | None = None) -> Order:
    at = datetime.fromtimestamp(START, UTC)
    return Order(
        order_id, at, "PL-TAURON-0011", "buy", Decimal("400"), quantity_wh, "active",
        client_order_id=cid,
    )  # fmt: skip


def test_the_comparison_finds_missing_extra_and_changed_orders() -> None:
    acked = {1: sent("lt-0-0-0"), 2: sent("lt-0-0-1"), 3: sent("lt-0-0-2"), 5: sent("lt-0-1-0")}
    before = {"dom-01": {0}}
    after = {
        "dom-01": [
            listed(0),
            listed(1, cid="lt-0-0-0"),
            listed(3, quantity_wh=99, cid="lt-0-0-2"),
            listed(4),
            listed(5, cid="lt-0-1-0"),
        ],
        "dom-02": [],
    }
    v = compare_orders(acked, before, after)
    assert v == Verification(listed=4, missing=("lt-0-0-1",), extra=(4,), changed=("lt-0-0-2",))
    assert not v.ok
    # listed under another member than the one that sent it: extra there, missing here
    v = compare_orders({7: sent("lt-x", member="dom-02")}, {}, {"dom-01": [listed(7, cid="lt-x")]})
    assert (v.missing, v.extra, v.ok) == (("lt-x",), (7,), False)
    assert compare_orders({1: sent("a")}, {"dom-01": set()}, {"dom-01": [listed(1, cid="a")]}).ok
    # the server holds the order under another client order id: changed
    v = compare_orders({1: sent("a")}, {"dom-01": set()}, {"dom-01": [listed(1, cid="b")]})
    assert v.changed == ("a",) and not v.ok


def a_result(verification: Verification, errors: Counter[str]) -> LoadResult:
    return LoadResult(
        run_id="lt-00000000",
        url="http://127.0.0.1:8080",
        agents=2,
        members=2,
        batch=None,
        duration_s=1.0,
        elapsed_s=1.0,
        client_cpu_s=0.5,
        intervals=(START,),
        requests=0,
        orders=0,
        latencies_s=np.array([]),
        errors=errors,
        in_doubt_orders=0,
        skipped={},
        verification=verification,
    )


def test_429s_are_counted_but_other_errors_and_mismatches_fail_the_run() -> None:
    clean = Verification(0, (), (), ())
    limited = a_result(clean, Counter({"429 rate-limited": 3}))
    assert limited.ok and limited.unexpected_errors == 0
    assert limited.latency_ms() == {"p50": None, "p95": None, "p99": None, "max": None}
    assert "429 rate-limited: 3 (expected, no failure)" in format_report(limited)
    refused = a_result(clean, Counter({"422 price-out-of-band": 1}))
    assert not refused.ok and refused.to_json()["unexpected_errors"] == 1
    mismatch = a_result(Verification(1, ("lt-a",), (), ()), Counter())
    assert not mismatch.ok and "FAILED: 1 missing ['lt-a']" in format_report(mismatch)


def test_a_runs_orders_stay_within_the_room_each_point_has_left_in_each_interval() -> None:
    """The market refuses a point's orders beyond its limit per interval: the run never
    sends them, and stops an agent whose points have no room left."""
    trader = Trader("dom-01", "token", (Point("PL-TAURON-0011", 3000, 2000),))
    booked = {(START, "PL-TAURON-0011", "sell"): 1990}  # before the run
    room = room_left([trader], [START], booked)
    assert room == {(START, "PL-TAURON-0011", "buy"): 3000, (START, "PL-TAURON-0011", "sell"): 10}
    load = _Load(
        "http://127.0.0.1:1", "lt-1", 7, {START: (100, 200)}, Decimal("0.01"), 0.0, 1, room
    )
    made: list[SentOrder] = []
    rng = random.Random(5)
    while orders := load.make_orders(trader, rng, 0, len(made)):
        assert len(orders) == 7 or not any(room.values())  # short only at the end
        made += orders
    held = Counter[str]()
    for o in made:
        held[o.side] += o.quantity_wh
        assert 1 <= o.quantity_wh <= (3 if o.side == "buy" else 2)  # a 1,000th of the limit
    assert held == {"buy": 3000, "sell": 10} and not any(room.values())
    load.give_back(made[-3:])  # refused: their room is free again
    assert sum(room.values()) == sum(o.quantity_wh for o in made[-3:])
