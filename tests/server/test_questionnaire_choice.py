"""Each ward gets the questionnaire and languages its study chose (SQLite and PostgreSQL):
through the JSON API and the tablet pages alike; a study that chose nothing gets every
questionnaire that fits; a study-wide invitation makes the respondent pick their ward."""

import re

import pytest
from httpx import AsyncClient

from server.instrument_registry import InstrumentRegistry
from server.respondent.questionnaire_choice import offers
from server.storage.tables import Study
from server.studies import ensure_study
from server.workspace.enrolment import issue_invitations
from server.workspace.studies import StudyError, set_instruments

SITES = [("ward-g", "Afsnit G (voksen)", "general_adult"), ("ward-c", "Børne- og ungdomsafsnit", "child_adolescent")]
YOUTH_INFORMATION = "Vi vil gerne vide, hvad du synes om forskellige slags tvang."


async def _registry() -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


async def _study(pairs: list[tuple[str, str]]) -> int:
    study_id = await ensure_study("s", "Study", SITES)
    if pairs:
        await set_instruments(study_id, pairs, offers(await _registry()))
    return study_id


async def _start(client: AsyncClient, site: str, setting: str, group: str = "patient", **extra: str) -> dict:
    body = {"study": "s", "site": site, "group": group, "setting": setting, "consent": True, **extra}
    return (await client.post("/api/v1/responses", json=body)).json()


def _age_bands(started: dict) -> list[str]:
    item = next(i for i in started["items"] if i["code"] == "background.age_band")
    return [option["code"] for option in item["options"]]


async def test_the_studys_choice_is_applied_per_group_and_setting(client: AsyncClient) -> None:
    await _study([("patient_adult", "da"), ("patient_youth", "da"), ("relative", "da")])

    youth = await _start(client, "ward-c", "child_adolescent")
    assert youth["instrument"] == "patient_youth" and _age_bands(youth) == ["12-14", "15-17"]
    adult = await _start(client, "ward-g", "general_adult")
    assert adult["instrument"] == "patient_adult" and _age_bands(adult)[0] == "18-29"
    assert (await _start(client, "ward-c", "child_adolescent", group="relative"))["instrument"] == "relative"
    # The study asks no staff: refused, naming the field.
    staff = await client.post(
        "/api/v1/responses", json={"study": "s", "site": "ward-g", "group": "staff", "setting": "general_adult", "consent": True}
    )
    assert staff.status_code == 400 and staff.json()["extra"][0]["key"] == "group"

    # The tablet pages: the child ward's consent shows the youth questionnaire's own text,
    # and the start gives the youth questionnaire.
    consent = await client.get("/tablet/consent", params={"lang": "da", "group": "patient", "site": "s/ward-c"})
    assert consent.status_code == 200 and YOUTH_INFORMATION in consent.text
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "s/ward-c", "language": "da"})
    assert started.status_code == 303, started.text
    rid, _, key = started.cookies["lm_questionnaire"].partition(".")
    stored = (await client.get(f"/api/v1/responses/{rid}", headers={"X-Session-Key": key})).json()
    assert stored["instrument"] == "patient_youth" and stored["setting"] == "child_adolescent"


async def test_an_explicit_questionnaire_or_language_the_study_did_not_choose_is_refused(client: AsyncClient) -> None:
    await _study([("patient_adult", "da"), ("patient_youth", "da")])
    for extra, field in (
        ({"language": "en"}, "language"),
        ({"instrument": "patient_youth"}, "instrument"),  # the youth questionnaire does not serve adult wards
        ({"instrument": "relative"}, "instrument"),  # another group's questionnaire
        ({"instrument": "unicorn"}, "instrument"),
    ):
        refused = await client.post(
            "/api/v1/responses",
            json={"study": "s", "site": "ward-g", "group": "patient", "setting": "general_adult", "consent": True, **extra},
        )
        assert refused.status_code == 400, (extra, refused.text)
        assert [entry["key"] for entry in refused.json()["extra"]] == [field]
    chosen = await _start(client, "ward-g", "general_adult", language="da", instrument="patient_adult")
    assert chosen["instrument"] == "patient_adult"

    # The tablet offers no English: no switch to it, the consent page stays Danish, a
    # forged English start is refused.
    welcome = await client.get("/", params={"lang": "da"})
    assert 'hreflang="en"' not in welcome.text
    consent = await client.get("/tablet/consent", params={"lang": "en", "group": "patient", "site": "s/ward-g"})
    assert '<html lang="da">' in consent.text and "Ja, jeg vil gerne svare" in consent.text
    forged = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "s/ward-g", "language": "en"})
    assert forged.status_code == 400


