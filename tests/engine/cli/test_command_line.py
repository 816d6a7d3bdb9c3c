"""What every ``klaster`` command shares: a reader that closes the pipe early, the help of
each command, ``--version``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed
from pathlib import Path

import pytest

import engine.cli.version
from engine.cli.main import build_parser
from engine.store.tokens import TokenStore
from tests import REPO

EXAMPLE = REPO / "matching" / "examples" / "book.csv"


def run_into_a_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``klaster ARGS`` with stdout a pipe whose reader is gone before the command
    writes (what ``| head -1`` does once it has its line): every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "engine", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("members", "list"), 1),  # 1: the output could not be written
        (("clear", str(EXAMPLE)), 1),
        (("--help",), 0),  # argparse's help ignores a failed write and exits 0
    ],
    ids=["members-list", "clear", "help"],
)
def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly(
    tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    TokenStore.open(tmp_path).close()
    data = ("--data", str(tmp_path)) if args[0] == "members" else ()
    done = run_into_a_closed_pipe(*args, *data)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr
    assert done.returncode == code


def commands(parser: argparse.ArgumentParser, path: str = "klaster") -> list[tuple[str, str, str]]:
    """``(command path, help line in its parent's list, description)`` of every (sub)command
    under ``parser``."""
    found = []
    for action in parser._actions:  # argparse keeps subparsers only here
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            found.append((f"{path} {name}", helps.get(name, ""), sub.description or ""))
            found += commands(sub, f"{path} {name}")
    return found


def test_every_command_has_a_help_line_and_a_description() -> None:
    found = commands(build_parser())
    names = {path for path, _, _ in found}
    assert {"klaster replay", "klaster audit verify", "klaster members add"} <= names
    assert [path for path, line, _ in found if not line.strip()] == []
    assert [path for path, _, text in found if len(text.split()) < 5] == []


def test_version_prints_the_installed_distribution_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout == f"klaster {installed('klaster')}\n"


def test_version_of_a_tree_that_is_not_installed_is_its_pyproject_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_installed(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(engine.cli.version, "version", not_installed)
    text = engine.cli.version.version_text()
    assert text.startswith(f"klaster {installed('klaster')} (source tree ")
    assert text.endswith("not installed)")
    monkeypatch.setattr(engine.cli.version, "PYPROJECT", Path("/nonexistent/pyproject.toml"))
    assert engine.cli.version.version_text() == "klaster (version unknown: not installed)"
