"""What the tests read from ``deploy/``: the compose file, the dashboard's queries, the
options of ``klaster serve`` that the Dockerfile, compose and the systemd unit pass."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests import REPO

DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "klaster.json"
# Where the server listens and keeps its data: the tests choose their own.
PLACE_OPTIONS = frozenset({"--host", "--port", "--data", "--store"})
METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{|\b((?:klaster|process)_[a-z0-9_]+)")
GROUPING = re.compile(r"\bby\s*\(([^)]*)\)")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def klaster_options() -> list[str]:
    """The options the compose file's klaster service gives ``klaster serve``."""
    return [str(option) for option in compose()["services"]["klaster"]["command"]]


def without_place(options: list[str]) -> list[str]:
    """``options`` without ``--host``, ``--port``, ``--data``, ``--store`` and their values."""
    out, skip = [], False
    for option in options:
        if skip:
            skip = False
        elif option in PLACE_OPTIONS:
            skip = True
        else:
            out.append(option)
    return out


@cache
def serve_help_options() -> frozenset[str]:
    """The options ``klaster serve --help`` lists."""
    done = subprocess.run(
        [sys.executable, "-m", "engine", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return frozenset(re.findall(r"(--[a-z][a-z-]*)", done.stdout))


def long_options(words: list[str]) -> list[str]:
    """The ``--name`` options among ``words`` (``--name=value`` counts as ``--name``)."""
    return [w.split("=", 1)[0] for w in words if w.startswith("--")]


def dashboard_queries(path: Path = DASHBOARD) -> list[str]:
    import json

    board = json.loads(path.read_text())
    return [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]


def query_metrics(expr: str) -> set[str]:
    """The metric (sample) names a PromQL expression reads."""
    names = set()
    for selected, bare in METRIC.findall(expr):
        names.add(selected or bare)
    return names


def query_grouping(expr: str) -> set[str]:
    """The labels an expression groups by (``sum by (a, b)``)."""
    return {label.strip() for group in GROUPING.findall(expr) for label in group.split(",")}
