"""An offline-first tablet: once a questionnaire has started, every screen and its skip
logic work without the network; queued answers survive a kiosk wipe in the device outbox
and are stored exactly once when the network returns; the browser's own error page never
shows."""

import re
from pathlib import Path

import pytest

from tests.browser.conftest import KIOSK_GRACE_SECONDS, KIOSK_IDLE_SECONDS
from tests.browser.seeding import enrolment_code
from tests.browser.tablet_steps import END_URL, ITEM_URL, consent, index, press, response_id, skip_until, start_questionnaire, stored

pytestmark = pytest.mark.browser


def _code(page) -> str:
    return page.locator("form.item-form").get_attribute("data-item-code")


def _answer_first_option(page) -> str:
    code = _code(page)
    page.locator("main .controls input").first.check()
    press(page, "Næste")
    return code


def _rows(base: str, rid: str) -> list[str]:
    """The item codes the server holds answers for."""
    return sorted(stored(base, rid)["answers"])


def test_an_outage_from_the_first_second_still_runs_the_whole_questionnaire(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    page.context.set_offline(True)  # right after the first question appears

    given = [_answer_first_option(page)]
    skip_until(page, "item-code", "coercion_any")
    page.get_by_label("Ja").check()
    press(page, "Næste")
    # The follow-ups "yes" opens appear offline, by the same rules as on the server.
    assert _code(page).startswith("experience.")
    given += ["coercion_any", _answer_first_option(page)]
    assert _code(page).startswith("experience.")
    total_offline = int(page.locator("form.item-form").get_attribute("data-total"))
    assert page.locator(".progress-text").inner_text() == f"Spørgsmål {index(page) + 1} af {total_offline}"
    while page.locator("form.item-form").count():
        press(page, "Spring over")
    page.wait_for_url(END_URL)
    assert not page.locator(".toolbar .progress-text").is_visible()
    assert stored(live_server, rid)["answers"] == {}

    # Sending waits for the network; the respondent is told only once the outage lasts.
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").filter(has_text="Ingen forbindelse").wait_for(timeout=5000)
    page.context.set_offline(False)
    page.get_by_role("heading", name="Tak for din hjælp").wait_for(timeout=15_000)
    answers = stored(live_server, rid)
    assert answers["submitted_at"] is not None
    assert sorted(answers["answers"]) == sorted(given)
    assert answers["answers"]["coercion_any"]["value"] == "yes"
    assert page.evaluate("localStorage.length") == 0


def _enrol(page, base: str, database: Path) -> None:
    page.goto(f"{base}/tablet/kiosk")
    page.get_by_label("Tilmeldingskode").fill(enrolment_code(database).lower())
    page.get_by_role("button", name="Tilmeld").click()
    page.get_by_text("Denne tablet er nu tilmeldt").wait_for()


def test_an_idle_wipe_during_an_outage_keeps_the_queued_answers_and_sends_each_once(
    live_server: str, live_database: Path, tablet
) -> None:
    page = tablet
    _enrol(page, live_server, live_database)
    page.goto(f"{live_server}/")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.reload()  # the worker now keeps this welcome screen for an outage
    page.get_by_role("button", name="Jeg er patient").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    rid = response_id(page)

    page.context.set_offline(True)
    given = [_answer_first_option(page) for _ in range(3)]
    page.get_by_role("status").filter(has_text="3 svar venter").wait_for(timeout=5000)
    page.screenshot(path="/tmp/status-overlay-tablet.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/status-overlay-phone.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})

    # Nobody touches the screen: the wipe happens offline.
    page.get_by_role("dialog", name="Er du der stadig?").wait_for(timeout=(KIOSK_IDLE_SECONDS + 3) * 1000)
    page.wait_for_url(re.compile(r"/tablet/kiosk/reset\?lang=da$"), timeout=(KIOSK_GRACE_SECONDS + 5) * 1000)
    # The product's own welcome screen from the device, not the browser's error page.
    page.get_by_role("button", name="Jeg er patient").wait_for()
    page.screenshot(path="/tmp/offline-reset-welcome.png")
    assert "lm_live" not in page.evaluate("document.cookie")
    # Nothing of the respondent is left but the outbox, which no screen shows.
    assert page.evaluate("Object.keys(localStorage)") == ["lm.outbox"]
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("window.leastmeans.pendingAnswers()") == 0
    assert page.locator("template.lm-screen, #lm-questionnaire").count() == 0
    assert page.get_by_text("svar venter").count() == 0

    page.context.set_offline(False)
    page.wait_for_function("() => localStorage.length === 0", timeout=15_000)
    assert _rows(live_server, rid) == sorted(given)
    # Back leads nowhere near the previous respondent's screens.
    for _ in range(3):
        page.go_back()
        assert page.locator("form.item-form").count() == 0
    assert _rows(live_server, rid) == sorted(given)
    # The wiped browser's session cookie opened nothing: the server let the questionnaire go.
    assert stored(live_server, rid)["released_at"] is not None


def test_the_offline_page_is_the_products_own(live_server: str, tablet) -> None:
    page = tablet
    page.goto(f"{live_server}/")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_function("() => caches.match('/tablet/offline?lang=da').then(Boolean)")
    page.context.set_offline(True)
    page.goto(f"{live_server}/tablet/resume")
    page.get_by_role("heading", name="Ingen forbindelse lige nu").wait_for()
    page.get_by_text("Dine svar er gemt på tabletten").wait_for()
    page.screenshot(path="/tmp/offline-page-tablet.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/offline-page-phone.png")
    page.context.set_offline(False)


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)], ids=["tablet", "phone"])
def test_the_connection_status_never_covers_next_or_the_answers(live_server: str, chromium, size: tuple[int, int]) -> None:
    """A lasting outage with a queued answer shows the status; scrolled into view, Næste,
    its row and the answer options are never under it, at any text size."""
    width, height = size
    context = chromium.new_context(viewport={"width": width, "height": height}, has_touch=True, locale="da-DK")
    try:
        page = context.new_page()
        start_questionnaire(page, live_server)
        context.set_offline(True)
        _answer_first_option(page)
        status = page.get_by_role("status").filter(has_text="Ingen forbindelse")
        status.wait_for(timeout=5000)
        for presses in (0, 3):
            for _ in range(presses):
                page.get_by_role("button", name="Større tekst").tap()
            controls = [page.locator("main .controls label.choice, main .controls input").last, *page.locator("main .nav button").all()]
            for control in controls:
                control.scroll_into_view_if_needed()
                box, over = control.bounding_box(), status.bounding_box()
                assert over and box and not _overlap(box, over), (presses, control.inner_text() or "option", box, over)
            page.get_by_role("button", name="Næste", exact=True).scroll_into_view_if_needed()
            page.screenshot(path=f"/tmp/status_{width}x{height}_text{presses}.png")
        assert page.locator("html").evaluate("e => e.className").count("text-3") == 1
        context.set_offline(False)
    finally:
        context.close()
