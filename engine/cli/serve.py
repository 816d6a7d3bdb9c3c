"""``klaster serve``: the gateway of one cluster's market on a TCP port.

``klaster serve [--config CLUSTER.toml | --NAME VALUE] [--data DIR] [--store URL]
[--host 127.0.0.1] [--port 8080] [--tls-cert FILE --tls-key FILE] [--log-format text|json]
[--access-log] [--standby]``

``--clusters DIR`` or ``--config`` repeated hosts several clusters in this one process
(:mod:`engine.cli.serve_many`: each its own market and journal, under
``/v1/clusters/{id}/``); start-up and shut-down are the same (:func:`run_app`), with one
gate ticker for all of them.

``--store postgresql://...`` keeps the journal and the tokens in PostgreSQL
(:mod:`engine.cli.store_option`); ``DIR`` then holds only the token file of the demo or a
source. With ``--standby`` a second server of the same cluster waits as the standby of the
one that leads, and takes over when it goes (:mod:`engine.cli.standby`).

Logs (:mod:`engine.cli.logs`) go to stderr as text lines or JSON objects; ``--access-log``
adds a record per request (:mod:`engine.cli.access_log`). ``/metrics`` carries
``klaster_build_info`` (:func:`engine.cli.version.build_info`) and the ``process_*`` metrics.

``--NAME VALUE`` are the cluster sources other packages register
(:class:`~engine.cli.plugins.ServeSource`, :mod:`engine.cli.cluster_sources`): the agents'
``--scenario SCENARIO.toml`` serves a simulation scenario's cluster on a simulated clock that
the coordinator moves (``POST /v1/clock``).

Start-up, in order: load the cluster (the built-in demo without ``--config`` or a source;
a source's simulated clock moves on to the journal's last event on a restart); open the
:class:`~engine.market.runtime.Runtime` on ``DIR`` (default ``./data``), which recovers the market
from the journal; open the token store; on the first start of the demo or of a source that
asks for it (no token issued yet) issue one token per member into ``DIR/demo-tokens.txt``
or the source's file, created with mode 0600, and print only its path and how many (never
a token: stdout ends up in terminals' scrollback and services' logs); start the runtime
(group commit, clock ticker); serve :func:`engine.gateway.create_app` with aiohttp's
``AppRunner``/``TCPSite``, HTTPS with ``--tls-cert``/``--tls-key`` (TLS >= 1.2,
:mod:`engine.cli.tls`; a ``--host`` other than loopback without them prints one warning line
to stderr). ``/healthz`` answers from then on; numba's kernels are then warmed up
(:func:`matching.warm_up`, in a thread) and only after that does ``/readyz`` say ready and
one line ``klaster: serving CLUSTER on http(s)://HOST:PORT`` go to stdout (``--port 0``
picks a free port; the line names the real one).

Shut-down on SIGTERM or SIGINT: ``/readyz`` turns not-ready, the listening socket closes (no
new connections), in-flight requests finish (up to ``DRAIN_SECONDS``), the runtime stops
(every appended event is committed, so everything acknowledged is in the journal), exit 0.

A journal write that fails (a full disk, an I/O error) stops the server the same way: from
that moment every request is 503 ``journal-failed`` (nothing after the failure is
acknowledged), the socket closes, in-flight requests finish, the runtime stops without
writing again, one line names the failure on stderr, exit 1. The journal then holds exactly
the acknowledged history; a restart (a supervisor's ``Restart=on-failure``) recovers it.

Exit codes: 0 stopped by a signal; 1 the data directory cannot be served (a journal that
breaks its hash chain or ends before its checkpoint, of another cluster config, a replay
mismatch, another server on it; said in one line on stderr) or its journal could not be
written; 2 bad
arguments, an invalid config, or a TLS certificate or key that cannot be used.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from engine.cli import logs
from engine.cli.cluster_sources import Sources, add_cluster_options, chosen, registered
from engine.cli.member_tokens import DEMO_TOKENS_FILE
from engine.cli.plugins import ServedCluster
from engine.cli.serve_many import add_hosting_options, hosted_clusters, serve_many
from engine.cli.store_option import add_store_option, store_of

if TYPE_CHECKING:  # the market, aiohttp and ssl load when the server starts, not for --help
    import ssl

    from engine.config.cluster import Cluster
    from engine.market.metrics import Metrics
    from engine.market.runtime import Runtime
    from engine.model.clock import SimulatedClock
    from engine.store.place import Store


EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_DATA, DEFAULT_HOST, DEFAULT_PORT = "data", "127.0.0.1", 8080
DRAIN_SECONDS = 10.0  # how long in-flight requests may take to finish at shut-down

log = logging.getLogger("klaster.serve")

AppFactory = Callable[..., Any]  # engine.gateway.create_app's signature


def add_command(commands: Any, sources: Sources | None = None) -> None:
    """Register ``serve`` on the ``klaster`` subparsers, with an option for each of
    ``sources`` (default: the registered ones, :func:`~engine.cli.cluster_sources.registered`)."""
    cmd = commands.add_parser(
        "serve",
        help="serve the cluster's market over HTTP",
        description="Serve the market's HTTP API (/v1, /healthz, /readyz, /metrics) until "
        "SIGTERM or SIGINT.",
    )
    choice = add_cluster_options(
        cmd,
        registered() if sources is None else sources,
        "the cluster (default: the demo); repeat it to host several",
        lambda _name, source: source.help,
        many=True,
    )
    add_hosting_options(choice)
    cmd.add_argument("--data", default=DEFAULT_DATA, metavar="DIR", help="data dir (./data)")
    add_store_option(cmd)
    cmd.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (127.0.0.1)")
    cmd.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (8080; 0 = any)")
    cmd.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS: the certificate (PEM)")
    cmd.add_argument("--tls-key", metavar="FILE", help="serve HTTPS: its private key (PEM)")
    cmd.add_argument(
        "--log-format",
        choices=logs.LOG_FORMATS,
        default="text",
        help="logs on stderr as text lines or one JSON object per line (text)",
    )
    cmd.add_argument(
        "--access-log", action="store_true", help="log every request (method, path, status...)"
    )
    cmd.add_argument(
        "--standby",
        action="store_true",
        help="with --store: if another server leads the cluster, wait as its standby and take "
        "over when its session ends (engine/cli/standby.py)",
    )


def run(args: argparse.Namespace, app_factory: AppFactory | None = None) -> int:
    """Run ``klaster serve``; return the exit code. ``app_factory`` replaces
    :func:`engine.gateway.create_app` (tests)."""
    import asyncio

    from engine.cli.tls import TlsError, is_loopback, server_context
    from engine.config.cluster import ClusterError
    from engine.market.events import EventDecodeError
    from engine.market.recovery import ClusterMismatch
    from engine.market.state import ReplayMismatch
    from engine.store.journal import JournalError
    from engine.store.lock import DataDirLocked
    from engine.store.place import DataDirStore

    try:
        hosted = hosted_clusters(args)  # several clusters, or None
        served = _served(args) if hosted is None else None
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    store = store_of(args)
    if store is None:
        return EXIT_BAD_INPUT
    access_log = getattr(args, "access_log", False)
    standby = getattr(args, "standby", False)
    if standby and (isinstance(store, DataDirStore) or hosted is not None):
        print("klaster: --standby needs --store postgresql://... and one cluster", file=sys.stderr)
        return EXIT_BAD_INPUT
    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if (cert is None) != (key is None):
        print("klaster: --tls-cert and --tls-key go together", file=sys.stderr)
        return EXIT_BAD_INPUT
    ssl_context = None
    if cert is not None:
        try:
            ssl_context = server_context(cert, key)
        except TlsError as exc:
            print(f"klaster: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    elif not is_loopback(args.host):
        print(
            f"klaster: warning: serving on {args.host} without TLS: tokens and orders cross "
            "the network in clear text (use --tls-cert/--tls-key, or a TLS proxy)",
            file=sys.stderr,
        )
    logs.configure(getattr(args, "log_format", "text"))
    if app_factory is None:
        from engine.gateway import create_app  # aiohttp only for the commands that serve

        app_factory = create_app
    try:
        if hosted is not None:
            return asyncio.run(
                serve_many(hosted, Path(args.data), args.host, args.port, store=store,
                           ssl_context=ssl_context, access_log=access_log)
            )  # fmt: skip
        assert served is not None
        return asyncio.run(
            serve(
                served.cluster,
                Path(args.data),
                args.host,
                args.port,
                tokens_file=served.tokens_file,
                app_factory=app_factory,
                clock=served.clock,
                ssl_context=ssl_context,
                store=store,
                access_log=access_log,
                standby=standby,
            )
        )
    except (ClusterMismatch, ReplayMismatch, EventDecodeError, DataDirLocked, JournalError) as exc:
        print(f"klaster: cannot serve {store}: {exc}", file=sys.stderr)
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
    ssl_context: ssl.SSLContext | None = None,
    store: Store | None = None,
    access_log: bool = False,
    standby: bool = False,
) -> int:
    """Serve until SIGTERM/SIGINT (see the module docstring); return the exit code.

    ``tokens_file``: on the first start, issue a token to every member and keep them in
    DIR/tokens_file (the demo cluster and scenarios). ``clock``: a simulated clock (a
    restart moves it on to the journal's last event). ``ssl_context``: serve HTTPS.
    ``store``: where the journal and tokens are (default: ``data_dir``'s SQLite files).
    ``access_log``: log every request. ``standby``: on a PostgreSQL store, wait as the
    standby while another server leads (:mod:`engine.cli.standby`)."""
    import functools

    from engine.cli.member_tokens import issue_token_file
    from engine.market.metrics import Metrics
    from engine.market.runtime import Runtime
    from engine.store.place import DataDirStore, PostgresStore

    store = DataDirStore(data_dir) if store is None else store
    if standby:
        from engine.cli.standby import stand_by

        assert isinstance(store, PostgresStore)
        led, port = await stand_by(store, cluster, clock, host, port, ssl_context, out)
        if led is None:  # stopped by a signal while standing by
            return EXIT_OK
        runtime = led
    else:
        # One cluster: its journal's writer gets a process of its own (no GIL shared with
        # the loop; engine/store/journal_process.py).
        runtime = Runtime.open(store, cluster, clock, own_process=True)
    if runtime.node.proposal_differs:  # the journal is the truth; the file a proposal
        how = (
            f"klaster cluster apply {cluster.source} --data {data_dir}"
            if isinstance(store, DataDirStore)
            else "POST /v1/cluster/changes as the coordinator"
        )
        print(
            f"klaster: {store} serves the configuration its journal holds, not "
            f"{cluster.source}, which differs; to put the file in force: {how}",
            file=out,
        )
    if clock is not None:
        journal = runtime.node.journal
        last = next(journal.read(journal.last_seq), None)
        if last is not None and last.ts_us > clock.now_us():
            clock.advance_to(last.ts_us)
    try:
        tokens = store.open_tokens(cluster.id)
    except BaseException:
        await runtime.stop()
        raise
    try:
        if tokens_file and len(tokens) == 0:
            data_dir.mkdir(parents=True, exist_ok=True)  # the file's place beside a --store
            issue_token_file(cluster, tokens, data_dir / tokens_file, out)
        elif tokens_file and (data_dir / tokens_file).exists():
            print(f"klaster: member tokens are in {data_dir / tokens_file}", file=out)
        elif tokens_file:  # the store had tokens at the first start, or the file was removed
            print(
                f"klaster: no member tokens issued: {tokens.path} already holds some, and "
                f"there is no {data_dir / tokens_file}; klaster members add issues more",
                file=out,
            )

        from engine.cli.version import build_info  # importlib.metadata: not for --help

        app = functools.partial(app_factory, runtime, tokens)
        await run_app(
            [runtime],
            app,
            Metrics(build=build_info()),
            host,
            port,
            ssl_context,
            access_log=access_log,
            out=out,
        )
    finally:
        await runtime.stop()  # commits everything appended: acknowledged orders are durable
        tokens.close()
    if runtime.failure is not None:
        print(
            f"klaster: stopped: the journal in {store} could not be written "
            f"({runtime.failure}); it holds everything acknowledged, restart to go on",
            file=sys.stderr,
        )
        return EXIT_FAILED
    log.info("stopped", extra={logs.FIELDS: {"cluster": cluster.id}})
    return EXIT_OK


async def run_app(
    runtimes: Sequence[Runtime],
    make_app: Callable[..., Any],
    metrics: Metrics,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    *,
    access_log: bool,
    out: TextIO,
) -> None:
    """Start ``runtimes``, serve ``make_app(metrics, ready=...)`` until SIGTERM/SIGINT or a
    journal failure of any of them (see the module docstring), then stop serving; the
    caller stops the runtimes. Each runtime feeds ``metrics.for_cluster(its id)``."""
    import asyncio
    import gc
    import signal

    from aiohttp import web

    from engine.cli.access_log import AccessLogger, access_logger
    from engine.market.gates import GateTicker
    from matching.clearing import warm_up

    names = ", ".join(r.market.cluster.id for r in runtimes)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    ready = False
    warming: asyncio.Future[None] | None = None
    failing: list[asyncio.Future[BaseException]] = []
    ticker = None if len(runtimes) == 1 else GateTicker(runtimes)  # one for many clusters
    try:
        for runtime in runtimes:
            await runtime.start(tick=ticker is None)
            runtime.instrument(metrics.for_cluster(runtime.market.cluster.id))
        if ticker is not None:
            ticker.start()
        app = make_app(metrics, ready=lambda: ready)
        runner = web.AppRunner(
            app,
            shutdown_timeout=DRAIN_SECONDS,
            access_log=access_logger() if access_log else None,
            access_log_class=AccessLogger,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
            await site.start()
            # Compile the kernels off the loop: /healthz keeps answering meanwhile.
            warming = asyncio.ensure_future(asyncio.to_thread(warm_up))
            for runtime in runtimes:  # a failed journal stops serving
                failing.append(asyncio.ensure_future(runtime.wait_failed()))
                failing[-1].add_done_callback(lambda _: stop.set())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait((warming, stopping), return_when=asyncio.FIRST_COMPLETED)
            if warming.done():
                warming.result()
                # What the start made (modules, compiled kernels, the replayed market) lives
                # as long as the process: out of the collector's sight, a full collection
                # scans only what came after (measured: one took ~100 ms mid-load, set p99).
                gc.collect()
                gc.freeze()
                ready = True
                bound_host, bound_port = runner.addresses[0][:2]
                url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
                scheme = "http" if ssl_context is None else "https"
                url = f"{scheme}://{url_host}:{bound_port}"
                print(f"klaster: serving {names} on {url}", file=out)
                out.flush()
                log.info("serving", extra={logs.FIELDS: {"cluster": names, "url": url}})
            await stopping
        finally:
            ready = False
            # Stop listening, let in-flight requests finish, run the app's cleanup.
            await runner.cleanup()
            # The warm-up thread cannot be interrupted; a stop during warm-up waits for it.
            if warming is not None:
                await warming
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        for future in failing:
            future.cancel()
        if ticker is not None:
            await ticker.stop()


def _served(args: argparse.Namespace) -> ServedCluster:
    """What to serve: a registered source's, ``--config``'s cluster or the demo."""
    from engine.config.demo import demo_cluster

    served = chosen(args)
    if served is None:
        return ServedCluster(demo_cluster(), tokens_file=DEMO_TOKENS_FILE)
    return served
