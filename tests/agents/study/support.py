"""A small study for the tests: the sim tests' small scenario, two mechanisms, two seeds,
one day (4 runs of a few members each)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from engine.cli import plugins
from engine.cli.main import main
from engine.cli.plugins import COMMANDS_GROUP
from tests import REPO
from tests.agents.sim.test_scenario import SMALL

STUDY = """
[study]
name = "small"
scenarios = ["small.toml"]
mechanisms = ["uniform", "trade-reduction"]
seeds = [3, 4]
days = 1
"""


def write_study(folder: Path, text: str = STUDY) -> Path:
    """Write ``text`` as study.toml next to the small scenario in ``folder``; return it."""
    (folder / "small.toml").write_text(SMALL)
    path = folder / "study.toml"
    path.write_text(text)
    return path


def declared(group: str) -> dict[str, str]:
    """The entry points ``pyproject.toml`` declares in ``group``: name -> object."""
    document = tomllib.loads((REPO / "pyproject.toml").read_text())
    return document["project"]["entry-points"][group]


@contextmanager
def klaster() -> Iterator[Callable[[list[str]], int]]:
    """``klaster``'s ``main`` with the commands the checkout's ``pyproject.toml`` registers
    (the installed metadata may predate them until ``pip install -e .`` runs again)."""
    points = [EntryPoint(n, v, COMMANDS_GROUP) for n, v in declared(COMMANDS_GROUP).items()]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            plugins, "entry_points", lambda group: points if group == COMMANDS_GROUP else []
        )
        yield main
