"""Shared fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import Server, throwaway_server


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    """A throwaway PostgreSQL server per test module (CI installs the binaries, see .ci/run;
    without them the tests that need it fail rather than skip)."""
    with throwaway_server() as server:
        yield server
