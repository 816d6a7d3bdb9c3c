"""What other packages add to ``klaster``, found through entry points.

The engine never imports the packages that use it (data flows one way, ``engine/DESIGN.md``),
so the agents' ``klaster simulate``, ``klaster loadtest`` and ``klaster serve --scenario``
register themselves in their distribution's metadata (``pyproject.toml``):

- group ``klaster.commands``: the entry point's name is the command; its object has
  ``add_command(subparsers)``, which adds a subparser of that name, and ``run(args)``, which
  returns the exit code (a module with these two functions will do);
- group ``klaster.serve_sources``: the entry point's name ``NAME`` becomes the option
  ``klaster serve --NAME VALUE``; its object is a :class:`ServeSource` that turns ``VALUE``
  into the :class:`ServedCluster` to serve.

Entry points are read in name order, so ``klaster --help`` lists them the same way on every
machine. One that fails to load is reported on stderr and skipped: the other commands work.
Entry points are metadata of the *installed* distribution: after a change to them, install
again (``pip install -e .``).

They are read from the ``entry_points.txt`` files of the ``*.dist-info`` and ``*.egg-info``
directories on ``sys.path`` (the format of the PyPA's entry points specification), not
through :mod:`importlib.metadata`: importing that module and its ``email`` parser and asking
every installed distribution costs ``klaster --help`` more than everything else it does. A
distribution installed twice counts where ``sys.path`` finds it first, as
``importlib.metadata`` has it; ``tests/engine/cli/test_plugins.py`` checks both agree.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the config loads when a source runs, not for --help
    from engine.config.cluster import Cluster
    from engine.model.clock import SimulatedClock

COMMANDS_GROUP = "klaster.commands"
SERVE_SOURCES_GROUP = "klaster.serve_sources"


@dataclass(frozen=True, slots=True)
class ServedCluster:
    """What ``klaster serve`` serves: the cluster, its clock and where member tokens go."""

    cluster: Cluster
    clock: SimulatedClock | None = None  # None: the wall clock
    # On the first start (no token issued yet), issue one token per member into
    # DIR/tokens_file; None: members get their tokens from `klaster members`.
    tokens_file: str | None = None


@dataclass(frozen=True, slots=True)
class ServeSource:
    """One more way to say what ``klaster serve`` serves (``--NAME VALUE``)."""

    metavar: str  # the value in the usage line, e.g. SCENARIO.toml
    help: str
    # VALUE -> what to serve; raises engine.config.cluster.ClusterError for a bad VALUE
    load: Callable[[str], ServedCluster]


class EntryPoint(NamedTuple):
    """One entry point: ``value`` is ``module:attribute`` (attributes dotted, extras after)."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        """Import the module and return the object the value names."""
        module, _, attribute = self.value.partition("[")[0].strip().partition(":")
        found = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


def _metadata_dirs() -> Iterator[tuple[str, str]]:
    """Yield (normalised distribution name, directory) of the distributions on ``sys.path``,
    each name once, the first found."""
    seen = set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:  # a zip file or a missing directory: no metadata directories here
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            # "klaster-0.1.0.dist-info": the name is before the first "-", normalised
            # (PEP 503: runs of "-", "_" and "." are one, case does not matter).
            distribution = stem.partition("-")[0].lower().replace(".", "_").replace("-", "_")
            if distribution not in seen:
                seen.add(distribution)
                yield distribution, os.path.join(entry or ".", name)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` of the distributions on ``sys.path``."""
    points = []
    for _, directory in _metadata_dirs():
        try:
            with open(os.path.join(directory, "entry_points.txt"), encoding="utf-8") as text:
                lines = text.read().splitlines()
        except OSError:  # most distributions have none
            continue
        section = None
        for line in lines:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
            elif section == group and "=" in line:
                name, _, value = line.partition("=")
                points.append(EntryPoint(name.strip(), value.strip(), group))
    return points


def loaded(group: str) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, object)`` of the entry points of ``group``, in name order (a name
    that two distributions register: the first one's)."""
    seen = set()
    for point in sorted(entry_points(group=group), key=lambda p: (p.name, p.value)):
        if point.name in seen:
            continue
        seen.add(point.name)
        try:
            yield point.name, point.load()
        except Exception as exc:  # a broken plugin must not take the other commands down
            print(f"klaster: ignoring {group} entry point {point.name!r}: {exc}", file=sys.stderr)
