"""Every page type renders fully under the content security policy (no inline code)."""

from pathlib import Path

import pytest

from tests.browser.seeding import publication

pytestmark = pytest.mark.browser


def _violations(page) -> list[str]:
    return [e for e in page.js_errors if "Content Security Policy" in e or "Refused to" in e]


def test_pages_load_their_styles_without_breaking_the_policy(live_server: str, live_database: Path, tablet) -> None:
    publication(live_database, public=True)
    page = tablet
    for path in ("/", "/gradation", "/workspace/login"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.ok, path
        # A stylesheet that applied sets the body margin to 0 (the browser default is 8px).
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px", path
        assert _violations(page) == [], path
