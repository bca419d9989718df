"""The release gate as people use it in Chromium: a second researcher reviews, an admin
releases, double presses move a publication once, Back after a step shows no stale
button that works, and the pages fit a phone."""

import re
from pathlib import Path

import pytest

from tests.browser.seeding import publication, staff_account

pytestmark = pytest.mark.browser


def _audited(database: Path, number: int) -> list[str]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT action FROM audit_entry WHERE target = ? ORDER BY id", (f"publication:{number}",)).fetchall()
    return [row[0] for row in rows]


def _log_in(page, base: str, database: Path, role: str) -> None:
    username, password = staff_account(database, role)
    # The browsers here ask for Danish; these staff read the workspace in English (the login
    # page's language switch keeps that choice in a cookie).
    page.context.add_cookies([{"name": "lm_language", "value": "en", "url": f"{base}/workspace/"}])
    page.goto(f"{base}/workspace/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/workspace/?$"))


def test_review_then_release_with_double_presses_and_back(live_server: str, live_database: Path, tablet, chromium) -> None:
    number = publication(live_database, seed=21)  # data no other browser test releases
    page = tablet
    _log_in(page, live_server, live_database, "researcher")
    page.get_by_role("link", name="Publications").click()
    page.get_by_role("link", name=f"Open publication {number}").click()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "draft"
    page.get_by_role("button", name="Mark reviewed").dblclick()
    page.locator('[data-status="reviewed"]').first.wait_for()
    # A researcher may not release.
    assert page.get_by_role("button", name="Release to the authority").count() == 0

    admin = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    try:
        _log_in(admin, live_server, live_database, "admin")
        admin.goto(f"{live_server}/workspace/publications/{number}")
        button = admin.get_by_role("button", name="Release to the authority")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        # Tap the exact middle of the button, twice in quick succession.
        admin.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        admin.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        admin.locator('[data-status="released"]').first.wait_for()
        # Nothing on the phone page is wider than the phone.
        assert admin.evaluate("document.documentElement.scrollWidth") <= 390
        # Back shows the reviewed page from history; pressing its button again releases nothing.
        admin.go_back()
        if admin.get_by_role("button", name="Release to the authority").count():
            admin.get_by_role("button", name="Release to the authority").click()
            admin.get_by_role("alert").filter(has_text="released").first.wait_for()
        admin.goto(f"{live_server}/workspace/publications/{number}")
        assert admin.locator("[data-status]").first.get_attribute("data-status") == "released"
    finally:
        admin.context.close()
    actions = _audited(live_database, number)
    assert actions.count("publication_reviewed") == 1 and actions.count("publication_released") == 1, actions
