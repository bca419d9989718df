"""The API documentation at /schema renders with no network beyond the server itself:
every request to another host is aborted, and the operations still appear."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

#: Where the screenshot goes (look at it after a change to the viewer).
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))


def test_the_schema_page_renders_its_operations_without_internet(live_server: str, chromium) -> None:  # type: ignore[no-untyped-def]
    server_host = urlsplit(live_server).hostname
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    context.set_default_timeout(15_000)
    requested: list[str] = []
    aborted: list[str] = []

    def only_this_server(route, request) -> None:  # type: ignore[no-untyped-def]
        requested.append(request.url)
        if urlsplit(request.url).hostname == server_host:
            route.continue_()
        else:
            aborted.append(request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_this_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(f"{live_server}/schema")
        assert response is not None and response.ok
        # Swagger UI fetched the schema and rendered the authority API's operations.
        latest = page.locator(".opblock-summary-path[data-path='/api/v1/gradation']")
        latest.first.wait_for(state="visible")
        assert page.locator(".opblock-summary-path[data-path='/api/v1/gradation/{number}']").first.is_visible()
        assert page.locator(".opblock").count() > 5
        page.screenshot(path=str(SCREENSHOT_DIR / "schema-offline.png"), full_page=False)
        # Opened, the operation shows the conditional headers and the 304 it documents.
        latest.first.click()
        opened = page.locator(".opblock.is-open")
        conditional = opened.get_by_text("If-Modified-Since", exact=True).first
        conditional.wait_for(state="visible")
        conditional.scroll_into_view_if_needed()
        assert opened.locator(".response[data-code='304']").count() == 1
        page.screenshot(path=str(SCREENSHOT_DIR / "schema-offline-gradation.png"), full_page=False)
    finally:
        context.close()

    assert aborted == [], f"the page asked for other hosts: {aborted}"
    assert any(url.endswith("/schema/openapi.json") for url in requested)
    assert errors == []
