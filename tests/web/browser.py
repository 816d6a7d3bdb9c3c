"""A real browser for the web page's tests: Debian's chromium, headless, driven by
selenium through Debian's chromedriver (``.ci/run`` installs both and refuses to run
without them; on a machine without them the tests skip).

Chromium starts with every background service off (no network on the test machines: a
lookup would hang it) and a fresh profile per browser. :class:`Page` holds what the tests
do on the page: sign in, wait for an element or a text, confirm a dialog, save a
screenshot.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 15.0  # the longest a test waits for the page to show something
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def start_browser(profile: Path) -> Any:
    """A headless chromium with a fresh profile in ``profile`` (skips without chromium)."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromedriver are needed (Debian: chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


class Page:
    """The web page of the server at ``url`` in ``driver``."""

    def __init__(self, driver: Any, url: str, shots: Path) -> None:
        self.driver = driver
        self.url = url
        self.shots = shots

    def sign_in(self, token: str) -> None:
        """Open the page signed out, sign in with ``token`` and wait for the header."""
        self.driver.get(self.url + "/")
        self.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        self.driver.get(self.url + "/")
        self.find("#token").send_keys(token)
        self.find("#signin button[type=submit]").click()
        self.find("#who")

    def go(self, tab: str) -> None:
        self.find(f"#tab-{tab}").click()
        self.until(lambda: self.driver.execute_script("return location.hash") == f"#{tab}")

    def find(self, css: str) -> WebElement:
        return self.until(lambda: self._first(css))

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str, contains: str) -> WebElement:
        """The element at ``css`` once its text holds ``contains``."""
        return self.until(lambda: self._with_text(css, contains))

    def gone(self, css: str) -> None:
        self.until(lambda: not self.all(css))

    def confirm(self) -> None:
        """Answer the page's confirmation dialog with yes."""
        self.find("dialog#confirm[open] #confirm-yes").click()
        self.until(lambda: not self.all("dialog#confirm[open]"))

    def until(self, condition: Callable[[], Any], timeout: float = WAIT_S) -> Any:
        def check(_driver: Any) -> Any:
            try:
                return condition()
            except StaleElementReferenceException:  # the page re-rendered under us
                return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(check)

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / name
        self.driver.save_screenshot(str(path))
        return path

    def errors(self) -> list[str]:
        """The browser console's errors since the last call: scripts that failed (not the
        refusals the API answered, which the page shows)."""
        return [
            e["message"]
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
        ]

    def _first(self, css: str) -> WebElement | None:
        found = self.all(css)
        return found[0] if found and found[0].is_displayed() else None

    def _with_text(self, css: str, contains: str) -> WebElement | None:
        for el in self.all(css):
            if contains in el.text:
                return el
        return None
