"""Every page type renders fully under the content security policy (no inline code)."""

from pathlib import Path

import pytest

from server.process import run_cli

pytestmark = pytest.mark.browser


def _violations(page) -> list[str]:
    return [e for e in page.js_errors if "Content Security Policy" in e or "Refused to" in e]


def test_pages_load_their_styles_without_breaking_the_policy(live_server: str, live_database: Path, tablet) -> None:
    url = f"sqlite:///{live_database}"
    run_cli(url, "demo", "--respondents", "6", "--no-publish", "--seed", "11")
    run_cli(url, "publish", "--no-models", "--resamples", "20", "--by", "test")
    run_cli(url, "publication-public", "1")
    page = tablet
    for path in ("/", "/gradation", "/workspace/login"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.ok, path
        # A stylesheet that applied sets the body margin to 0 (the browser default is 8px).
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px", path
        assert _violations(page) == [], path
