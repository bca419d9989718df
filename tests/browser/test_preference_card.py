"""A patient's "My order" card in a real Chromium: their order from their own ratings,
adjusted on the screen without touching the stored answers, a QR code that holds the
card, and nothing of it left after a ward tablet's idle wipe.

The README's screenshot of the card (docs/preference-card.png) is made here too, only
with LEASTMEANS_SCREENSHOTS=1.
"""

import io
import json
import os
import re
from pathlib import Path

import pytest

from server.tablet.phrases import PHRASES
from server.tablet.preference_card import CardState, card_text
from tests.browser.conftest import KIOSK_GRACE_SECONDS, KIOSK_IDLE_SECONDS
from tests.browser.seeding import enrolment_code
from tests.browser.tablet_steps import DATABASES, END_URL, ITEM_URL, OVERFLOW, consent, enrol_kiosk, press, response_id, start_questionnaire, stored

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "preference-card.png"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
#: The ratings given: two equal, one "don't know", every other measure skipped.
RATE = {"personal_observation": 0, "area_restriction": 50, "time_out": 50, "holding_short": 100}
DONT_KNOW = "acute_sedation"
#: A fuller questionnaire for the README's screenshot.
SCREENSHOT_RATE = {
    "personal_observation": 15, "area_restriction": 30, "time_out": 30, "holding_short": 45, "holding_long": 70,
    "transport_straps": 60, "sedation_danger": 75, "seclusion": 85, "belt_short": 85, "net_bed": 95, "belt_long": 100,
}  # fmt: skip
NOTE = "Tal roligt til mig først"


