"""Which cluster a command means: ``--config CLUSTER.toml`` or a registered source.

``klaster serve`` and ``klaster replay`` offer the same choice: a cluster config, or
``--NAME VALUE`` of a :class:`~engine.cli.plugins.ServeSource` that another package registers
in the entry-point group ``klaster.serve_sources`` (the agents' ``--scenario SCENARIO.toml``).
Both turn the choice into a cluster the same way, so a journal written by ``klaster serve
--scenario FILE`` replays with ``klaster replay --scenario FILE``: the same entry point reads
FILE into the same cluster, whose fingerprint the journal's first event holds.

A file given as ``--config`` that is not a cluster config but one a source reads (a scenario)
is refused with the source's option to use instead, in one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from engine.cli.plugins import SERVE_SOURCES_GROUP, ServedCluster, ServeSource, loaded

Sources = Sequence[tuple[str, ServeSource]]
RESERVED = (
    "config",
    "data",
    "store",
    "cluster",
    "host",
    "port",
    "tls-cert",
    "tls-key",
)  # options of their own: no source may take them


def registered() -> Sources:
    """The registered sources, in name order; one that is no :class:`ServeSource` or whose
    name is an option of its own is reported on stderr and left out."""
    sources = []
    for name, plugin in loaded(SERVE_SOURCES_GROUP):
        if not isinstance(plugin, ServeSource) or name in RESERVED:
            print(f"klaster: ignoring serve source {name!r}", file=sys.stderr)
            continue
        sources.append((name, plugin))
    return sources


def add_cluster_options(
    command: argparse.ArgumentParser,
    sources: Sources,
    config_help: str,
    source_help: Callable[[str, ServeSource], str],
    *,
    many: bool = False,
) -> argparse._MutuallyExclusiveGroup:
    """Add ``--config`` and one ``--NAME`` per source to ``command``, one of them at most,
    and return their group; ``source_help(name, source)`` is an option's help text.
    ``many``: ``--config`` may be repeated (a list; :func:`chosen` takes a single one)."""
    choice = command.add_mutually_exclusive_group()
    action = "append" if many else "store"
    choice.add_argument("--config", metavar="CLUSTER.toml", help=config_help, action=action)
    for name, source in sources:
        choice.add_argument(
            f"--{name}", dest=_dest(name), metavar=source.metavar, help=source_help(name, source)
        )
    command.set_defaults(cluster_sources=dict(sources))
    return choice


def chosen(args: argparse.Namespace) -> ServedCluster | None:
    """What the options name: a source's cluster, ``--config``'s, or None when neither was
    given (the command's default); raises :class:`ClusterError` for a bad value."""
    from engine.config.cluster import ClusterError, load_cluster

    sources: dict[str, ServeSource] = getattr(args, "cluster_sources", {})
    for name, source in sources.items():
        value = getattr(args, _dest(name))
        if value is not None:
            return source.load(value)
    path = args.config[0] if isinstance(args.config, list) else args.config
    if path is None:
        return None
    try:
        return ServedCluster(load_cluster(path))
    except ClusterError as exc:
        name = _reader_of(path, sources)
        if name is None:
            raise
        hint = f"{exc.message} (it is a --{name} file: use --{name} {path})"
        raise ClusterError(exc.source, exc.where, hint) from None


def _reader_of(path: str, sources: dict[str, ServeSource]) -> str | None:
    """The name of the first source that reads ``path``, if any."""
    from engine.config.cluster import ClusterError

    for name, source in sources.items():
        try:
            source.load(path)
        except ClusterError:
            continue
        return name
    return None


def _dest(name: str) -> str:
    return "source_" + name.replace("-", "_")
