"""Helpers for tests that run ``klaster serve`` as a subprocess on a loopback port.

Waits are bounded; the server's stderr goes to a log file next to its data directory. The
member tokens are read from the 0600 file whose path the server prints (it prints no token).
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import resource
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.store.tokens import read_token_file

START_TIMEOUT = 120.0  # a cold numba cache compiles every kernel before /readyz
TOKENS_LINE = re.compile(
    r"klaster: (?:(?P<issued>\d+) member tokens issued into|member tokens are in) "
    r"(?P<path>.+?)(?: \(mode 0600\))?$"
)


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine", "serve", *args]


@dataclass
class Server:
    """A running ``klaster serve``: its process, URL and the member tokens of the file it
    named (``issued``: on this start; ``tokens`` stays empty if it named none)."""

    process: subprocess.Popen[str]
    log: Path
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    tokens_file: Path | None = None
    issued: bool = False
    ssl_context: ssl.SSLContext | None = None  # trusts the server's certificate (HTTPS)
    more: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise

    def request(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """One HTTP request with JSON in and out; return (status, decoded body or text)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ssl_context) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get_content_type()
        except urllib.error.HTTPError as exc:
            status, raw, ctype = exc.code, exc.read(), exc.headers.get_content_type()
        if ctype.endswith("json"):
            return status, json.loads(raw)
        return status, raw.decode()


def start_server(
    data: Path,
    *extra: str,
    timeout: float = START_TIMEOUT,
    max_file_bytes: int | None = None,
    until: str = "klaster: serving",
) -> Server:
    """Start ``klaster serve --port 0`` on ``data``; return once it printed its URL (the
    last word of the first line starting with ``until``: a standby's ``klaster: standby``).
    ``max_file_bytes``: no file the server writes may grow beyond it (``RLIMIT_FSIZE``: a
    write past it fails as on a full disk). The server's later lines go on into
    :attr:`Server.more`."""
    cmd = serve_command("--data", str(data), "--host", "127.0.0.1", "--port", "0", *extra)
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    # stderr to a file: an undrained pipe could block a chatty server
    data.parent.mkdir(parents=True, exist_ok=True)
    stderr = open(data.parent / f"{data.name}-serve.log", "a")  # noqa: SIM115
    limit = None if max_file_bytes is None else functools.partial(_limit_files, max_file_bytes)
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, preexec_fn=limit
    )
    stderr.close()
    server = Server(process, log=Path(stderr.name))
    lines = server.more

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not server.url:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise TimeoutError(f"klaster serve printed no URL in {timeout} s") from None
        if line is None:
            raise RuntimeError(f"klaster serve exited {process.wait()}: {server.log.read_text()}")
        server.lines.append(line)
        named = TOKENS_LINE.match(line.rstrip("\n"))
        if line.startswith(until):
            server.url = line.split()[-1]
        elif named:
            server.issued = named["issued"] is not None
            server.tokens_file = Path(named["path"])
            server.tokens = dict(read_token_file(server.tokens_file))
    return server


def _limit_files(max_bytes: int) -> None:
    """In the child before it runs: files it writes stop at ``max_bytes`` (Python ignores
    SIGXFSZ, so such a write fails with EFBIG rather than killing the process)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def an_open_interval() -> int:
    """The start [s] of an interval of the demo cluster whose gate is at least 10 minutes
    away (on the wall clock)."""
    from engine.config.demo import demo_cluster

    length = demo_cluster().interval_seconds
    return (int(time.time()) // length + 2) * length


def an_order(start: int, side: str = "buy", quantity_wh: int = 100) -> dict[str, Any]:
    """One order of dom-01 (connection point PL-TAURON-0011) at 400.00 PLN/MWh."""
    return {
        "interval_start": start,
        "connection_point": "PL-TAURON-0011",
        "side": side,
        "price": "400.00",
        "quantity_wh": quantity_wh,
    }


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if server.request("GET", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"/readyz not ready in {timeout} s")
