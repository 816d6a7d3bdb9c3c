"""Agents use the engine only through its facade (``engine``), the API's wire types
(``engine.api``) and ``matching``: the engine's insides may move without breaking them."""

from __future__ import annotations

from tests.imports import imported_modules, within

ALLOWED = ("engine.api",)  # besides the facade itself


def _reaches_inside(module: str) -> bool:
    if not within(module, "engine") or module == "engine":
        return False
    return not any(within(module, allowed) for allowed in ALLOWED)


def test_agents_import_only_the_engine_facade_its_api_and_matching() -> None:
    found = []
    for path, line, module in imported_modules("agents"):
        if _reaches_inside(module):
            found.append(f"{path}:{line} imports {module}")
    assert found == []


def test_the_rule_tells_the_facade_from_the_insides() -> None:
    assert _reaches_inside("engine.config.cluster")
    assert _reaches_inside("engine.config")  # `from engine import config`
    assert not _reaches_inside("engine")  # `from engine import Market`
    assert not _reaches_inside("engine.api.orders")
    assert not _reaches_inside("matching.units")
