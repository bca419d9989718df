"""The screen gallery in docs/tablet-screens.md: every screen type a respondent meets, at
tablet and phone size (written only with LEASTMEANS_SCREENSHOTS=1, by `make screenshots`)."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.tablet_steps import ITEM_URL, consent, press

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("LEASTMEANS_SCREENSHOTS") != "1", reason="set LEASTMEANS_SCREENSHOTS=1 to write docs/screens/"),
]

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
SIZES = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
#: Item types shown in the gallery, in the order the patient questionnaire reaches them.
ITEM_TYPES = ("single", "multiple", "vas", "paired", "ranking", "likert", "numeric")


@pytest.mark.parametrize("size", list(SIZES))
def test_gallery_of_every_screen_type(live_server: str, chromium, size: str) -> None:
    context = chromium.new_context(viewport=SIZES[size], has_touch=True, is_mobile=size == "phone", locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    SCREENS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.mouse.move(0, 0)
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENS / f"{name}-{size}.png"))

    try:
        page.goto(f"{live_server}/")
        shot("welcome")
        page.get_by_role("button", name=re.compile("^Start$")).click()
        page.get_by_role("heading", name="Før du begynder").wait_for()
        shot("consent")
        consent(page)
        page.wait_for_url(ITEM_URL)
        seen: set[str] = set()
        while len(seen) < len(ITEM_TYPES):
            item_type = page.locator("form.item-form").get_attribute("data-item-type")
            if item_type in ITEM_TYPES and item_type not in seen:
                seen.add(item_type)
                shot(f"question-{item_type}")
                if item_type == "vas":
                    line = page.get_by_role("slider").bounding_box()
                    page.touchscreen.tap(line["x"] + line["width"] * 0.62, line["y"] + line["height"] / 2)
                    shot("question-vas-set")
            if len(seen) < len(ITEM_TYPES):
                press(page, "Spring over")
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_role("heading", name="Vil du stoppe?").wait_for()
        shot("stop")
        page.go_back()
        page.wait_for_url(ITEM_URL)
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("heading", name="Din kode til at fortsætte").wait_for()
        shot("pause")
        page.goto(f"{live_server}/")
        page.get_by_role("button", name=re.compile("^Start$")).click()
        consent(page)
        page.wait_for_url(ITEM_URL)
        while page.locator("form.item-form").count():
            press(page, "Spring over")
        shot("end")
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Tak for din hjælp").wait_for()
        shot("thanks")
        page.goto(f"{live_server}/tablet/offline")
        shot("offline")
    finally:
        context.close()
    assert seen == set(ITEM_TYPES)