async def test_a_study_that_chose_nothing_gets_every_questionnaire_that_fits(client: AsyncClient) -> None:
    await _study([])
    youth = await _start(client, "ward-c", "child_adolescent", language="en")
    assert youth["instrument"] == "patient_youth" and _age_bands(youth) == ["12-14", "15-17"]
    assert (await _start(client, "ward-g", "general_adult", group="staff"))["instrument"] == "staff"
    welcome = await client.get("/", params={"lang": "da"})
    assert 'hreflang="en"' in welcome.text


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("patient_adult", "da")], "Børne- og ungdomsafsnit (child & adolescent) has no patient questionnaire: add patient_youth"),
        ([("patient_youth", "da"), ("relative", "en")], "Afsnit G (voksen) (general adult) has no patient questionnaire: add patient_adult"),
    ],
)
async def test_a_choice_that_leaves_a_ward_without_its_questionnaire_is_refused(
    client: AsyncClient, pairs: list[tuple[str, str]], message: str
) -> None:
    study_id = await _study([("patient_adult", "da"), ("patient_youth", "da")])
    with pytest.raises(StudyError) as refused:
        await set_instruments(study_id, pairs, offers(await _registry()))
    assert refused.value.field == "instruments" and message in refused.value.reason
    # Nothing changed: the child ward still gets the youth questionnaire.
    assert (await _start(client, "ward-c", "child_adolescent"))["instrument"] == "patient_youth"


async def test_an_invitation_for_a_ward_starts_there_and_a_study_wide_one_asks_which_ward(client: AsyncClient) -> None:
    study_id = await _study([])
    site_ids = {row["code"]: row["id"] for row in await Study.raw("SELECT id, code FROM site")}

    [for_ward] = await issue_invitations(study_id, "patient", 1, None, site_id=site_ids["ward-c"])
    await client.get(f"/i/{for_ward.code}")
    welcome = await client.get("/", params={"lang": "da"})
    assert "<select" not in welcome.text and "Børne- og ungdomsafsnit" in welcome.text
    consent = await client.get("/tablet/consent", params={"lang": "da", "group": "patient"})
    assert YOUTH_INFORMATION in consent.text
    client.cookies.clear()

    [study_wide] = await issue_invitations(study_id, "relative", 1, None)
    await client.get(f"/i/{study_wide.code}")
    welcome = await client.get("/", params={"lang": "da"})
    picker = re.search(r'<select id="site" name="site"[^>]*>(.*?)</select>', welcome.text, re.S)
    assert picker is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>', picker.group(1))
    assert options == [("", " selected"), ("s/ward-c", ""), ("s/ward-g", "")]
    # Going on without a ward is refused in the respondent's language; nothing is used up.
    for lang, wording in (("da", "Vælg din afdeling for at gå videre."), ("en", "Choose your ward to go on.")):
        refused = await client.get("/tablet/consent", params={"lang": lang, "group": "relative", "site": ""})
        assert refused.status_code == 400 and wording in refused.text and 'role="alert"' in refused.text
    refused = await client.post("/tablet/start", data={"consent": "yes", "group": "relative", "language": "da"})
    assert refused.status_code == 400 and "Vælg din afdeling" in refused.text
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "relative", "site": "s/ward-g", "language": "da"})
    assert started.status_code == 303, started.text


