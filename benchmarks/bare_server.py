"""The baseline of the single-order ratio: a bare aiohttp server whose only handler,
``POST /v1/orders``, decodes the JSON body with ``json.loads`` and answers 201 with a small
JSON body. No authorisation, validation, journal or middleware: what any aiohttp service
pays per request on this machine.

Started the way ``klaster serve`` is (:func:`start_bare_server`: a subprocess of the same
interpreter and environment, ``AppRunner``/``TCPSite`` without an access log, the loop that
``asyncio.run`` gives unless ``--loop uvloop``), it prints one line once listening:
``bare: serving on http://HOST:PORT loop=MODULE.CLASS``; SIGTERM stops it with exit 0.
Run by hand: ``python benchmarks/bare_server.py --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from event_loops import running_loop_name

ORDER_IDS = web.AppKey("order_ids", itertools.count)


async def submit(request: web.Request) -> web.Response:
    """Decode the order and answer as klaster does for a new one (201, its id, no client id)."""
    json.loads(await request.read())
    order_id = next(request.app[ORDER_IDS])
    body = b'{"order_id":%d,"client_order_id":null}' % order_id
    return web.Response(body=body, status=201, content_type="application/json")


def create_app() -> web.Application:
    app = web.Application()
    app[ORDER_IDS] = itertools.count(1)
    app.router.add_post("/v1/orders", submit)
    return app


async def serve(host: str, port: int) -> int:
    """Serve until SIGTERM or SIGINT; return the exit code (0)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        print(f"bare: serving on http://{bound_host}:{bound_port} loop={running_loop_name()}")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args(argv)
    factory = None
    if args.loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(serve(args.host, args.port))


@dataclass
class BareServer:
    """A running bare server: its process, URL and the event loop it reported."""

    process: subprocess.Popen[str]
    url: str
    loop: str  # module.Class of its running loop

    def stop(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_bare_server(log: Path, loop: str = "asyncio") -> BareServer:
    """Start this script on a free loopback port with ``--loop loop``, its stderr to
    ``log``; return once it listens."""
    cmd = [sys.executable, __file__, "--port", "0", "--loop", loop]
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    with open(log, "a") as stderr:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    assert process.stdout is not None
    # A readline without a deadline: the server prints its line at once or exits (EOF).
    words = process.stdout.readline().split()
    if words[:3] != ["bare:", "serving", "on"]:
        process.kill()
        raise RuntimeError(f"bare server exited {process.wait(10)}: {log.read_text()}")
    return BareServer(process, words[3], words[4].removeprefix("loop="))


if __name__ == "__main__":
    raise SystemExit(main())
