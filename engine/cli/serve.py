"""``klaster serve``: the gateway of one cluster's market on a TCP port.

``klaster serve [--config CLUSTER.toml | --NAME VALUE] [--data DIR] [--host 127.0.0.1]
[--port 8080]``

``--NAME VALUE`` are the cluster sources other packages register
(:class:`~engine.cli.plugins.ServeSource`): the agents' ``--scenario SCENARIO.toml`` serves a
simulation scenario's cluster on a simulated clock that the coordinator moves
(``POST /v1/clock``).

Start-up, in order: load the cluster (the built-in demo without ``--config`` or a source;
a source's simulated clock moves on to the journal's last event on a restart); open the
:class:`~engine.market.runtime.Runtime` on ``DIR`` (default ``./data``), which recovers the market
from the journal; open the token store; on the first start of the demo or of a source that
asks for it (no token issued yet) issue one token per member, print them once to stdout and
write them to ``DIR/demo-tokens.txt`` or the source's file (mode 0600); start the runtime
(group commit, clock ticker); serve
:func:`engine.gateway.create_app` with aiohttp's ``AppRunner``/``TCPSite``. ``/healthz``
answers from then on; numba's kernels are then warmed up (:func:`matching.warm_up`, in a
thread) and only after that does ``/readyz`` say ready and one line
``klaster: serving CLUSTER on http://HOST:PORT`` go to stdout (``--port 0`` picks a free
port; the line names the real one).

Shut-down on SIGTERM or SIGINT: ``/readyz`` turns not-ready, the listening socket closes (no
new connections), in-flight requests finish (up to ``DRAIN_SECONDS``), the runtime stops
(every appended event is committed, so everything acknowledged is in the journal), exit 0.

Exit codes: 0 stopped by a signal; 1 the data directory cannot be served (a journal that
breaks its hash chain or ends before its checkpoint, of another cluster config, a replay
mismatch, another server on it), said in one line on stderr; 2 bad arguments or an invalid
config.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from engine.cli.plugins import SERVE_SOURCES_GROUP, ServedCluster, ServeSource, loaded
from engine.config.cluster import Cluster, ClusterError, load_cluster
from engine.config.demo import demo_cluster
from engine.market.events import EventDecodeError
from engine.market.metrics import Metrics
from engine.market.recovery import ClusterMismatch
from engine.market.runtime import Runtime
from engine.market.state import ReplayMismatch
from engine.model.clock import SimulatedClock
from engine.store.journal import JournalError
from engine.store.lock import DataDirLocked
from engine.store.tokens import TokenStore

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_DATA, DEFAULT_HOST, DEFAULT_PORT = "data", "127.0.0.1", 8080
DEMO_TOKENS_FILE = "demo-tokens.txt"
DRAIN_SECONDS = 10.0  # how long in-flight requests may take to finish at shut-down

AppFactory = Callable[..., Any]  # engine.gateway.create_app's signature


def add_command(commands: Any) -> None:
    """Register ``serve`` on the ``klaster`` subparsers."""
    cmd = commands.add_parser(
        "serve",
        help="serve the cluster's market over HTTP",
        description="Serve the market's HTTP API (/v1, /healthz, /readyz, /metrics) until "
        "SIGTERM or SIGINT.",
    )
    source = cmd.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="CLUSTER.toml", help="the cluster (default: the demo)")
    sources: dict[str, ServeSource] = {}
    for name, plugin in loaded(SERVE_SOURCES_GROUP):
        if not isinstance(plugin, ServeSource) or name in ("config", "data", "host", "port"):
            print(f"klaster: ignoring serve source {name!r}", file=sys.stderr)
            continue
        source.add_argument(f"--{name}", dest=_dest(name), metavar=plugin.metavar, help=plugin.help)
        sources[name] = plugin
    cmd.set_defaults(serve_sources=sources)
    cmd.add_argument("--data", default=DEFAULT_DATA, metavar="DIR", help="data dir (./data)")
    cmd.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (127.0.0.1)")
    cmd.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (8080; 0 = any)")


def run(args: argparse.Namespace, app_factory: AppFactory | None = None) -> int:
    """Run ``klaster serve``; return the exit code. ``app_factory`` replaces
    :func:`engine.gateway.create_app` (tests)."""
    try:
        served = _served(args)
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    if app_factory is None:
        from engine.gateway import create_app  # aiohttp only for the commands that serve

        app_factory = create_app
    try:
        return asyncio.run(
            serve(
                served.cluster,
                Path(args.data),
                args.host,
                args.port,
                tokens_file=served.tokens_file,
                app_factory=app_factory,
                clock=served.clock,
            )
        )
    except (ClusterMismatch, ReplayMismatch, EventDecodeError, DataDirLocked, JournalError) as exc:
        print(f"klaster: cannot serve {args.data}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the port is taken, the data directory is not writable, ...
        print(f"klaster: {exc}", file=sys.stderr)
        return EXIT_FAILED


async def serve(
    cluster: Cluster,
    data_dir: Path,
    host: str,
    port: int,
    *,
    tokens_file: str | None,
    app_factory: AppFactory,
    out: TextIO = sys.stdout,
    clock: SimulatedClock | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT (see the module docstring); return the exit code.

    ``tokens_file``: on the first start, issue a token to every member and keep them in
    DIR/tokens_file (the demo cluster and scenarios). ``clock``: a simulated clock (a
    restart moves it on to the journal's last event)."""
    from aiohttp import web

    from matching.clearing import warm_up

    runtime = Runtime.open(data_dir, cluster, clock)
    if clock is not None:
        journal = runtime.node.journal
        last = next(journal.read(journal.last_seq), None)
        if last is not None and last.ts_us > clock.now_us():
            clock.advance_to(last.ts_us)
    tokens = TokenStore.open(data_dir)
    try:
        if tokens_file and len(tokens) == 0:
            _issue_tokens(cluster, tokens, data_dir / tokens_file, out)
        elif tokens_file and (data_dir / tokens_file).exists():
            print(f"klaster: member tokens are in {data_dir / tokens_file}", file=out)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)

        ready = False
        warming: asyncio.Future[None] | None = None
        await runtime.start()
        metrics = Metrics()
        runtime.instrument(metrics)
        app = app_factory(runtime, tokens, metrics, ready=lambda: ready)
        runner = web.AppRunner(app, shutdown_timeout=DRAIN_SECONDS, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            # Compile the kernels off the loop: /healthz keeps answering meanwhile.
            warming = asyncio.ensure_future(asyncio.to_thread(warm_up))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait((warming, stopping), return_when=asyncio.FIRST_COMPLETED)
            if warming.done():
                warming.result()
                ready = True
                bound_host, bound_port = runner.addresses[0][:2]
                url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
                print(f"klaster: serving {cluster.id} on http://{url_host}:{bound_port}", file=out)
                out.flush()
            await stopping
        finally:
            ready = False
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            # Stop listening, let in-flight requests finish, run the app's cleanup.
            await runner.cleanup()
            # The warm-up thread cannot be interrupted; a stop during warm-up waits for it.
            if warming is not None:
                await warming
    finally:
        await runtime.stop()  # commits everything appended: acknowledged orders are durable
        tokens.close()
    print("klaster: stopped", file=sys.stderr)
    return EXIT_OK


def _dest(name: str) -> str:
    return "source_" + name.replace("-", "_")


def _served(args: argparse.Namespace) -> ServedCluster:
    """What to serve: a registered source's, ``--config``'s cluster or the demo."""
    for name, plugin in getattr(args, "serve_sources", {}).items():
        value = getattr(args, _dest(name))
        if value is not None:
            return plugin.load(value)
    if args.config is not None:
        return ServedCluster(load_cluster(args.config))
    return ServedCluster(demo_cluster(), tokens_file=DEMO_TOKENS_FILE)


def _issue_tokens(cluster: Cluster, tokens: TokenStore, path: Path, out: TextIO) -> None:
    """Issue one token per member, print them once (up to 20) and keep them in ``path``."""
    lines = [f"{member.id} {tokens.issue(member.id)}" for member in cluster.members]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a stale file from an earlier data directory keeps its mode
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"# member token ({cluster.id}; shown once, kept only here)\n")
        f.write("\n".join(lines) + "\n")
    print(f"klaster: member tokens (also in {path}, mode 0600):", file=out)
    for line in lines[:20]:
        print(f"  {line}", file=out)
    if len(lines) > 20:
        print(f"  ... and {len(lines) - 20} more in {path}", file=out)
    out.flush()
