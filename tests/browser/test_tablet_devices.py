"""Ward tablets (kiosk), own devices (invitation, resume code) and network outages."""

import re
from pathlib import Path

import pytest

from tests.browser.conftest import KIOSK_GRACE_SECONDS, KIOSK_IDLE_SECONDS
from tests.browser.seeding import enrolment_code, invitation_code
from tests.browser.tablet_steps import ITEM_URL, consent, index, press, response_id, skip_to_end, skip_until, start_questionnaire, stored

pytestmark = pytest.mark.browser


def _enrol(page, base: str, database: Path, idle_seconds: int | None = None) -> None:
    page.goto(f"{base}/tablet/kiosk")
    page.get_by_label("Tilmeldingskode").fill(enrolment_code(database, idle_seconds=idle_seconds).lower())
    page.get_by_role("button", name="Tilmeld").click()
    page.get_by_text("Denne tablet er nu tilmeldt").wait_for()


def test_kiosk_starts_only_for_its_site_and_forgets_an_idle_respondent(live_server: str, live_database: Path, tablet) -> None:
    page = tablet
    _enrol(page, live_server, live_database)
    page.goto(f"{live_server}/")
    # The site is fixed: no ward or setting to choose, only who is answering.
    assert page.locator("select").count() == 0
    page.get_by_role("button", name="Jeg er pårørende").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    rid = response_id(page)
    assert stored(live_server, rid)["group"] == "relative"
    press(page, "Vil ikke svare")
    # The questionnaire's key is in an HttpOnly cookie no script reads; only its live marker shows.
    assert page.evaluate("document.cookie").count("lm_live=1") == 1
    assert "lm_questionnaire" not in page.evaluate("document.cookie")
    assert "lm_questionnaire" in {cookie["name"] for cookie in page.context.cookies()}

    # Nobody touches the screen: first the question, then a clean welcome screen.
    page.get_by_role("dialog", name="Er du der stadig?").wait_for(timeout=(KIOSK_IDLE_SECONDS + 3) * 1000)
    page.wait_for_url(re.compile(r"/\?lang=da$"), timeout=(KIOSK_GRACE_SECONDS + 5) * 1000)
    page.get_by_role("heading", name="Mindste middel").wait_for()
    assert "lm_live" not in page.evaluate("document.cookie")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    # Back and history lead nowhere near the previous answers.
    for _ in range(3):
        page.go_back()
        assert not ITEM_URL.search(page.url), page.url
        assert page.locator("form.item-form").count() == 0
    page.goto(f"{live_server}/tablet/questions/0")
    assert page.locator("form.item-form").count() == 0
    page.goto(f"{live_server}/tablet/questions/1")
    assert page.locator("form.item-form").count() == 0
    # The server let the questionnaire go: its answer is final and nothing of it is read back.
    assert stored(live_server, rid)["released_at"] is not None
    assert "lm_questionnaire" not in {cookie["name"] for cookie in page.context.cookies()}


def test_a_tablet_enrolled_with_its_own_idle_time_resets_after_it(live_server: str, live_database: Path, tablet) -> None:
    # Written straight into the database, so below the workspace's 30 s minimum: a fast test.
    own_idle = 1
    assert own_idle < KIOSK_IDLE_SECONDS
    page = tablet
    _enrol(page, live_server, live_database, idle_seconds=own_idle)
    page.goto(f"{live_server}/")
    assert page.locator("body").get_attribute("data-kiosk-idle") == str(own_idle)
    page.get_by_role("button", name="Jeg er patient").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    assert page.locator("body").get_attribute("data-kiosk-idle") == str(own_idle)
    shown = page.evaluate("Date.now()")
    page.get_by_role("dialog", name="Er du der stadig?").wait_for(timeout=(own_idle + 3) * 1000)
    # Asked after the tablet's own idle time, before the server-wide one would have passed.
    assert page.evaluate("Date.now()") - shown < KIOSK_IDLE_SECONDS * 1000
    page.wait_for_url(re.compile(r"/\?lang=da$"), timeout=(KIOSK_GRACE_SECONDS + 5) * 1000)
    page.get_by_role("heading", name="Mindste middel").wait_for()
    assert "lm_live" not in page.evaluate("document.cookie")


def test_kiosk_dialog_keeps_a_present_respondent_and_finishing_returns_to_welcome(
    live_server: str, live_database: Path, tablet
) -> None:
    page = tablet
    _enrol(page, live_server, live_database)
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Jeg er patient").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    page.get_by_role("dialog", name="Er du der stadig?").wait_for(timeout=(KIOSK_IDLE_SECONDS + 3) * 1000)
    page.get_by_role("button", name="Ja, jeg er her").click()
    assert ITEM_URL.search(page.url)
    skip_to_end(page)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()
    page.get_by_role("link", name="Til forsiden").click()
    page.get_by_role("button", name="Jeg er patient").wait_for()


