"""What ``klaster --version`` says: the version of the installed distribution.

The installed metadata (:func:`importlib.metadata.version`) is the truth: it is what ``pip``
installed. A source checkout run without an install (``python -m engine`` with the tree on
``PYTHONPATH``) has no metadata; then the ``pyproject.toml`` next to the packages says which
version the tree is, and the text says it is not installed. :func:`build_info` gives the
labels of the ``klaster_build_info`` metric.
"""

from __future__ import annotations

import platform
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "klaster"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"  # the tree's, if any


def version_text() -> str:
    """``klaster X.Y.Z``, from the installed metadata or else the source tree's
    ``pyproject.toml``."""
    number, installed = _version()
    if number is None:
        return f"{DISTRIBUTION} (version unknown: not installed)"
    if installed:
        return f"{DISTRIBUTION} {number}"
    return f"{DISTRIBUTION} {number} (source tree {PYPROJECT.parent}, not installed)"


def build_info() -> dict[str, str]:
    """What runs: ``version`` (klaster's, ``unknown`` without one), ``python`` and
    ``numba`` (their versions)."""
    import numba  # the matching kernels' compiler: a serving process has it loaded anyway

    number, _installed = _version()
    return {
        "version": number or "unknown",
        "python": platform.python_version(),
        "numba": numba.__version__,
    }


def _version() -> tuple[str | None, bool]:
    """klaster's version and whether it is installed (else read from the source tree)."""
    try:
        return version(DISTRIBUTION), True
    except PackageNotFoundError:
        pass
    try:
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == DISTRIBUTION and isinstance(project.get("version"), str):
        return project["version"], False
    return None, False
