"""The tablet's language switch offers and accepts only the languages the study chose
for its questionnaire (SQLite and PostgreSQL)."""

from httpx import AsyncClient

from server.instrument_registry import InstrumentRegistry
from server.respondent.questionnaire_choice import offers
from server.studies import ensure_study
from server.workspace.studies import set_instruments

SITES = [("ward-g", "Afsnit G (voksen)", "general_adult")]


async def _study(pairs: list[tuple[str, str]]) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    study_id = await ensure_study("s", "Study", SITES)
    await set_instruments(study_id, pairs, offers(registry))


async def _start(client: AsyncClient) -> str:
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "s/ward-g", "language": "da"})
    assert started.status_code == 303, started.text
    return started.cookies["lm_questionnaire"].split(".")[0]


async def test_a_study_that_chose_only_danish_offers_no_switch_and_refuses_english(client: AsyncClient) -> None:
    await _study([("patient_adult", "da")])
    rid = await _start(client)

    for path in ("/tablet/questions/0", "/tablet/questions/end", "/tablet/questions/stop"):
        screen = await client.get(path)
        assert screen.status_code == 200, path
        assert 'class="languages"' not in screen.text and 'value="en"' not in screen.text, path

    refused = await client.post("/tablet/questions/language", data={"language": "en", "screen": "0"})
    # Refused in the respondent's language, naming no internal code, and nothing changed.
    assert refused.status_code == 400
    assert 'lang="da"' in refused.text and "Noget i svaret blev ikke godtaget" in refused.text
    main = refused.text.split("<main", 1)[1]
    assert "language" not in main and "'en'" not in main
    # "Try again" leads back to the same question, not to the address of the switch.
    assert f'href="/tablet/questions/0">Prøv igen' in main
    assert (await client.get(f"/api/v1/responses/{rid}")).json()["language"] == "da"


async def test_a_study_that_chose_both_languages_offers_and_accepts_the_switch(client: AsyncClient) -> None:
    await _study([("patient_adult", "da"), ("patient_adult", "en")])
    rid = await _start(client)

    screen = await client.get("/tablet/questions/0")
    assert 'class="languages"' in screen.text and 'name="language" value="en"' in screen.text

    switched = await client.post("/tablet/questions/language", data={"language": "en", "screen": "0"})
    assert switched.status_code == 303 and switched.headers["location"] == "/tablet/questions/0"
    assert (await client.get(f"/api/v1/responses/{rid}")).json()["language"] == "en"
