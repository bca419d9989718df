"""Moving through the questionnaire by touch: a double tap never skips a question, and
while the network is fine nothing alarms the respondent or moves under the finger."""

import re

import pytest

from tests.browser.tablet_steps import END_URL, index, start_questionnaire, stored, wait_for_index

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "da-DK"}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "locale": "da-DK"}

#: Recorded from the first byte of every page: each text the connection status ever shows,
#: whether "Ingen forbindelse" appeared anywhere, and every position "Næste" took on each
#: screen (page coordinates, so scrolling to reach it does not count as moving).
WATCH = """
window.__status = []; window.__alarm = false; window.__next = {};
new MutationObserver(() => {
  const box = document.getElementById('queue-status');
  if (box && box.textContent && window.__status[window.__status.length - 1] !== box.textContent) { window.__status.push(box.textContent); }
  if (document.body && document.body.textContent.includes('Ingen forbindelse')) { window.__alarm = true; }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
(function track() {
  const form = document.querySelector('form.item-form');
  const next = form && form.querySelector('button[value=next]');
  if (next) {
    const r = next.getBoundingClientRect();
    const key = form.dataset.index + ' ' + form.dataset.itemCode;
    const where = [r.x + scrollX, r.y + scrollY, r.width, r.height].map(Math.round).join(',');
    (window.__next[key] = window.__next[key] || []).includes(where) || window.__next[key].push(where);
  }
  requestAnimationFrame(track);
})();
"""

#: Records when each touch began and which screen was showing then.
TAPS = """
window.__taps = [];
window.__tapsWatched || document.addEventListener('touchstart', (event) => {
  const form = document.querySelector('form.item-form');
  window.__taps.push({ at: event.timeStamp, screen: form ? form.dataset.index : null });
}, { capture: true });
window.__tapsWatched = true;
"""


@pytest.mark.parametrize("device", [TABLET, PHONE], ids=["tablet", "phone"])
def test_a_double_tap_on_next_advances_exactly_one_screen(live_server: str, chromium, device: dict) -> None:
    context = chromium.new_context(**device)
    try:
        page = context.new_page()
        rid = start_questionnaire(page, live_server)
        for start in (0, 1):
            assert index(page) == start
            first_code = page.locator("form.item-form").get_attribute("data-item-code")
            page.locator("main .controls input").first.check()
            next_button = page.get_by_role("button", name="Næste", exact=True)
            next_button.scroll_into_view_if_needed()
            box = next_button.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.evaluate(TAPS)
            page.touchscreen.tap(x, y)
            page.touchscreen.tap(x, y)
            page.wait_for_timeout(600)
            taps = page.evaluate("window.__taps")
            # A double tap as a hurried finger makes it: the second within 200 ms, on the new screen.
            assert len(taps) == 2 and taps[1]["at"] - taps[0]["at"] < 200, taps
            assert [tap["screen"] for tap in taps] == [str(start), str(start + 1)], taps
            assert index(page) == start + 1
            assert re.search(rf"/tablet/questions/{start + 1}$", page.url)
            # The screen after it is the one the double tap would have skipped: it is shown, unanswered.
            assert page.locator("form.item-form").get_attribute("data-item-code") != first_code
            assert page.locator("main .controls input:checked").count() == 0
        page.wait_for_function("() => window.leastmeans.pendingAnswers() === 0")
        assert len(stored(live_server, rid)["answers"]) == 2
    finally:
        context.close()


def test_an_online_run_never_alarms_and_next_never_moves_under_the_finger(live_server: str, tablet) -> None:
    page = tablet
    page.context.add_init_script(WATCH)
    rid = start_questionnaire(page, live_server)
    screens = 0
    while page.locator("form.item-form").count():
        at = index(page)
        choice = page.locator("main .controls input[type=radio], main .controls input[type=checkbox]")
        # Answer every other screen that has options, skip the rest: both kinds of step.
        if choice.count() and at % 2 == 0:
            choice.first.tap()
            page.get_by_role("button", name="Næste", exact=True).tap()
        else:
            page.get_by_role("button", name="Spring over", exact=True).tap()
        page.wait_for_function(
            "n => { const f = document.querySelector('form.item-form'); return !f || Number(f.dataset.index) !== n; }", arg=at
        )
        screens += 1
    page.wait_for_url(END_URL)
    assert screens > 20
    # The end screen counts no questions.
    assert not page.locator(".toolbar").get_by_text(re.compile(r"Spørgsmål \d+ af \d+")).is_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__alarm") is False, page.evaluate("window.__status")
    assert page.evaluate("window.__status") == []
    moved = {screen: where for screen, where in page.evaluate("window.__next").items() if len(where) > 1}
    assert moved == {}, moved
    page.get_by_role("button", name="Send").tap()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()
    assert stored(live_server, rid)["submitted_at"] is not None


def test_back_and_the_end_screen_work_from_the_device(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    page.locator("main .controls input").first.check()
    page.get_by_role("button", name="Næste", exact=True).click()
    wait_for_index(page, 1)
    assert page.locator(".progress-text").inner_text() == f"Spørgsmål 2 af {page.locator('form.item-form').get_attribute('data-total')}"
    page.get_by_role("button", name="Tilbage", exact=True).click()
    wait_for_index(page, 0)
    # The answer given is shown again, and the first screen has no Back button.
    assert page.locator("main .controls input").first.is_checked()
    assert page.get_by_role("button", name="Tilbage", exact=True).count() == 0
    # The browser's own Back walks the same screens.
    page.go_back()
    wait_for_index(page, 1)
    page.go_back()
    wait_for_index(page, 0)
    assert re.search(rf"/tablet/questions/0$", page.url)
