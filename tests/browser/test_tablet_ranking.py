"""The ranking screen: the measures are tapped in order, least intrusive first."""

import re
import time

import pytest

from tests.browser.tablet_steps import asked, index, press, skip_until, start_questionnaire, stored

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "locale": "da-DK"}
INCOMPLETE = "Nogle mangler et nummer. Giv dem alle et nummer, eller tryk på Spring over."
TIE = "To eller flere har fået samme nummer. Giv hver af dem sit eget nummer."


def _open_ranking(page, base: str) -> str:
    """Start a questionnaire and load its ranking screen; the questionnaire id."""
    rid = start_questionnaire(page, base)
    codes = asked(page)
    page.goto(f"{base}/tablet/questions/{codes.index('ranking.core')}")
    page.locator("form.item-form[data-item-type=ranking]").wait_for()
    return rid


def _card_codes(page) -> list[str]:
    return page.locator(".rank-card").evaluate_all("cards => cards.map(c => c.dataset.code)")


def _numbers(page) -> list[str]:
    """The number each card shows, in screen order ('' for none)."""
    return page.locator(".rank-card .rank-number").evaluate_all("spans => spans.map(s => s.textContent.trim())")


def _stored_ranking(base: str, rid: str, timeout: float = 10.0) -> list[str] | None:
    """The stored ranking, once the device has sent it (None if it never arrives)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = stored(base, rid)["answers"].get("ranking.core")
        if answer:
            return answer["value"]
        time.sleep(0.2)
    return None


def test_tapping_the_measures_stores_that_order_and_a_numbered_one_is_taken_back(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    # Reached by tapping through the earlier screens: shown without a page load.
    skip_until(page, "item-type", "ranking")
    codes = _card_codes(page)
    assert len(codes) == 5
    assert page.locator("select[name^='rank.']").first.is_hidden(), "the cards replace the number lists"
    cards = page.locator(".rank-card")
    status = page.locator("[data-rank-status]")

    for i in (2, 0, 4):
        cards.nth(i).tap()
    assert _numbers(page) == ["2", "", "1", "", "3"]
    assert cards.nth(4).get_attribute("aria-pressed") == "true" and cards.nth(1).get_attribute("aria-pressed") == "false"
    label = cards.nth(4).locator(".rank-label").inner_text()
    assert page.get_by_role("button", name=re.compile(rf"{re.escape(label)}.*nummer 3")).count() == 1
    page.wait_for_function("() => document.querySelector('[data-rank-status]').textContent.startsWith('nummer 3')")

    # Tapping number 2 takes it and every later one out again.
    cards.nth(0).tap()
    assert _numbers(page) == ["", "", "1", "", ""]
    assert status.get_attribute("aria-live") == "polite"

    order = [2, 3, 1, 4, 0]
    for i in order[1:]:
        cards.nth(i).tap()
    assert _numbers(page) == ["5", "3", "1", "2", "4"]
    page.wait_for_function("() => document.querySelector('[data-rank-status]').textContent.includes('Alle har fået et nummer')")
    press(page, "Næste")
    assert _stored_ranking(live_server, rid) == [codes[i] for i in order]
    assert page.js_errors == []


def test_on_a_phone_start_again_clears_the_numbers_and_a_full_order_is_stored(live_server: str, chromium) -> None:
    context = chromium.new_context(**PHONE)
    try:
        page = context.new_page()
        rid = _open_ranking(page, live_server)
        codes = _card_codes(page)
        cards = page.locator(".rank-card")
        cards.nth(1).tap()
        cards.nth(3).tap()
        assert _numbers(page) == ["", "1", "", "2", ""]
        page.get_by_role("button", name="Start forfra").tap()
        assert _numbers(page) == [""] * 5
        assert cards.evaluate_all("cs => cs.map(c => c.getAttribute('aria-pressed'))") == ["false"] * 5

        for i in reversed(range(5)):
            cards.nth(i).tap()
        assert _numbers(page) == ["5", "4", "3", "2", "1"]
        page.get_by_role("button", name="Næste", exact=True).tap()
        assert _stored_ranking(live_server, rid) == list(reversed(codes))
    finally:
        context.close()


def test_the_whole_ranking_screen_with_its_direction_is_above_the_fold_on_a_tablet(live_server: str, tablet) -> None:
    page = tablet
    _open_ranking(page, live_server)
    direction = page.get_by_text("1 = mindst indgribende, 5 = mest indgribende")
    assert direction.is_visible()
    assert page.evaluate("window.scrollY") == 0
    height = page.viewport_size["height"]
    # Every card and every button of the screen (Næste, Start forfra, Pause, Stop ...).
    visible = page.locator("form.item-form button:visible")
    assert visible.count() >= 5 + 5
    for box in [direction.bounding_box()] + [visible.nth(i).bounding_box() for i in range(visible.count())]:
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    next_box = page.get_by_role("button", name="Næste", exact=True).bounding_box()
    assert next_box["y"] + next_box["height"] <= height


def test_going_on_with_some_measures_unnumbered_says_so_in_danish_and_stores_nothing(live_server: str, tablet) -> None:
    page = tablet
    rid = _open_ranking(page, live_server)
    codes = _card_codes(page)
    screen = index(page)
    cards = page.locator(".rank-card")
    cards.nth(3).tap()
    cards.nth(0).tap()
    page.get_by_role("button", name="Næste", exact=True).tap()

    alert = page.get_by_role("alert")
    alert.filter(has_text=INCOMPLETE).wait_for()
    assert alert.is_visible()
    words = page.locator("main").inner_text()
    assert not any(code in words for code in codes)
    assert index(page) == screen and _numbers(page) == ["2", "", "", "1", ""]
    next_box = page.get_by_role("button", name="Næste", exact=True).bounding_box()
    assert next_box["y"] + next_box["height"] <= page.viewport_size["height"], "the message does not push Næste out of sight"
    page.wait_for_timeout(500)
    assert "ranking.core" not in stored(live_server, rid)["answers"]

    # Finishing the order clears the message and goes on.
    for i in (1, 2, 4):
        cards.nth(i).tap()
    assert page.locator(".ranking-error").is_hidden() and page.locator(".ranking-error").text_content() == ""
    press(page, "Næste")
    assert _stored_ranking(live_server, rid) == [codes[i] for i in (3, 0, 1, 2, 4)]


def test_without_javascript_a_tie_is_refused_in_danish_on_the_same_screen(live_server: str, chromium) -> None:
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, java_script_enabled=False, has_touch=True)
    try:
        page = context.new_page()
        rid = _open_ranking(page, live_server)
        screen_url = page.url
        selects = page.locator("select[name^='rank.']")
        codes = [name.removeprefix("rank.") for name in selects.evaluate_all("els => els.map(e => e.name)")]
        assert page.locator(".rank-card").first.is_hidden(), "without JavaScript there are no cards to tap"
        tied = ["1", "1", "2", "3", "4"]
        for select, position in zip(selects.all(), tied):
            select.select_option(position)
        page.get_by_role("button", name="Næste", exact=True).click()

        page.get_by_role("alert").filter(has_text=TIE).wait_for()
        assert page.url == screen_url
        assert [select.input_value() for select in selects.all()] == tied, "what was chosen is kept"
        words = page.locator("main").inner_text()
        assert not any(code in words for code in codes)
        assert "ranking.core" not in stored(live_server, rid)["answers"]

        selects.nth(1).select_option("5")
        page.get_by_role("button", name="Næste", exact=True).click()
        page.wait_for_url(lambda url: url != screen_url)
        assert stored(live_server, rid)["answers"]["ranking.core"]["value"] == [codes[i] for i in (0, 2, 3, 4, 1)]
    finally:
        context.close()