def _rate(page, value: int) -> None:
    """Set the rating line on screen by keyboard: Home is 0, each PageUp 10, each arrow 1."""
    page.get_by_role("slider").focus()
    page.keyboard.press("Home")
    for _ in range(value // 10):
        page.keyboard.press("PageUp")
    for _ in range(value % 10):
        page.keyboard.press("ArrowRight")
    assert page.get_by_role("slider").get_attribute("aria-valuenow") == str(value)


def _answer_ratings(page, ratings: dict[str, int]) -> None:
    """Rate the measures in `ratings`, say "don't know" to one, skip everything else."""
    while page.locator("form.item-form").count():
        code = page.locator("form.item-form").get_attribute("data-item-code")
        measure = code.removeprefix("rating.")
        if code.startswith("rating.") and measure in ratings:
            _rate(page, ratings[measure])
            press(page, "Næste")
        elif code == f"rating.{DONT_KNOW}":
            press(page, "Ved ikke")
        else:
            press(page, "Spring over")
    page.wait_for_url(END_URL)


def _ladder(page) -> list[list[str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.card-ladder > .card-rung')].map(
            rung => [...rung.querySelectorAll('[data-measure]')].map(m => m.dataset.measure))"""
    )


def _qr_text(page) -> str:
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(page.locator("svg.card-qr").screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "one QR code on the card"
    return found[0].text


def _axe(page) -> list[dict]:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-core not installed: pip install axe-playwright-python (it ships axe.min.js)")
    page.add_script_tag(content=(Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text())
    result = json.loads(page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"))
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _sideways(page, where: str) -> list[str]:
    found = []
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        for text, overflow in zip(("normal", "largest"), page.evaluate(OVERFLOW)):
            if overflow > 0:
                found.append(f"{where} at {viewport['width']}px, {text} text: {overflow}px too wide")
    page.evaluate("() => document.documentElement.classList.remove('text-3')")
    page.set_viewport_size(TABLET)
    return found


def test_a_patient_sees_adjusts_and_takes_away_their_own_order(live_server: str, chromium) -> None:
    # bypass_csp only so that axe can be injected; the app's pages never need it.
    context = chromium.new_context(viewport=TABLET, has_touch=True, locale="da-DK", bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        rid = start_questionnaire(page, live_server)
        _answer_ratings(page, RATE)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Tak for din hjælp").wait_for()
        answers_before = stored(live_server, rid)["answers"]
        assert answers_before[f"rating.{DONT_KNOW}"]["missing"] == "dont_know"
        offer_violations = _axe(page)
        overflow = _sideways(page, "thanks")

        page.get_by_role("link", name="Vis min rækkefølge").click()
        page.get_by_role("heading", name="Min rækkefølge").wait_for()
        assert page.get_by_text("Din rækkefølge — ikke en regel for andre.").is_visible()
        # Their own ratings: 0, then the two rated 50 side by side, then 100; "don't know" apart.
        assert _ladder(page) == [["personal_observation"], ["area_restriction", "time_out"], ["holding_short"]]
        tied = [page.locator(f'.card-ladder [data-measure="{m}"]').bounding_box() for m in ("area_restriction", "time_out")]
        assert abs(tied[0]["y"] - tied[1]["y"]) < 2 and tied[0]["x"] < tied[1]["x"]
        assert page.locator(f'.card-unrated [data-measure="{DONT_KNOW}"]').count() == 1
        assert page.locator(".card-unrated h2").inner_text() == "Ved ikke / ikke besvaret"

        # Move one measure and add a note: the card changes, the research answers do not.
        page.get_by_role("button", name="Flyt Fastholdelse, under 2 minutter op").click()
        page.get_by_text("Fastholdelse, under 2 minutter er flyttet.").wait_for()
        assert _ladder(page) == [["personal_observation"], ["holding_short"], ["area_restriction", "time_out"]]
        page.get_by_label("Din note (højst 140 tegn)").fill(NOTE)
        with page.expect_navigation():
            page.get_by_role("button", name="Opdater kortet").click()
        assert page.get_by_label("Din note (højst 140 tegn)").input_value() == NOTE
        assert _ladder(page) == [["personal_observation"], ["holding_short"], ["area_restriction", "time_out"]]
        assert stored(live_server, rid)["answers"] == answers_before

        # The QR code holds the card's whole text, readable by any QR reader.
        # The measures apart are every one skipped besides the "don't know": read off the screen.
        unrated = page.evaluate("() => [...document.querySelectorAll('.card-unrated [data-measure]')].map(m => m.dataset.measure)")
        rungs = [["personal_observation"], ["holding_short"], ["area_restriction", "time_out"]]
        qr_text = _qr_text(page)
        assert qr_text == card_text(CardState(rungs=rungs, unrated=unrated, note=NOTE), "da", PHRASES["da"])
        assert DONT_KNOW in unrated and NOTE in qr_text

        # On their own device they can keep it as a PDF; it comes as a download.
        with page.expect_download() as download:
            page.get_by_role("button", name="Hent som PDF").click()
        assert download.value.suggested_filename == "min-raekkefoelge.pdf"
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

        card_violations = _axe(page)
        overflow += _sideways(page, "card")
        page.emulate_media(media="print")
        assert page.locator(".card-done").is_hidden() and page.locator(".toolbar").is_hidden()
        page.emulate_media(media="screen")

        page.get_by_role("button", name="Færdig").click()
        page.wait_for_url(re.compile(r"/\?lang=da$"))
        page.goto(f"{live_server}/tablet/card")
        assert page.locator(".card-ladder").count() == 0
        assert stored(live_server, rid)["answers"] == answers_before
        assert offer_violations == [] and card_violations == [] and overflow == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.skipif(os.environ.get("LEASTMEANS_SCREENSHOTS") != "1", reason="screenshots only with LEASTMEANS_SCREENSHOTS=1")
def test_screenshot_of_a_card(live_server: str, tablet) -> None:
    page = tablet
    start_questionnaire(page, live_server)
    _answer_ratings(page, SCREENSHOT_RATE)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("link", name="Vis min rækkefølge").click()
    page.get_by_label("Din note (højst 140 tegn)").fill(NOTE)
    with page.expect_navigation():
        page.get_by_role("button", name="Opdater kortet").click()
    assert ["seclusion", "belt_short"] in _ladder(page)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_after_the_kiosk_wipe_nothing_holds_the_card(live_server: str, live_database: Path, tablet) -> None:
    page = tablet
    enrol_kiosk(page, live_server, enrolment_code(live_database).lower())
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Jeg er patient").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    rid = response_id(page)
    _answer_ratings(page, RATE)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("link", name="Vis min rækkefølge").click()
    page.get_by_role("heading", name="Min rækkefølge").wait_for()
    # A ward tablet offers no download (a file would stay on the tablet).
    assert page.get_by_role("button", name="Hent som PDF").count() == 0
    page.get_by_label("Din note (højst 140 tegn)").fill(NOTE)
    with page.expect_navigation():
        page.get_by_role("button", name="Opdater kortet").click()
    assert page.get_by_label("Din note (højst 140 tegn)").input_value() == NOTE

    # Nobody touches the tablet: the card goes with the wipe.
    page.get_by_role("dialog", name="Er du der stadig?").wait_for(timeout=(KIOSK_IDLE_SECONDS + 3) * 1000)
    page.wait_for_url(re.compile(r"/\?lang=da$"), timeout=(KIOSK_GRACE_SECONDS + 5) * 1000)
    page.get_by_role("heading", name="Mindste middel").wait_for()
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert "lm_questionnaire" not in {cookie["name"] for cookie in page.context.cookies()}
    # Back and history lead nowhere near the card.
    for _ in range(3):
        page.go_back()
        page.wait_for_load_state()
        assert page.locator(".card-ladder").count() == 0, page.url
        assert NOTE not in page.content()
    page.goto(f"{live_server}/tablet/card")
    assert page.locator(".card-ladder").count() == 0
    # The server let the questionnaire go, and holds nothing of the card.
    assert stored(live_server, rid)["released_at"] is not None
    database = DATABASES[live_server]
    stored_bytes = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert NOTE.encode() not in stored_bytes
    log = (database.parent / "server.log").read_text(errors="replace")
    assert NOTE not in log and "holding_short" not in log
    assert page.js_errors == []
