"""klaster's tests, mirroring the packages: ``tests/matching``, ``tests/engine/<package>``,
``tests/agents/<package>``; helpers shared by several packages live beside this file."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The checkout's root [path]: the tests read shipped files (scenarios, examples) from it."""
