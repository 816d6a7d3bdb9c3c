"""The README's Python examples run as written.

- "The engine": its example, in a fresh working directory (it makes ``data/`` there).
- "Client": the prosumer bot, against a live ``klaster serve`` of the demo on the wall clock,
  with ``TOKEN`` (dom-01's) and ``KLASTER_URL`` set. The bot offers in every open interval
  and then waits for its first fill; the test gives it one (once the bot's stream is open, a
  school buys at the cap and the coordinator closes that interval's gate early) and the bot
  must print it and end. It ends within its minute in any case.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, an_open_interval, start_server, wait_ready

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
BOT_SECONDS = 60  # the bot's own limit on watching its stream
STREAMS = re.compile(r"^klaster_websocket_streams (\S+)$", re.M)


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of the README's ``## section``."""
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    (body,) = [p for p in parts if p.startswith(section + "\n")]
    return PYTHON_BLOCK.findall(body)


def run_python(code: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``python -c code`` in ``cwd`` with this tree importable and ``env`` set."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=os.environ | {"PYTHONPATH": str(ROOT)} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_engine_example_runs_as_written(tmp_path: Path) -> None:
    (code,) = python_blocks("The engine")
    process = run_python(code, tmp_path, {})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[:3] == [
        # seq 1 and 2: the journal's fingerprint and configuration
        "Done(seq=3, order_id=1, repeat=False)",
        "Done(seq=4, order_id=2, repeat=False)",
        "Done(seq=5, order_id=None, repeat=False)",
    ]
    assert "'quantity': array([1200])" in lines[3]  # the school bought dom-01's 1200 Wh
    assert (tmp_path / "data").is_dir()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    served = start_server(tmp_path / "data")
    try:
        wait_ready(served, timeout=120)
        yield served
    finally:
        served.stop()


def streams_open(server: Server) -> float:
    _, text = server.request("GET", "/metrics")
    found = STREAMS.search(text)
    return float(found[1]) if found else 0.0


def test_the_client_sections_bot_runs_as_written_and_ends_at_its_first_fill(
    tmp_path: Path, server: Server
) -> None:
    (code,) = python_blocks("Client")
    env = {"TOKEN": server.tokens["dom-01"], "KLASTER_URL": server.url}
    bot = run_python(code, tmp_path, env)
    try:
        # the bot has booked its offers once its stream is open
        deadline = time.monotonic() + 60
        while streams_open(server) < 1:
            assert bot.poll() is None, bot.communicate()
            assert time.monotonic() < deadline, "the bot opened no stream"
            time.sleep(0.1)
        start = an_open_interval()  # among the 8 the bot offered in, its gate 10+ min away
        status, offers = server.request(
            "GET", f"/v1/intervals/{start}/depth", server.tokens["dom-01"]
        )
        assert status == 200 and offers["asks"], offers
        buy = {
            "interval_start": start,
            "connection_point": "PL-TAURON-0008",  # the school's
            "side": "buy",
            "price": offers["asks"][0]["price"],
            "quantity_wh": 100,
        }
        school = server.tokens["szkola-zywiec"]
        assert server.request("POST", "/v1/orders", school, buy)[0] == 201
        status, _ = server.request("POST", f"/v1/intervals/{start}/close", server.tokens["oke"])
        assert status == 200
        out, err = bot.communicate(timeout=BOT_SECONDS + 30)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.communicate()
    assert bot.returncode == 0, err
    assert re.fullmatch(r"100 Wh at \d+\.\d{2} PLN/MWh\n", out), out
