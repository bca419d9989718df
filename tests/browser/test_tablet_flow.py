"""A respondent answers on a tablet-sized touch screen in a real Chromium."""

import re

import pytest

from tests.browser.tablet_steps import END_URL, ITEM_URL, consent, index, press, response_id, skip_to_end, stored, wait_for_index

pytestmark = pytest.mark.browser


def _start_open(page, base: str, lang: str = "da") -> str:
    page.goto(f"{base}/?lang={lang}")
    page.get_by_role("button", name=re.compile("^Start$")).click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    return response_id(page)


def test_a_patient_answers_dont_know_goes_back_sets_the_vas_skips_and_submits(live_server: str, tablet) -> None:
    page = tablet
    rid = _start_open(page, live_server)
    assert page.locator("#progress-text").inner_text().startswith("Spørgsmål 1 af ")

    # "Prefer not to answer" is its own answer; back shows it as chosen.
    first_code = page.locator("form.item-form").get_attribute("data-item-code")
    press(page, "Vil ikke svare")
    page.get_by_role("button", name="Tilbage").click()
    wait_for_index(page, 0)
    assert page.get_by_role("button", name="Vil ikke svare").get_attribute("aria-pressed") == "true"

    # Skip forward to the first VAS.
    while page.locator("form.item-form").get_attribute("data-item-type") != "vas":
        press(page, "Spring over")
    vas_index = index(page)
    vas_code = page.locator("form.item-form").get_attribute("data-item-code")
    slider = page.get_by_role("slider")
    # No preset handle: nothing is chosen until the respondent touches the line.
    assert "unset" in page.locator(".vas").get_attribute("class")
    assert slider.get_attribute("aria-valuetext") == "Ikke besvaret"
    box = slider.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function("() => !document.querySelector('.vas').classList.contains('unset')")
    chosen = int(slider.get_attribute("aria-valuenow"))
    assert 65 <= chosen <= 85
    assert slider.get_attribute("aria-valuetext") == str(chosen)
    press(page, "Næste")
    page.get_by_role("button", name="Tilbage").click()
    wait_for_index(page, vas_index)
    assert page.get_by_role("slider").get_attribute("aria-valuenow") == str(chosen)
    press(page, "Næste")
    dont_know_code = page.locator("form.item-form").get_attribute("data-item-code")
    press(page, "Ved ikke")

    skip_to_end(page)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()

    answers = stored(live_server, rid)
    assert answers["submitted_at"] is not None
    assert answers["answers"][first_code]["missing"] == "prefer_not_to_answer"
    assert answers["answers"][vas_code]["value"] == chosen
    assert answers["answers"][dont_know_code]["missing"] == "dont_know"
    assert len(answers["answers"]) == 3
    # The device keeps nothing, and the questionnaire's pages are closed to it.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    page.go_back()
    assert not ITEM_URL.search(page.url) and not END_URL.search(page.url)
    assert page.js_errors == []


def test_without_javascript_the_forms_still_work(live_server: str, chromium) -> None:
    context = chromium.new_context(viewport={"width": 768, "height": 1024}, java_script_enabled=False, has_touch=True)
    page = context.new_page()
    try:
        rid = _start_open(page, live_server)
        page.get_by_role("button", name="Vil ikke svare").click()
        page.wait_for_url(re.compile(r"/1$"))
        skip_to_end(page)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Tak for din hjælp").wait_for()
        assert len(stored(live_server, rid)["answers"]) == 1
    finally:
        context.close()


def test_no_consent_keeps_nothing_and_stopping_can_delete_everything(live_server: str, tablet) -> None:
    page = tablet
    page.goto(f"{live_server}/")
    page.get_by_role("button", name=re.compile("^Start$")).click()
    consent(page, yes=False)
    page.get_by_role("heading", name="Mindste middel").wait_for()

    rid = _start_open(page, live_server)
    press(page, "Vil ikke svare")
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_role("heading", name="Vil du stoppe?").wait_for()
    page.get_by_role("button", name="Stop og slet mine svar").click()
    page.get_by_role("heading", name="Dine svar er slettet").wait_for()
    assert stored(live_server, rid) is None


def test_stopping_can_keep_what_was_given(live_server: str, tablet) -> None:
    page = tablet
    rid = _start_open(page, live_server)
    press(page, "Vil ikke svare")
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_role("button", name="Stop og gem mine svar").click()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()
    kept = stored(live_server, rid)
    assert kept["submitted_at"] is not None and len(kept["answers"]) == 1


def test_language_switch_on_the_welcome_screen(live_server: str, tablet) -> None:
    page = tablet
    page.goto(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "da"
    page.get_by_role("link", name="Skift sprog til engelsk").click()
    page.get_by_role("heading", name="Least intrusive means").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name=re.compile("^Start$")).click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    assert page.locator("#progress-text").inner_text().startswith("Question 1 of ")
    assert page.get_by_role("button", name="Prefer not to answer").count() == 1


def test_read_aloud_reads_the_question_and_its_options(live_server: str, tablet) -> None:
    page = tablet
    _start_open(page, live_server)
    text = page.evaluate("window.leastmeans.readAloudText()")
    prompt = page.locator("#prompt").inner_text()
    assert text.startswith(prompt)
    assert "Vil ikke svare" in text
    for label in page.locator("main .controls label").all_inner_texts()[:2]:
        assert label.strip() in text
    # Only the device's own voices are used; the button appears only when one exists.
    has_local_voice = page.evaluate(
        "speechSynthesis.getVoices().some(v => v.localService && v.lang.toLowerCase().startsWith('da'))"
    )
    assert page.locator("[data-read-aloud]").is_visible() == has_local_voice


def test_text_size_control_enlarges_the_type(live_server: str, tablet) -> None:
    page = tablet
    _start_open(page, live_server)
    before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    page.get_by_role("button", name="Større tekst").click()
    page.get_by_role("button", name="Større tekst").click()
    after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert after >= before * 1.3
