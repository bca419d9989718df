"""A real server process and Debian's Chromium, driven by Playwright.

Locally the browser tests skip with a clear message when Chromium is missing; under
CI=true (where .ci/run installs it) a missing browser is a failure.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "server", *args], env=env, check=True, capture_output=True)


#: Short kiosk timings so the idle-reset test takes seconds, not minutes.
KIOSK_IDLE_SECONDS = 2
KIOSK_GRACE_SECONDS = 2


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file the live server uses (tests add kiosk and invitation codes to it)."""
    return tmp_path_factory.mktemp("live") / "live.sqlite3"


@pytest.fixture(scope="session")
def live_server(live_database: Path) -> Iterator[str]:
    """A migrated SQLite database with the demo study, served by uvicorn on a free port."""
    database = live_database
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "LEASTMEANS_KIOSK_IDLE_SECONDS": str(KIOSK_IDLE_SECONDS),
        "LEASTMEANS_KIOSK_GRACE_SECONDS": str(KIOSK_GRACE_SECONDS),
    }
    _cli("migrate", env=env)
    _cli("demo", "--respondents", "0", "--no-analyse", env=env)
    port = _free_port()
    log = open(database.parent / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {(database.parent / 'server.log').read_text()}")
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


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
