"""The rating line (VAS) on touch screens: nothing drawn and nothing stored until the respondent
sets it, then exactly the touched position, by tap, drag or keyboard."""

import base64
from collections.abc import Iterator

import pytest

from tests.browser.tablet_steps import press, skip_until, start_questionnaire, stored

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
#: The accent colour the thumb and fill are painted in (tablet.css --accent).
ACCENT = (0x0B, 0x4F, 0x8A)


def _page(chromium, viewport: dict[str, int]) -> Iterator[object]:
    context = chromium.new_context(viewport=viewport, has_touch=True, locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture(params=[TABLET, PHONE], ids=["tablet", "phone"])
def touch_page(request: pytest.FixtureRequest, chromium) -> Iterator[object]:
    """A touch page at the tablet and at the phone size."""
    yield from _page(chromium, request.param)


@pytest.fixture
def phone(chromium) -> Iterator[object]:
    """A touch page at the phone size."""
    yield from _page(chromium, PHONE)


def _rail(page) -> dict[str, float]:
    """The drawn line's box (scrolled into view): its left edge is the minimum, its right edge the maximum."""
    rail = page.locator(".vas .vas-rail")
    rail.scroll_into_view_if_needed()
    return rail.bounding_box()


def _tap_at(page, fraction: float) -> None:
    box = _rail(page)
    page.touchscreen.tap(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def _accent_pixels(page, clip: dict[str, float]) -> int:
    """How many pixels of a screenshot crop are painted in (or near) the accent colour."""
    png = base64.b64encode(page.screenshot(clip=clip)).decode()
    return page.evaluate(
        """async ([png, accent]) => {
            const image = new Image();
            image.src = 'data:image/png;base64,' + png;
            await image.decode();
            const canvas = document.createElement('canvas');
            canvas.width = image.width; canvas.height = image.height;
            const context = canvas.getContext('2d');
            context.drawImage(image, 0, 0);
            const data = context.getImageData(0, 0, image.width, image.height).data;
            let count = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - accent[0]) + Math.abs(data[i + 1] - accent[1]) + Math.abs(data[i + 2] - accent[2]) < 60) { count++; }
            }
            return count;
        }""",
        [png, list(ACCENT)],
    )


def _shown(page) -> str:
    return page.locator(".vas .vas-value").inner_text().strip()


def _next_vas(page) -> str:
    """Skip to the next rating line; its item code."""
    skip_until(page, "item-type", "vas")
    return page.locator("form.item-form").get_attribute("data-item-code")


def test_taps_at_the_middle_and_the_ends_store_exactly_50_0_and_100(live_server: str, touch_page) -> None:
    page = touch_page
    rid = start_questionnaire(page, live_server)
    expected: dict[str, int] = {}
    for fraction, value in ((0.5, 50), (0.0, 0), (1.0, 100)):
        code = _next_vas(page)
        _tap_at(page, fraction)
        slider = page.get_by_role("slider")
        assert slider.get_attribute("aria-valuenow") == str(value)
        assert slider.get_attribute("aria-valuetext") == str(value)
        # The number shown is the number stored.
        assert _shown(page) == str(value)
        thumb = page.locator(".vas .vas-thumb").bounding_box()
        assert thumb["width"] >= 44 and thumb["height"] >= 44
        rail = _rail(page)
        # The thumb is drawn where the line was touched.
        assert abs(thumb["x"] + thumb["width"] / 2 - (rail["x"] + rail["width"] * fraction)) <= 2
        expected[code] = value
        press(page, "Næste")
    answers = stored(live_server, rid)["answers"]
    assert {code: answers[code]["value"] for code in expected} == expected
    assert page.js_errors == []


def test_an_untouched_line_shows_no_fill_no_thumb_and_stores_nothing(live_server: str, touch_page) -> None:
    page = touch_page
    rid = start_questionnaire(page, live_server)
    untouched = _next_vas(page)
    slider = page.get_by_role("slider", name=page.locator("#prompt").inner_text())
    assert slider.get_attribute("aria-valuetext") == "Ikke besvaret"
    assert (slider.get_attribute("aria-valuemin"), slider.get_attribute("aria-valuemax")) == ("0", "100")
    for part in (".vas-fill", ".vas-thumb", ".vas-value"):
        assert not page.locator(f".vas {part}").is_visible(), part
    _rail(page)
    assert _accent_pixels(page, page.locator(".vas .vas-line").bounding_box()) == 0
    press(page, "Næste")
    assert untouched not in stored(live_server, rid)["answers"]

    # The same check on the next line once touched does find the fill and thumb.
    touched = _next_vas(page)
    _tap_at(page, 0.5)
    assert _accent_pixels(page, page.locator(".vas .vas-line").bounding_box()) > 500
    press(page, "Næste")
    answers = stored(live_server, rid)["answers"]
    assert untouched not in answers and answers[touched]["value"] == 50
    assert page.js_errors == []


def test_the_keyboard_and_the_mouse_set_and_move_the_value(live_server: str, tablet) -> None:
    page = tablet
    rid = start_questionnaire(page, live_server)
    code = _next_vas(page)
    # queue.js initialises every screen it swaps in; a second call must not bind the keys twice.
    page.evaluate("window.leastmeans.initVas(document)")
    slider = page.get_by_role("slider")
    slider.focus()
    steps = [("ArrowRight", 50), ("ArrowRight", 51), ("PageUp", 61), ("ArrowLeft", 60), ("End", 100), ("PageUp", 100),
             ("Home", 0), ("ArrowDown", 0), ("PageDown", 0), ("PageUp", 10), ("ArrowUp", 11)]
    for key, value in steps:
        page.keyboard.press(key)
        assert slider.get_attribute("aria-valuenow") == str(value), key
    assert _shown(page) == "11"
    press(page, "Næste")
    assert stored(live_server, rid)["answers"][code]["value"] == 11

    # A mouse press sets the value at once and a drag moves it.
    dragged = _next_vas(page)
    box = _rail(page)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    assert page.get_by_role("slider").get_attribute("aria-valuenow") == "25"
    page.mouse.move(box["x"] + box["width"] * 0.9, y, steps=5)
    page.mouse.up()
    assert _shown(page) == "90"
    press(page, "Næste")
    assert stored(live_server, rid)["answers"][dragged]["value"] == 90


def test_a_drag_follows_the_finger_and_a_vertical_swipe_scrolls_without_answering(live_server: str, phone) -> None:
    page = phone
    rid = start_questionnaire(page, live_server)
    code = _next_vas(page)
    cdp = page.context.new_cdp_session(page)

    def swipe_up() -> None:
        box = _rail(page)
        x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 15):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 15 * step}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    # A finger moves up over the line: the page scrolls, the line stays unset.
    page.evaluate("window.scrollTo(0, 0)")
    swipe_up()
    page.wait_for_function("() => window.scrollY > 50")
    assert page.get_by_role("slider").get_attribute("aria-valuetext") == "Ikke besvaret"
    # Also where the page cannot scroll any further (the browser then lets the touch end).
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    swipe_up()
    assert page.get_by_role("slider").get_attribute("aria-valuetext") == "Ikke besvaret"

    box = _rail(page)
    y = box["y"] + box["height"] / 2
    start, end = box["x"] + box["width"] * 0.2, box["x"] + box["width"] * 0.8
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start, "y": y}]})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": start + (end - start) * step / 10, "y": y}]})
        if step == 5:
            # Mid-drag the thumb is under the finger.
            page.wait_for_function("() => document.querySelector('.vas-line').getAttribute('aria-valuenow') === '50'")
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("() => document.querySelector('.vas-line').getAttribute('aria-valuenow') === '80'")
    assert _shown(page) == "80"
    press(page, "Næste")
    assert stored(live_server, rid)["answers"][code]["value"] == 80


def test_the_anchors_wrap_inside_a_phone_screen_at_the_largest_text_size(live_server: str, phone) -> None:
    page = phone
    start_questionnaire(page, live_server)
    _next_vas(page)
    for _ in range(3):
        page.get_by_role("button", name="Større tekst").click()
    page.wait_for_function("() => document.documentElement.classList.contains('text-3')")
    width = page.evaluate("document.documentElement.clientWidth")
    assert width == 390
    # Nothing of the rating control (line, number, anchors, hint) reaches past the screen's
    # edges, and no anchor's text runs out of its box.
    outside = page.evaluate(
        """w => [...document.querySelectorAll('.vas, .vas *')]
            .filter(e => { const r = e.getBoundingClientRect(); return r.width && (r.left < 0 || r.right > w); })
            .concat([...document.querySelectorAll('.vas, .vas .anchors span, .vas .hint')].filter(e => e.scrollWidth > e.clientWidth))
            .map(e => e.className || e.textContent)""",
        width,
    )
    assert outside == []
    assert page.locator(".vas .anchors").inner_text().split() == "Slet ikke indgribende Værst tænkelige".split()
    # The line still takes a tap at its right end at this size.
    _tap_at(page, 1.0)
    assert _shown(page) == "100"
