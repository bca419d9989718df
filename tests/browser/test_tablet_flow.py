"""A respondent answers on a tablet-sized touch screen in a real Chromium."""

import re

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_a_respondent_answers_skips_goes_back_and_submits(live_server: str, tablet) -> None:
    page = tablet
    page.goto(f"{live_server}/")
    page.get_by_label("Voksenpsykiatri").check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/tablet/[0-9a-f-]+/0$"))
    response_id = page.url.split("/")[-2]

    slider = page.locator("input[type=range]")
    # No preset handle: nothing is chosen until the respondent touches the line.
    assert "unset" in page.locator(".vas").get_attribute("class")
    assert slider.get_attribute("aria-valuetext") == "Ikke besvaret"
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    assert "unset" not in page.locator(".vas").get_attribute("class")
    chosen = int(slider.input_value())
    assert 65 <= chosen <= 85
    page.get_by_role("button", name="Næste").click()
    page.wait_for_url(re.compile(r"/1$"))

    page.get_by_role("button", name="Ved ikke").click()
    page.wait_for_url(re.compile(r"/2$"))
    page.get_by_role("button", name="Tilbage").click()
    page.wait_for_url(re.compile(r"/1$"))
    assert "chosen" in page.get_by_role("button", name="Ved ikke").get_attribute("class")

    # Skipping: Next without touching the line stores nothing for that question.
    while "/end" not in page.url:
        page.get_by_role("button", name="Næste").click()
        page.wait_for_load_state()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Tak for din hjælp").wait_for()

    stored = httpx.get(f"{live_server}/api/v1/responses/{response_id}").json()
    assert stored["submitted_at"] is not None
    answers = stored["answers"]
    first, second = stored["items"][0]["code"], stored["items"][1]["code"]
    assert answers[first]["value"] == chosen
    assert answers[second] == {"item": second, "value": None, "missing": "dont_know"}
    assert len(answers) == 2
    assert page.js_errors == []
