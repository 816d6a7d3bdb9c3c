"""A real Prometheus server (Debian's ``prometheus`` binary) for tests, on a free loopback
port with its data in the test's directory, and the helpers to ask it things."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

READY_TIMEOUT = 60.0  # [s]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def wait_for(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    """Call ``probe`` until it returns something true (OSError counts as not yet); return
    that, or raise TimeoutError after ``timeout`` [s]."""
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


def retargeted(config: str, targets: dict[str, str]) -> str:
    """A scrape config of deploy/ for a test: each ``"HOST:PORT"`` target of ``targets``
    replaced by the loopback address it maps to, and every interval and timeout at 1 s."""
    for old, new in targets.items():
        assert f'"{old}"' in config, f"no target {old} in the config"
        config = config.replace(f'"{old}"', f'"{new}"')
    assert "5s" in config and "scrape_timeout: 4s" in config
    return config.replace("5s", "1s").replace("scrape_timeout: 4s", "scrape_timeout: 1s")


def start_prometheus(directory: Path, config: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start Prometheus with ``config``, its data and log in ``directory``; return the
    process and its API's base URL once it says it is ready."""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    log = open(directory / "prometheus.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
    )
    log.close()
    try:
        ready = lambda: urllib.request.urlopen(api + "/-/ready").status  # noqa: E731
        wait_for("Prometheus ready", ready, READY_TIMEOUT)
    except BaseException:
        stop_prometheus(process)
        raise
    return process, api


def stop_prometheus(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
