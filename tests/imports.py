"""Which modules the Python files of a package import, read with ``ast`` (nothing is run),
for the tests that keep data flowing one way (``engine/DESIGN.md``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> Iterator[tuple[str, int, str]]:
    """Yield ``(file, line, module)`` for every import under ``ROOT/package``.

    ``from M import a, b`` yields ``M``, and ``M.a`` if ``a`` is a submodule in this tree;
    relative imports are resolved; ``importlib.import_module("M")`` and ``__import__("M")``
    with a literal name count too.
    """
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        parts = list(relative.with_suffix("").parts)
        here = parts[:-1]  # the file's package (a package's __init__ is in it too)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(relative))
        for node in ast.walk(tree):
            for module in _modules(node, here):
                yield str(relative), getattr(node, "lineno", 0), module


def _modules(node: ast.AST, package: list[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # from ..x import y: relative to the file's package
            anchor = package[: len(package) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = (f"{base}.{alias.name}" for alias in node.names)
        return [base, *(name for name in names if _is_module(name))]
    if (
        isinstance(node, ast.Call)
        and _callee(node.func) in ("import_module", "__import__")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def within(module: str, prefix: str) -> bool:
    """True if ``module`` is ``prefix`` or inside it."""
    return module == prefix or module.startswith(prefix + ".")
