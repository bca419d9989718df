"""The tablet's screens on a phone (390x844) and a tablet (1024x768), at normal and at the
largest text size: nothing scrolls sideways, answers look like answers, navigation like
navigation, and the stop, pause and end screens nudge nobody."""

import re
from pathlib import Path

import pytest

from tests.browser.seeding import invitation_code
from tests.browser.tablet_steps import END_URL, ITEM_URL, OVERFLOW, consent, press, response_id, start_questionnaire

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


def _overflows(page, where: str) -> list[str]:
    """Measure the shown page on the phone and the tablet, each at normal and largest
    text, without loading it again."""
    found = []
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        for text, overflow in zip(("normal", "largest"), page.evaluate(OVERFLOW)):
            if overflow > 0:
                found.append(f"{where} at {viewport['width']}px, {text} text: {overflow}px too wide")
    page.set_viewport_size(PHONE)
    return found


def _start(chromium, base: str, group: str, database: Path):
    """A touch context with a questionnaire of `group` started in Danish; (context, page, id, total)."""
    context = chromium.new_context(viewport=PHONE, has_touch=True, locale="da-DK", service_workers="block")
    context.set_default_timeout(10_000)
    page = context.new_page()
    if group == "patient":
        page.goto(f"{base}/")
    else:
        page.goto(f"{base}/i/{invitation_code(database, group)}")
    page.get_by_role("button", name=re.compile("^Start$")).click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    total = int(page.locator("form.item-form").get_attribute("data-total"))
    return context, page, response_id(page), total


def test_no_screen_scrolls_sideways_on_a_phone_or_a_tablet_at_any_text_size(
    live_server: str, live_database: Path, chromium
) -> None:
    found: list[str] = []
    seen_types: set[str] = set()
    for group in ("patient", "relative", "staff"):
        context, page, rid, total = _start(chromium, live_server, group, live_database)
        try:
            for index in range(total):
                page.goto(f"{live_server}/tablet/questions/{index}")
                form = page.locator("form.item-form")
                seen_types.add(form.get_attribute("data-item-type"))
                found += _overflows(page, f"{group} {form.get_attribute('data-item-code')}")
            if group == "patient":
                for name, path in (("end", "end"), ("stop", "stop")):
                    page.goto(f"{live_server}/tablet/questions/{path}")
                    found += _overflows(page, name)
                page.goto(f"{live_server}/tablet/questions/0")
                page.get_by_role("button", name="Pause").click()
                page.get_by_text("Vis koden").tap()
                found += _overflows(page, "pause")
        finally:
            context.close()
    context = chromium.new_context(viewport=PHONE, has_touch=True, locale="da-DK")
    page = context.new_page()
    try:
        for name, path in (
            ("welcome", "/"),
            ("resume", "/tablet/resume"),
            ("invite", "/tablet/invite"),
            ("kiosk", "/tablet/kiosk"),
            ("thanks", "/tablet/thanks?lang=da"),
        ):
            page.goto(live_server + path)
            found += _overflows(page, name)
        page.goto(f"{live_server}/")
        page.get_by_role("button", name=re.compile("^Start$")).click()
        page.get_by_role("heading", name="Før du begynder").wait_for()
        found += _overflows(page, "consent")
    finally:
        context.close()
    assert {"single", "multiple", "vas", "paired", "ranking", "likert", "numeric"} <= seen_types
    assert found == []


def _style(locator, prop: str, pseudo: str | None = None) -> str:
    return locator.evaluate("(el, [p, pseudo]) => getComputedStyle(el, pseudo).getPropertyValue(p)", [prop, pseudo])


