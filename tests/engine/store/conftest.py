"""The stores under test: one abstract suite runs against each (:mod:`tests.stores`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import Server, throwaway_server
from tests.stores import KINDS, Place, place_in


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A throwaway PostgreSQL server for the session (skips without the binaries; CI
    installs them, see .ci/run)."""
    try:
        with throwaway_server() as server:
            yield server
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=KINDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    """A fresh, empty store of each kind: a data directory, or a PostgreSQL database of its
    own (so a test sees no other test's clusters)."""
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    return place_in(request.param, tmp_path, server)
