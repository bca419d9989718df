"""A real server process and Debian's Chromium, driven by Playwright.

Locally the browser tests skip with a clear message when Chromium is missing; under
CI=true (where .ci/run installs it) a missing browser is a failure.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.process import run_cli, start_server
from tests.browser.tablet_steps import DATABASES

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: Short kiosk timings so the idle-reset test takes seconds, not minutes.
KIOSK_IDLE_SECONDS = 2
KIOSK_GRACE_SECONDS = 2


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file the live server uses (tests add kiosk and invitation codes to it)."""
    return tmp_path_factory.mktemp("live") / "live.sqlite3"


@pytest.fixture(scope="session")
def live_server(live_database: Path) -> Iterator[str]:
    """A migrated SQLite database with the demo study, served by uvicorn on a free port (demo mode)."""
    url = f"sqlite:///{live_database}"
    env = {
        "LEASTMEANS_KIOSK_IDLE_SECONDS": str(KIOSK_IDLE_SECONDS),
        "LEASTMEANS_KIOSK_GRACE_SECONDS": str(KIOSK_GRACE_SECONDS),
        # Most tablet tests start from the open welcome screen, which only demo mode shows
        # (the tests of enrolled tablets and invitations use their credentials).
        "LEASTMEANS_DEMO_MODE": "1",
    }
    run_cli(url, "migrate")
    run_cli(url, "demo", "--respondents", "0", "--no-publish")
    server = start_server(url, live_database.parent / "server.log", env=env)
    DATABASES[server.base_url] = live_database
    yield server.base_url
    server.stop()


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    """A headless Chromium (Debian's package) under Playwright.

    Package-scoped: Playwright's sync API runs its own event loop, which must be gone
    before the async tests of other packages start theirs.
    """
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package to run browser tests"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tablet(chromium: object) -> Iterator[object]:
    """A fresh tablet-sized, touch-enabled page that records JavaScript errors."""
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="da-DK")  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.on("console", lambda message: page.js_errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
