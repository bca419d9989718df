"""Invitation codes with their QR codes render under the content security policy, on
screen and as the printable sheet, and the printed link opens the questionnaire."""

import re
from pathlib import Path

import pytest

from tests.browser.seeding import enrolled_tablet, staff_account
from tests.browser.test_content_security import _violations

pytestmark = pytest.mark.browser


def _log_in(page, base: str, database: Path) -> None:
    username, password = staff_account(database, "researcher")
    # The tablet's browser asks for Danish; this coordinator reads the workspace in English
    # (the login page's language switch), while the printed cards stay Danish by default.
    page.context.add_cookies([{"name": "lm_language", "value": "en", "url": f"{base}/workspace/"}])
    page.goto(f"{base}/workspace/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/workspace/?$"))


def test_invitation_qr_codes_render_under_the_policy_and_the_link_works(live_server: str, live_database: Path, tablet) -> None:
    page = tablet
    enrolled_tablet(live_database)
    _log_in(page, live_server, live_database)
    page.goto(f"{live_server}/workspace/studies/")
    page.locator("a[href^='/workspace/studies/']").first.click()
    page.get_by_role("button", name="Revoke").first.wait_for()
    assert _violations(page) == []  # the study page too, with its tablet list
    # On a phone the wide tables scroll in their own regions; the page itself does not.
    study_url = page.url
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (study_url, f"{study_url}/dashboard"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0, url
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(study_url)
    page.get_by_label("How many codes").fill("2")
    page.get_by_role("button", name="Issue codes", exact=True).click()
    page.get_by_role("heading", name=re.compile("Invitation codes")).wait_for()
    assert page.locator("svg.qr").count() == 2
    # The modules are drawn: the symbol has its full size on screen.
    assert page.locator("svg.qr").first.bounding_box()["width"] > 100
    assert _violations(page) == []

    page.go_back()
    page.get_by_label("How many codes").fill("3")
    page.get_by_role("button", name="Issue codes as printable cards").click()
    page.get_by_role("heading", name=re.compile("Invitation cards")).wait_for()
    assert page.locator(".print-card svg.qr").count() == 3
    # Danish unless English is chosen: the cards are handed to patients.
    assert page.locator(".print-card[lang=da]").count() == 3
    assert "Du er inviteret til at svare på et spørgeskema" in page.locator(".print-card").first.inner_text()
    assert _violations(page) == []
    page.emulate_media(media="print")
    page.screenshot(path="/tmp/invitation-cards-da-print.png")
    assert not page.get_by_role("navigation").is_visible()
    assert page.locator(".print-card").first.is_visible()

    link = page.locator(".print-card .link").first.inner_text()
    assert re.fullmatch(rf"{re.escape(live_server)}/i/[A-HJKMNP-Z2-9]{{4}}(-[A-HJKMNP-Z2-9]{{4}}){{2}}", link), link
    phone = page.context.browser.new_context(locale="da-DK").new_page()
    try:
        phone.goto(link)
        phone.wait_for_url(re.compile(r"/\?lang=da$"))
        phone.get_by_role("button", name=re.compile("^Start$")).wait_for()
    finally:
        phone.context.close()

    page.emulate_media(media="screen")
    page.go_back()
    page.get_by_label("Language of printed cards").select_option("en")
    page.get_by_label("How many codes").fill("1")
    page.get_by_role("button", name="Issue codes as printable cards").click()
    page.get_by_role("heading", name=re.compile("Invitation cards")).wait_for()
    assert page.locator(".print-card[lang=en]").count() == 1
    assert "You are invited to answer a questionnaire" in page.locator(".print-card").inner_text()