def test_a_chosen_answer_is_plainly_marked_and_navigation_looks_like_navigation(live_server: str, chromium) -> None:
    context = chromium.new_context(viewport=PHONE, has_touch=True, locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        start_questionnaire(page, live_server)
        options = page.locator("main .controls label.choice")
        chosen, other = options.nth(1), options.nth(0)
        before = _style(chosen, "background-color")
        chosen.tap()
        assert chosen.locator("input").is_checked()
        # Filled, bordered and with a check mark: not only the radio's dot.
        assert _style(chosen, "background-color") != before == _style(other, "background-color")
        assert _style(chosen, "border-top-color") != _style(other, "border-top-color")
        assert _style(chosen, "content", "::after") not in ("none", "normal")
        assert _style(other, "content", "::after") in ("none", "normal")
        # Answer cards are wide and tall enough to hit.
        for box in (o.bounding_box() for o in options.all()):
            assert box["height"] >= 48 and box["width"] >= 300

        next_button = page.get_by_role("button", name="Næste", exact=True)
        skip = page.get_by_role("button", name="Spring over", exact=True)
        refuse = page.get_by_role("button", name="Vil ikke svare", exact=True)
        accent = _style(next_button, "background-color")
        # Skip is plain navigation, unlike the answer "prefer not to answer" (a card).
        transparent = "rgba(0, 0, 0, 0)"
        assert _style(skip, "background-color") == transparent == _style(skip, "border-top-color")
        assert _style(refuse, "background-color") != transparent != _style(refuse, "border-top-color")
        assert _style(next_button, "background-color") != transparent
        # "Prefer not to answer" comes after the options, before the navigation.
        assert options.last.bounding_box()["y"] < refuse.bounding_box()["y"] < skip.bounding_box()["y"]
        # Stop and pause: never primary, smaller than Next, below it.
        for name in ("Stop", "Pause"):
            leave = page.get_by_role("button", name=name, exact=True)
            assert "primary" not in (leave.get_attribute("class") or "")
            assert _style(leave, "background-color") != accent
            assert float(_style(leave, "font-size")[:-2]) < float(_style(next_button, "font-size")[:-2])
            assert leave.bounding_box()["y"] > next_button.bounding_box()["y"]
        for button in page.locator("main button").all():
            box = button.bounding_box()
            assert box["height"] >= 48 and box["width"] >= 48, button.inner_text()

        # "Prefer not to answer" given, then back: it shows as chosen, like an option.
        press(page, "Vil ikke svare")
        page.get_by_role("button", name="Tilbage", exact=True).click()
        page.wait_for_function("() => document.querySelector('form.item-form').dataset.index === '0'")
        refuse = page.get_by_role("button", name="Vil ikke svare", exact=True)
        assert refuse.get_attribute("aria-pressed") == "true"
        assert _style(refuse, "content", "::after") not in ("none", "normal")
        assert _style(refuse, "background-color") != _style(skip, "background-color")
    finally:
        context.close()


def test_stop_is_neutral_pause_hides_the_code_and_the_end_counts_no_question(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    page.goto(f"{live_server}/tablet/questions/end")
    page.get_by_role("heading", name="Tak! Du er færdig med spørgsmålene.").wait_for()
    assert "Spørgsmål" not in page.locator("body").inner_text()
    # Also when the end screen is swapped in by the script after the last question.
    last = int(page.locator("a.back").get_attribute("href").rsplit("/", 1)[1])
    page.goto(f"{live_server}/tablet/questions/{last}")
    assert "Spørgsmål" in page.locator("body").inner_text()
    press(page, "Spring over")
    page.wait_for_url(END_URL)
    page.get_by_role("heading", name="Tak! Du er færdig med spørgsmålene.").wait_for()
    assert "Spørgsmål" not in page.locator("body").inner_text()

    page.goto(f"{live_server}/tablet/questions/0")
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_role("heading", name="Vil du stoppe?").wait_for()
    assert page.locator("main .primary").count() == 0
    keep = page.get_by_role("button", name="Stop og gem mine svar")
    delete = page.get_by_role("button", name="Stop og slet mine svar")
    for prop in ("background-color", "color", "border-top-color", "font-size", "font-weight", "height"):
        assert _style(keep, prop) == _style(delete, prop), prop
    go_on = page.get_by_role("link", name="Fortsæt med at svare")
    assert go_on.is_visible()
    go_on.tap()
    page.wait_for_url(ITEM_URL)

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("heading", name="Din kode til at fortsætte").wait_for()
    code = page.locator("#resume-code")
    assert not code.is_visible()
    page.get_by_text("Vis koden").tap()
    assert code.is_visible()
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code.inner_text())
