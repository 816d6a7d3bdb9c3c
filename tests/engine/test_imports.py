"""Data flows one way: nothing under ``engine/`` imports ``agents/`` (the agents register
their commands through entry points, ``engine/cli/plugins.py``)."""

from __future__ import annotations

from tests.imports import imported_modules, within


def test_nothing_under_engine_imports_agents() -> None:
    found = [
        f"{path}:{line} imports {module}"
        for path, line, module in imported_modules("engine")
        if within(module, "agents")
    ]
    assert found == []
