"""The language switch in every screen's toolbar: the same screen in the other language,
with the place and every answer kept, also on a ward tablet (kiosk)."""

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.seeding import enrolment_code
from tests.browser.tablet_steps import ITEM_URL, consent, enrol_kiosk, index, press, response_id, start_questionnaire, stored, wait_for_index

pytestmark = pytest.mark.browser

QUESTION_5 = 4


def _answer_four(page) -> None:
    """Give the first four questions an answer each: the first option, or "prefer not to answer"."""
    for _ in range(QUESTION_5):
        options = page.locator("main .controls label.choice")
        if options.count():
            options.first.tap()
            press(page, "Næste")
        else:
            press(page, "Vil ikke svare")
    wait_for_index(page, QUESTION_5)


def _settled(page) -> None:
    """Wait out the moment after a screen change in which the script holds the controls
    (so a tap meant for the old screen does not land on the new one)."""
    page.wait_for_function("() => !document.querySelector('#language-form input').disabled")


def _switch_to_english(page) -> None:
    _settled(page)
    page.get_by_role("navigation", name="Sprog").get_by_role("button", name=re.compile("^English")).tap()
    page.wait_for_function("() => document.documentElement.lang === 'en'")


def test_switching_on_question_5_shows_question_5_in_english_with_every_answer_kept(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    _answer_four(page)
    code = page.locator("form.item-form").get_attribute("data-item-code")
    danish_prompt = page.locator("#prompt").inner_text()
    before = stored(live_server, rid)
    assert len(before["answers"]) == QUESTION_5 and before["language"] == "da"
    # The current language is marked, the other offered.
    languages = page.get_by_role("navigation", name="Sprog")
    assert languages.locator("[aria-current=true]").inner_text() == "Dansk"

    _switch_to_english(page)
    assert ITEM_URL.search(page.url) and index(page) == QUESTION_5
    assert page.locator("form.item-form").get_attribute("data-item-code") == code
    assert page.locator("#prompt").inner_text() != danish_prompt
    assert page.locator("#progress-text").inner_text().startswith("Question 5 of ")
    assert page.get_by_role("button", name="Next", exact=True).is_visible()
    after = stored(live_server, rid)
    assert after["language"] == "en" and after["answers"] == before["answers"]
    # The earlier answers show in English too.
    page.get_by_role("button", name="Back", exact=True).click()
    wait_for_index(page, QUESTION_5 - 1)
    assert page.locator("html").get_attribute("lang") == "en"

    # And back to Danish, from the page the script swapped in.
    _settled(page)
    page.get_by_role("navigation", name="Language").get_by_role("button", name=re.compile("^Dansk")).tap()
    page.wait_for_function("() => document.documentElement.lang === 'da'")
    assert index(page) == QUESTION_5 - 1
    assert stored(live_server, rid)["language"] == "da"
    assert page.js_errors == []


def test_a_ward_tablet_keeps_its_questionnaire_through_a_language_switch(live_server: str, live_database: Path, tablet) -> None:
    page = tablet
    # A long idle time: this test is about the switch, not the idle reset.
    enrol_kiosk(page, live_server, enrolment_code(live_database, idle_seconds=600))
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Jeg er patient").click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    rid = response_id(page)
    _answer_four(page)
    before = stored(live_server, rid)["answers"]

    _switch_to_english(page)
    assert response_id(page) == rid and index(page) == QUESTION_5
    # Still the same questionnaire, bound to this browser (its live marker kept).
    assert page.evaluate("document.cookie").count("lm_live=1") == 1
    assert stored(live_server, rid)["answers"] == before
    # The questionnaire goes on where it was.
    press(page, "Prefer not to answer")
    assert len(stored(live_server, rid)["answers"]) == QUESTION_5 + 1


def test_the_switch_keeps_the_entry_screens_and_refuses_a_language_the_questionnaire_lacks(
    live_server: str, tablet
) -> None:
    page = tablet
    page.goto(f"{live_server}/tablet/resume")
    page.get_by_role("link", name=re.compile("^English")).tap()
    page.get_by_role("heading", name="Continue where you left off").wait_for()
    assert page.locator("[aria-current=true]").inner_text() == "English"

    page.goto(f"{live_server}/")
    page.get_by_role("button", name=re.compile("^Start$")).click()
    page.get_by_role("heading", name="Før du begynder").wait_for()
    page.get_by_role("link", name=re.compile("^English")).tap()
    page.get_by_role("heading", name="Before you start").wait_for()
    consent(page)
    page.wait_for_url(ITEM_URL)
    rid = response_id(page)
    assert stored(live_server, rid)["language"] == "en"

    # Only the questionnaire's own languages: anything else is refused and changes nothing.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    refused = httpx.post(
        f"{live_server}/tablet/questions/language", data={"language": "fr", "screen": "0"}, cookies=cookies, follow_redirects=False
    )
    assert refused.status_code == 400
    assert stored(live_server, rid)["language"] == "en"


class _Request:
    """What the toolbar reads of the request: a GET of the resume screen."""

    method = "GET"

    class url:
        path = "/tablet/resume"

    class query_params:
        @staticmethod
        def multi_items() -> list[tuple[str, str]]:
            return [("lang", "da")]


@pytest.mark.parametrize("languages", [("da",), ("da", "en")])
def test_the_switch_shows_only_when_the_study_allows_another_language(languages: tuple[str, ...]) -> None:
    from jinja2 import Environment, FileSystemLoader

    from server.tablet.rendering import page

    template = page("resume.html", "da", languages=languages, error=None)
    environment = Environment(loader=FileSystemLoader(Path(__file__).parents[2] / "server" / "tablet" / "templates"), autoescape=True)
    html = environment.get_template(template.template_name).render(**template.context, request=_Request())
    if len(languages) == 1:
        assert 'class="languages"' not in html
    else:
        assert 'href="/tablet/resume?lang=en"' in html and 'aria-current="true"><span lang="da">Dansk' in html


def test_a_switch_tapped_right_after_a_screen_change_keeps_that_screen(live_server: str, tablet) -> None:
    """The toolbar's switch is no answer: the moment that holds a new screen's controls
    against a double tap must not hold the switch's place, or it lands elsewhere."""
    page = tablet
    start_questionnaire(page, live_server)
    _answer_four(page)
    # Back to an answered question: the first unanswered one (question 5) is elsewhere.
    _settled(page)
    page.evaluate(
        """() => document.querySelector('.toolbar .languages button').addEventListener('click', () => {
             sessionStorage.setItem('heldAtSwitch', String(document.querySelector('main .nav button.next').disabled));
           }, { capture: true })"""
    )
    page.get_by_role("button", name="Tilbage", exact=True).tap()
    wait_for_index(page, QUESTION_5 - 1)
    box = page.get_by_role("navigation", name="Sprog").get_by_role("button", name=re.compile("^English")).bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    # The tap came while the new screen's answer controls were still held.
    assert page.evaluate("sessionStorage.getItem('heldAtSwitch')") == "true"
    assert ITEM_URL.search(page.url) and index(page) == QUESTION_5 - 1
    assert page.locator("#progress-text").inner_text().startswith(f"Question {QUESTION_5} of ")
    assert page.js_errors == []
