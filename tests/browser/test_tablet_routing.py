"""A ward tablet starts the questionnaire its study chose for the ward; a study-wide
invitation asks the respondent for their ward and assumes none."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.seeding import enrolment_code, invitation_code
from tests.browser.tablet_steps import ITEM_URL, asked, consent, index, response_id, stored

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "locale": "da-DK"}
#: Set to a folder to keep screenshots of the screens this test passes through.
SHOTS = os.environ.get("LEASTMEANS_SHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_child_and_adolescent_ward_tablet_starts_the_youth_questionnaire(live_server: str, live_database: Path, tablet) -> None:
    page = tablet
    page.goto(f"{live_server}/tablet/kiosk")
    page.get_by_label("Tilmeldingskode").fill(enrolment_code(live_database, site="ward-c"))
    page.get_by_role("button", name="Tilmeld").tap()
    page.get_by_text("Denne tablet er nu tilmeldt").wait_for()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Jeg er patient").tap()
    # The youth questionnaire's own information, with who is responsible for the data.
    page.get_by_text("hvad du synes om forskellige slags tvang").wait_for()
    assert page.get_by_text("Region Hovedstadens Psykiatri").is_visible()
    consent(page)
    page.wait_for_url(ITEM_URL)

    form = page.locator("form.item-form")
    assert form.get_attribute("data-item-code") == "background.age_band"
    assert page.locator("fieldset.options label.choice").all_inner_texts() == ["12–14 år", "15–17 år"]
    page.locator("label.choice", has_text="12–14").tap()
    before = index(page)
    page.get_by_role("button", name="Næste", exact=True).tap()
    page.wait_for_function("n => Number(document.querySelector('form.item-form')?.dataset.index) !== n", arg=before)

    rid = response_id(page)
    session: dict = {}
    for _ in range(50):
        session = stored(live_server, rid)
        if session["answers"].get("background.age_band"):
            break
        page.wait_for_timeout(100)
    assert session["instrument"] == "patient_youth"
    assert session["answers"]["background.age_band"]["value"] == "12-14"
    codes = asked(page, session["answers"])
    assert any("rating." in code for code in codes)
    assert not [code for code in codes if "sedation_danger" in code]


def test_a_study_wide_invitation_asks_for_the_ward_and_preselects_none(live_server: str, live_database: Path, chromium) -> None:
    for name, options in (("phone", PHONE), ("tablet", {**PHONE, "viewport": {"width": 1024, "height": 768}, "is_mobile": False})):
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            page.goto(f"{live_server}/i/{invitation_code(live_database, 'relative', site=None)}")
            picker = page.get_by_label("Afdeling")
            assert picker.input_value() == ""
            assert picker.locator("option").all_inner_texts()[0] == "Vælg afdeling"
            assert "Børne- og ungdomsafsnit" in picker.locator("option").all_inner_texts()
            page.get_by_role("button", name=re.compile("^Start$")).tap()
            page.get_by_role("alert").filter(has_text="Vælg din afdeling for at gå videre.").wait_for()
            assert page.get_by_label("Afdeling").input_value() == ""
            _shot(page, f"welcome-ward-required-{name}")
            page.get_by_label("Afdeling").select_option(label="Børne- og ungdomsafsnit")
            page.get_by_role("button", name=re.compile("^Start$")).tap()
            page.get_by_role("heading", name="Før du begynder").wait_for()
            assert page.get_by_text("Projektleder, tlf. 3864 0000").is_visible()
            _shot(page, f"consent-{name}")
            if SHOTS:
                for _ in range(3):
                    page.get_by_role("button", name="Større tekst").tap()
                _shot(page, f"consent-{name}-largest-text")
                page.go_back()
                page.get_by_label("Afdeling").wait_for()
                _shot(page, f"welcome-{name}-largest-text")
        finally:
            context.close()
