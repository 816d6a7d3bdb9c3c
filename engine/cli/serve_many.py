"""``klaster serve`` of several clusters: ``--config`` repeated, or ``--clusters DIR``.

``--clusters DIR`` serves every ``*.toml`` file in DIR (not its subdirectories), in name
order; each file is one cluster config, and the cluster's id is the ``[cluster] id`` it
holds (a slug, ``[a-z0-9-]{1,40}``, checked by the config), never the file's name, so a
renamed file keeps its journal. Two files of one id are refused (exit 2).

Each cluster is its own single-writer market: its own
:class:`~engine.market.runtime.Runtime` (market, journal, group commit, clock ticker and
gate closures), tokens and stream hub. Its journal and tokens are in ``DIR/clusters/{id}/``
of the data directory (a data directory of its own: ``journal.sqlite``, ``tokens.sqlite``,
the writer's lock), or under its id in the ``--store`` database. ``--clusters DIR`` (even
with one file) and a repeated ``--config`` use that layout; a single ``--config`` keeps the
data directory's own files, as before. Tokens are issued with ``klaster members add
--cluster ID``.

The HTTP API is :func:`engine.gateway.platform.create_platform`: each cluster under
``/v1/clusters/{id}/``; ``/metrics`` labels the market's metrics by ``cluster``. Start-up,
shut-down and exit codes are :mod:`engine.cli.serve`'s; a journal that fails in any cluster
stops the whole server (exit 1) and a restart replays every journal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the market loads when the server starts, not for --help
    import ssl

    from engine.config.cluster import Cluster
    from engine.store.place import Store


def add_hosting_options(choice: Any) -> None:
    """Add ``--clusters DIR`` to the group of ``--config`` (one or the other)."""
    choice.add_argument(
        "--clusters",
        metavar="DIR",
        help="host every cluster config (*.toml) in DIR, each its own market and journal",
    )


def hosted_clusters(args: argparse.Namespace) -> list[Cluster] | None:
    """The clusters of ``--clusters DIR`` or of a repeated ``--config``; None for one
    cluster (or the demo, or a source's). Raises ClusterError for a bad file, an empty
    directory or two clusters of one id."""
    from engine.config.cluster import ClusterError, load_cluster

    directory = getattr(args, "clusters", None)
    configs = args.config if isinstance(args.config, list) else []
    if directory is not None:
        paths = sorted(p for p in Path(directory).glob("*.toml") if p.is_file())
        if not paths:
            raise ClusterError(directory, "", "no cluster config (*.toml) in the directory")
    elif len(configs) > 1:
        paths = [Path(c) for c in configs]
    else:
        return None
    clusters: dict[str, Cluster] = {}
    for path in paths:
        cluster = load_cluster(path)
        if cluster.id in clusters:
            first = clusters[cluster.id].source
            raise ClusterError(str(path), "cluster.id", f"{cluster.id!r} is {first}'s id too")
        clusters[cluster.id] = cluster
    return list(clusters.values())


async def serve_many(
    clusters: list[Cluster],
    data_dir: Path,
    host: str,
    port: int,
    *,
    store: Store,
    ssl_context: ssl.SSLContext | None,
    access_log: bool,
    out: Any = sys.stdout,
) -> int:
    """Serve ``clusters`` until SIGTERM/SIGINT (see the module docstring); the exit code."""
    import functools

    from engine.cli import logs
    from engine.cli.serve import EXIT_FAILED, EXIT_OK, log, run_app
    from engine.cli.version import build_info
    from engine.gateway.platform import create_platform
    from engine.market.metrics import Metrics
    from engine.market.runtime import Runtime

    hosted: list[tuple[Runtime, Any]] = []
    try:
        for cluster in clusters:
            place = store.of_cluster(cluster.id)
            runtime = Runtime.open(place, cluster)
            try:
                hosted.append((runtime, place.open_tokens(cluster.id)))
            except BaseException:
                await runtime.stop()
                raise
            if len(hosted[-1][1]) == 0:
                print(
                    f"klaster: {cluster.id} has no member tokens yet; klaster members add "
                    f"MEMBER --cluster {cluster.id} issues them",
                    file=out,
                )
            if runtime.node.proposal_differs:  # the journal is the truth; the file a proposal
                print(
                    f"klaster: {cluster.id} serves the configuration its journal holds, not "
                    f"{cluster.source}, which differs (POST /v1/clusters/{cluster.id}/cluster/"
                    "changes as its coordinator puts the file in force)",
                    file=out,
                )
        metrics = Metrics(build=build_info(), by_cluster=True)
        app = functools.partial(create_platform, hosted)
        await run_app([r for r, _ in hosted], app, metrics, host, port, ssl_context,
                      access_log=access_log, out=out)  # fmt: skip
    finally:
        for runtime, tokens in hosted:
            await runtime.stop()  # commits everything appended: acknowledged is durable
            tokens.close()
    failed = [(r.market.cluster.id, r.failure) for r, _ in hosted if r.failure is not None]
    for cluster_id, failure in failed:
        print(
            f"klaster: stopped: the journal of {cluster_id} in {store} could not be written "
            f"({failure}); it holds everything acknowledged, restart to go on",
            file=sys.stderr,
        )
    log.info("stopped", extra={logs.FIELDS: {"cluster": ",".join(c.id for c in clusters)}})
    return EXIT_FAILED if failed else EXIT_OK
