"""``klaster serve`` as a subprocess on a loopback port: demo tokens only in their 0600 file,
readiness, an authenticated order, a graceful SIGTERM that loses nothing acknowledged,
recovery, refusing a tampered journal, a full disk, HTTPS with a certificate made here, and
the warning for clear text off loopback."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

import aiohttp
import pytest

from agents.client.sdk import KlasterClient
from engine.cli.main import main
from engine.cli.tls import is_loopback, server_context
from engine.config.demo import demo_cluster
from engine.market.recovery import open_market
from tests.serving import an_open_interval, an_order, start_server, wait_ready
from tests.tampering import TAMPERINGS, a_day_of_trading


def klaster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_serve_issues_demo_tokens_answers_them_and_drains_to_a_verified_journal(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    try:
        cluster = demo_cluster()
        token_file = data / "demo-tokens.txt"
        assert server.issued and server.tokens_file == token_file
        assert set(server.tokens) == {m.id for m in cluster.members}
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        wait_ready(server)
        said = "".join(server.lines) + server.log.read_text()  # stdout and stderr
        assert f"{len(cluster.members)} member tokens issued into {token_file}" in said
        assert not [t for t in server.tokens.values() if t in said]
        assert "warning" not in said  # loopback: no clear-text warning
        assert server.request("GET", "/healthz")[0] == 200

        start = an_open_interval()
        assert server.request("POST", "/v1/orders", None, an_order(start))[0] == 401
        assert server.request("POST", "/v1/orders", "not-a-token", an_order(start))[0] == 401
        acknowledged = []
        for _ in range(3):
            status, body = server.request(
                "POST", "/v1/orders", server.tokens["dom-01"], an_order(start)
            )
            assert status in (200, 201), body
            acknowledged.append(body["order_id"])
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.log.read_text()

    done = klaster("audit", "verify", "--data", str(data))
    assert done.returncode == 0 and json.loads(done.stdout)["ok"]
    done = klaster("replay", "--data", str(data))
    assert done.returncode == 0 and json.loads(done.stdout)["orders"] == len(acknowledged)

    # A restart on the same directory recovers the orders, issues no new tokens
    again = start_server(data)
    try:
        assert not again.issued and again.tokens == server.tokens
        wait_ready(again)
        status, body = again.request("GET", "/v1/orders", server.tokens["dom-01"])
        assert status == 200
        assert [o["order_id"] for o in body["orders"]] == acknowledged
    finally:
        assert again.stop(signal.SIGINT) == 0, again.log.read_text()


def test_serve_refuses_an_invalid_config_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\nid = 'X'\n")
    done = klaster("serve", "--config", str(bad), "--data", str(tmp_path / "d"), "--port", "0")
    assert done.returncode == 2 and "bad.toml" in done.stderr


@pytest.mark.slow
def test_sigterm_during_a_stream_of_orders_loses_none_that_was_acknowledged(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    wait_ready(server)
    token, start = server.tokens["dom-01"], an_open_interval()
    acknowledged: list[int] = []
    refused: list[BaseException] = []

    def client() -> None:
        for _ in range(2_000):  # bounded; the server stops long before
            try:
                # 1 Wh each: dom-01 may import 3,500 Wh in the interval, the stream stays
                # within it
                order = an_order(start, quantity_wh=1)
                status, body = server.request("POST", "/v1/orders", token, order)
            except OSError as exc:  # refused or reset once the server stops listening
                refused.append(exc)
                return
            if status not in (200, 201):
                return  # e.g. 503 while shutting down: not acknowledged, fine
            acknowledged.append(body["order_id"])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stop(signal.SIGTERM) == 0, server.log.read_text()
    for t in threads:
        t.join(30)
    assert len(acknowledged) >= 50

    node = open_market(data, demo_cluster())
    try:
        journaled = {o["order_id"] for o in node.market.orders("dom-01")}
    finally:
        node.close()
    assert set(acknowledged) <= journaled


@pytest.mark.slow
def test_a_full_disk_stops_serve_with_exit_1_and_a_restart_holds_what_was_acknowledged(
    tmp_path: Path,
) -> None:
    # No file the server writes may pass 256 kB: its journal's write-ahead log reaches that
    # after some dozens of commits, and the write past it fails in the kernel (EFBIG).
    data = tmp_path / "data"
    server = start_server(data, max_file_bytes=256_000)
    wait_ready(server)
    token, start = server.tokens["dom-01"], an_open_interval()
    acknowledged: dict[str, int] = {}
    refused: list[tuple[int, dict]] = []
    for n in range(2_000):  # bounded; the journal fills up long before
        order = dict(an_order(start, quantity_wh=1), client_order_id=f"c{n}")  # within 3,500 Wh
        try:
            status, body = server.request("POST", "/v1/orders", token, order)
        except OSError:  # the server stopped listening
            break
        if status == 201:
            assert not refused, "acknowledged after the journal failed"
            acknowledged[order["client_order_id"]] = body["order_id"]
        else:
            refused.append((status, body))
    assert server.process.wait(30) == 1, server.log.read_text()
    assert acknowledged and refused
    assert all(s == 503 and b["type"].endswith("/journal-failed") for s, b in refused), refused
    assert "could not be written" in server.log.read_text().splitlines()[-1]

    done = klaster("audit", "verify", "--data", str(data))
    assert done.returncode == 0 and json.loads(done.stdout)["ok"]
    again = start_server(data)
    try:
        wait_ready(again)
        listed: dict[str, int] = {}
        cursor = 0
        while cursor is not None:  # every page
            path = f"/v1/orders?limit=1000&cursor={cursor}"
            status, body = again.request("GET", path, server.tokens["dom-01"])
            assert status == 200
            listed |= {o["client_order_id"]: o["order_id"] for o in body["orders"]}
            cursor = body["next_cursor"]
        assert listed == acknowledged
    finally:
        assert again.stop(signal.SIGTERM) == 0, again.log.read_text()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid two days, and its key (PEM)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line makes the test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.mark.slow
def test_serve_with_a_certificate_speaks_https_to_a_client_that_trusts_it(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = start_server(tmp_path / "data", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.url.startswith("https://127.0.0.1:")
        server.ssl_context = ssl.create_default_context(cafile=str(cert))
        wait_ready(server)
        token = server.tokens["dom-01"]
        status, body = server.request("GET", "/v1/orders", token)
        assert (status, body) == (200, {"orders": [], "next_cursor": None})
        server.ssl_context = ssl.create_default_context()  # the system's CAs only
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            server.request("GET", "/healthz")

        async def through_the_sdk() -> list:
            trusting = ssl.create_default_context(cafile=str(cert))
            connector = aiohttp.TCPConnector(ssl=trusting)
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                KlasterClient(server.url, token, session=session) as client,
            ):
                await client.submit_order(an_open_interval(), "PL-TAURON-0011", "buy", 400, 100)
                return await client.orders()

        (order,) = asyncio.run(through_the_sdk())
        assert order.quantity_wh == 100
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()
    assert "warning" not in server.log.read_text()


def test_serving_off_loopback_without_tls_prints_one_warning_line(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the warning comes, then the bind fails.
    done = klaster("serve", "--host", "192.0.2.1", "--port", "0", "--data", str(tmp_path))
    assert done.returncode == 1
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "klaster: warning: serving on 192.0.2.1 without TLS: tokens and orders cross the "
        "network in clear text (use --tls-cert/--tls-key, or a TLS proxy)"
    ]


def test_serve_refuses_half_a_tls_pair_or_an_unusable_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data", str(tmp_path / "data"), "--port", "0"]
    assert main(["serve", *data, "--tls-cert", "cert.pem"]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err
    missing = str(tmp_path / "missing.pem")
    assert main(["serve", *data, "--tls-cert", missing, "--tls-key", missing]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    assert main(["serve", *data, "--tls-cert", str(junk), "--tls-key", str(junk)]) == 2
    assert "not a PEM certificate and its key" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_the_servers_tls_context_refuses_anything_older_than_tls_1_2(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = server_context(str(cert), str(key))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("example.org")


REFUSED_AT_START = (  # issue 10, finding 1: each of these used to be served
    "a sell order's side byte flipped",
    "a price re-encoded one tick higher",
    "a stored hash changed",
    "a timestamp shifted by 1 us",
    "an event's kind changed",
    "the last event deleted",
)


@pytest.mark.parametrize("name", REFUSED_AT_START)
def test_serve_refuses_a_tampered_journal_in_one_line_naming_the_first_bad_event(
    tmp_path: Path, name: str
) -> None:
    tamper, bad_seq, problem = TAMPERINGS[name]
    data = tmp_path / "data"
    a_day_of_trading(data)
    tamper(data)
    done = klaster("serve", "--data", str(data), "--port", "0")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"klaster: cannot serve {data}: ")
    assert f"fails verification at seq {bad_seq} ({problem})" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
