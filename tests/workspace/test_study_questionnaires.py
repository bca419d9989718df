"""The study page refuses a questionnaire choice that leaves a ward without its
questionnaire, names the ward and the group, and keeps what was typed; the data
controller and contact set there reach the respondent's consent page."""

from collections.abc import Callable

import httpx

from server.workspace.roles import Role
from tests.workspace.conftest import csrf_headers

CHILD_WARD_MESSAGE = "Børne- og ungdomsafsnit (child &amp; adolescent) has no patient questionnaire: add patient_youth"


def _checked(page: str, value: str) -> bool:
    return f'value="{value}" checked' in page


async def test_the_study_page_refuses_a_ward_without_its_questionnaire_and_keeps_the_form(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    h = csrf_headers(researcher)
    created = await researcher.post("/workspace/studies/", data={"code": "s1", "name": "Study one"}, headers=h)
    study = f"/workspace/studies/{created.headers['location'].rsplit('/', 1)[1]}"
    adult_ward = {"site_code": "w1", "site_name": "Afsnit 1", "setting": "general_adult"}
    child_ward = {"site_code": "c1", "site_name": "Børne- og ungdomsafsnit", "setting": "child_adolescent"}
    assert (await researcher.post(f"{study}/sites", data=adult_ward, headers=h)).status_code == 303
    assert (await researcher.post(f"{study}/instruments", data={"use": ["patient_adult:da"]}, headers=h)).status_code == 303

    refused = await researcher.post(f"{study}/sites", data=child_ward, headers=h)
    assert refused.status_code == 400 and CHILD_WARD_MESSAGE in refused.text
    assert 'name="site_code" value="c1"' in refused.text and 'value="child_adolescent" selected' in refused.text

    both = {"use": ["patient_adult:da", "patient_youth:da"]}
    assert (await researcher.post(f"{study}/instruments", data=both, headers=h)).status_code == 303
    assert (await researcher.post(f"{study}/sites", data=child_ward, headers=h)).status_code == 303

    refused = await researcher.post(f"{study}/instruments", data={"use": ["patient_adult:da", "patient_adult:en"]}, headers=h)
    assert refused.status_code == 400 and CHILD_WARD_MESSAGE in refused.text
    assert _checked(refused.text, "patient_adult:en") and not _checked(refused.text, "patient_youth:da")
    saved = (await researcher.get(study)).text
    assert _checked(saved, "patient_youth:da") and not _checked(saved, "patient_adult:en")

    responsible = {"data_controller": "Region Hovedstadens Psykiatri", "contact": "Projektleder, tlf. 3864 0000"}
    assert (await researcher.post(f"{study}/responsible", data=responsible, headers=h)).status_code == 303
    assert 'value="Region Hovedstadens Psykiatri"' in (await researcher.get(study)).text
    consent = await client.get("/tablet/consent", params={"lang": "da", "group": "patient", "site": "s1/c1"})
    assert "Dataansvarlig:</strong> Region Hovedstadens Psykiatri" in consent.text
    assert "Kontakt:</strong> Projektleder, tlf. 3864 0000" in consent.text
