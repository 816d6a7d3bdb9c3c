"""What ``klaster --version`` says: the version of the installed distribution.

The installed metadata (:func:`importlib.metadata.version`) is the truth: it is what ``pip``
installed. A source checkout run without an install (``python -m engine`` with the tree on
``PYTHONPATH``) has no metadata; then the ``pyproject.toml`` next to the packages says which
version the tree is, and the text says it is not installed.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "klaster"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"  # the tree's, if any


def version_number() -> str:
    """The bare version (``0.1.0``), or ``unknown``: for ``klaster_build_info``."""
    words = version_text().split()
    return words[1] if len(words) > 1 and words[1][:1].isdigit() else "unknown"


def version_text() -> str:
    """``klaster X.Y.Z``, from the installed metadata or else the source tree's
    ``pyproject.toml``."""
    try:
        return f"{DISTRIBUTION} {version(DISTRIBUTION)}"
    except PackageNotFoundError:
        pass
    try:
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == DISTRIBUTION and isinstance(project.get("version"), str):
        tree = PYPROJECT.parent
        return f"{DISTRIBUTION} {project['version']} (source tree {tree}, not installed)"
    return f"{DISTRIBUTION} (version unknown: not installed)"