async def test_the_consent_page_names_the_data_controller_and_contact_in_short_paragraphs(client: AsyncClient) -> None:
    await _study([])
    await Study.update({Study.data_controller: "Region Hovedstadens Psykiatri", Study.contact: "Projektleder, tlf. 3864 0000"}).where(
        Study.code == "s"
    )
    consent = await client.get("/tablet/consent", params={"lang": "en", "group": "patient", "site": "s/ward-g"})
    assert "Data controller:</strong> Region Hovedstadens Psykiatri" in consent.text
    assert "Contact:</strong> Projektleder, tlf. 3864 0000" in consent.text
    information = re.search(r'<div class="information"[^>]*>(.*?)</div>', consent.text, re.S)
    assert information is not None
    paragraphs = re.findall(r"<p>(.*?)</p>", information.group(1), re.S)
    assert len(paragraphs) >= 3 and all(p.count(". ") <= 1 for p in paragraphs), paragraphs


def test_two_questionnaires_for_one_ward_and_group_are_refused_and_languages_follow_the_choice() -> None:
    from server.respondent.questionnaire_choice import Offer, WardSetting, choose, configuration_problems

    available = {
        "patient_adult": Offer("patient_adult", "patient", ("general_adult", "forensic"), ("da", "en")),
        "patient_easy": Offer("patient_easy", "patient", ("general_adult",), ("da", "en")),
        "staff": Offer("staff", "staff", ("general_adult", "forensic"), ("da", "en")),
    }
    wards = [WardSetting("Afsnit A", "general_adult"), WardSetting("Retspsykiatrisk afsnit", "forensic")]
    both = [("patient_adult", "da"), ("patient_easy", "da")]
    assert configuration_problems(available, both, wards) == [
        "Afsnit A (general adult) has 2 patient questionnaires (patient_adult, patient_easy): keep one"
    ]
    assert configuration_problems(available, [("patient_easy", "en")], wards) == [
        "Retspsykiatrisk afsnit (forensic) has no patient questionnaire: add patient_adult"
    ]
    assert configuration_problems(available, [], wards) == []
    assert choose(available, [("patient_easy", "en"), ("staff", "da")], "patient", "general_adult") == choose(
        available, [("patient_easy", "en")], "patient", "general_adult"
    )
    assert choose(available, [("patient_easy", "en")], "patient", "general_adult").languages == ("en",)  # type: ignore[union-attr]
    assert choose(available, [("patient_easy", "en")], "staff", "general_adult") is None
    assert choose(available, [], "patient", "forensic").instrument == "patient_adult"  # type: ignore[union-attr]


async def test_the_consent_texts_are_those_of_the_questionnaire_the_study_will_start(client: AsyncClient) -> None:
    await _study([("patient_adult", "da"), ("patient_youth", "da")])
    youth = await client.get("/api/v1/responses/consent", params={"group": "patient", "study": "s", "setting": "child_adolescent"})
    assert youth.status_code == 200, youth.text
    assert youth.json()["instrument"] == "patient_youth" and YOUTH_INFORMATION in youth.json()["information"]
    adult = await client.get("/api/v1/responses/consent", params={"group": "patient", "study": "s", "setting": "general_adult"})
    assert adult.json()["instrument"] == "patient_adult"
    # What the start would refuse, the consent call refuses too, naming the parameter.
    for params, field in (
        ({"study": "s"}, "setting"),
        ({"study": "nope", "setting": "general_adult"}, "study"),
        ({"study": "s", "setting": "general_adult", "language": "en"}, "language"),
        ({"study": "s", "setting": "general_adult", "instrument": "patient_youth"}, "instrument"),
    ):
        refused = await client.get("/api/v1/responses/consent", params={"group": "patient", **params})
        assert refused.status_code == 400, (params, refused.text)
        assert refused.json()["extra"][0]["key"] == field, refused.text