def test_an_outage_mid_questionnaire_loses_and_duplicates_nothing(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    press(page, "Vil ikke svare")
    # Give the script time to fetch the later screens ahead.
    page.wait_for_timeout(2500)

    page.context.set_offline(True)
    offline_codes = []
    for _ in range(2):
        offline_codes.append(page.locator("form.item-form").get_attribute("data-item-code"))
        page.locator("main .controls input").first.check()
        press(page, "Næste")
    assert index(page) == 3
    page.get_by_role("status").filter(has_text="2 svar venter").wait_for()
    assert set(stored(live_server, rid)["answers"]) & set(offline_codes) == set()

    page.context.set_offline(False)
    page.get_by_role("status").filter(has_text="Alle svar er sendt").wait_for(timeout=15_000)
    answers = stored(live_server, rid)["answers"]
    assert set(offline_codes) <= set(answers)
    assert len(answers) == 3
    assert page.evaluate("window.leastmeans.pendingAnswers()") == 0

    # A resend of the same answers (as after a flaky reconnect) stores nothing twice.
    resend = [[code, {"value": answers[code]["value"]}] for code in offline_codes]
    page.evaluate(
        "pairs => { const form = document.querySelector('form.item-form');"
        " pairs.forEach(([c, b]) => window.leastmeans.enqueue(form.dataset.responseId, form.dataset.sessionKey, c, b));"
        " return window.leastmeans.flush(); }",
        resend,
    )
    assert stored(live_server, rid)["answers"] == answers

    skip_to_end(page)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()
    assert stored(live_server, rid)["submitted_at"] is not None


def test_a_ranking_given_during_an_outage_is_queued_and_stored_in_its_order(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    page.wait_for_timeout(2500)  # the later screens are fetched ahead
    skip_until(page, "item-type", "ranking")
    cards = page.locator(".rank-card")
    codes = cards.evaluate_all("els => els.map(e => e.dataset.code)")
    assert len(codes) >= 3

    page.context.set_offline(True)
    for card in reversed(cards.all()):
        card.tap()
    press(page, "Næste")
    page.get_by_role("status").filter(has_text="1 svar venter").wait_for()
    assert "ranking.core" not in stored(live_server, rid)["answers"]

    page.context.set_offline(False)
    page.get_by_role("status").filter(has_text="Alle svar er sendt").wait_for(timeout=15_000)
    assert stored(live_server, rid)["answers"]["ranking.core"]["value"] == list(reversed(codes))


def test_screens_fetched_ahead_follow_skip_logic_into_an_outage(live_server: str, tablet) -> None:
    page = tablet
    start_questionnaire(page, live_server)
    page.wait_for_timeout(2500)  # the later screens are fetched ahead
    skip_until(page, "item-code", "coercion_any")
    page.get_by_label("Ja").check()
    press(page, "Næste")  # online: the server shows the follow-up questions "yes" opens
    assert page.locator("form.item-form").get_attribute("data-item-code").startswith("experience.")
    page.wait_for_timeout(2500)  # fetched ahead again, now with the follow-ups

    page.context.set_offline(True)
    press(page, "Spring over")
    # Without a refetch the next screen would be the one after coercion_any in the old order.
    assert page.locator("form.item-form").get_attribute("data-item-code").startswith("experience.")
    page.context.set_offline(False)


def test_own_device_invitation_pause_and_resume_on_a_fresh_device(live_server: str, live_database: Path, chromium) -> None:
    phone = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True, "locale": "da-DK"}
    first = chromium.new_context(**phone)
    second = chromium.new_context(**phone)
    try:
        page = first.new_page()
        page.goto(f"{live_server}/i/{invitation_code(live_database, 'staff')}")
        page.get_by_role("button", name=re.compile("^Start$")).click()
        consent(page)
        page.wait_for_url(ITEM_URL)
        rid = response_id(page)
        assert stored(live_server, rid)["group"] == "staff"
        press(page, "Vil ikke svare")
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("heading", name="Din kode til at fortsætte").wait_for()
        page.get_by_text("Vis koden").click()  # the code shows only when asked for
        code = page.locator("#resume-code").inner_text()
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code)
        page.goto(f"{live_server}/tablet/questions/1")
        assert page.locator("form.item-form").count() == 0

        other = second.new_page()
        other.goto(f"{live_server}/tablet/resume")
        other.get_by_label("Din kode").fill("ABCD-EFGH")
        other.get_by_role("button", name="Fortsæt").click()
        other.get_by_role("alert").wait_for()
        other.get_by_label("Din kode").fill(code.replace("-", " ").lower())
        other.get_by_role("button", name="Fortsæt").click()
        other.wait_for_url(re.compile(rf"/tablet/questions/1$"))
        # The code is used up once redeemed.
        third = chromium.new_context(**phone).new_page()
        third.goto(f"{live_server}/tablet/resume")
        third.get_by_label("Din kode").fill(code)
        third.get_by_role("button", name="Fortsæt").click()
        third.get_by_role("alert").wait_for()
        third.context.close()

        skip_to_end(other)
        other.get_by_role("button", name="Send").click()
        other.get_by_role("heading", name="Tak for din hjælp").wait_for()
        assert len(stored(live_server, rid)["answers"]) == 1
    finally:
        first.close()
        second.close()
