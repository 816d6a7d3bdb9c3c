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
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

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
