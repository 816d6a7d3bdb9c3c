"""Fixtures of the browser tests: one demo server and one browser per module.

Screenshots go to a temporary directory, or to ``$KLASTER_SCREENSHOTS`` when set (the
README's pictures in ``docs/web/`` are made that way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, start_server, wait_ready
from tests.web.browser import Page, start_browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``klaster serve`` of the demo cluster on the wall clock."""
    server = start_server(tmp_path_factory.mktemp("web") / "data")
    try:
        wait_ready(server, timeout=120)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    driver = start_browser(tmp_path_factory.mktemp("chromium"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("KLASTER_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(demo: Server, browser: object, shots: Path) -> Iterator[Page]:
    on_page = Page(browser, demo.url, shots)
    yield on_page
    assert on_page.errors() == []  # no script failed on the page
