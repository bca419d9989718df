"""A patient's "My order" card after handing in: drawn from their own answers, adjusted
in the form alone, taken away as a QR code or a PDF, and gone once they are done. Nothing
of it is stored and the research answers stay exactly as handed in.

The card's one storage read (the handed-in session and its study's switch) runs on both
databases; the tests of the screen alone run on SQLite."""

import logging
import re
import pytest
from httpx import AsyncClient

from server.storage.tables import Answer, Response, Study
from server.studies import ensure_study
from server.tablet.phrases import PHRASES
from server.tablet.preference_card import NOTE_LIMIT


RATINGS = {"personal_observation": 10, "area_restriction": 30, "time_out": 30, "seclusion": 30, "holding_short": 80}
#: The ranking task's answer: seclusion before area restriction (both rated 30).
RANKING = ["seclusion", "area_restriction", "holding_short", "acute_sedation", "belt_short"]


async def _answered(client: AsyncClient, group: str = "patient", study: str = "card", setting: str = "general_adult") -> str:
    """A questionnaire in `study` with a few ratings, one "don't know" and the ranking task saved."""
    await ensure_study(study, "Card", [("w", "Ward", setting)])
    started = await client.post("/tablet/start", data={"consent": "yes", "group": group, "site": f"{study}/w", "language": "da"})
    assert started.status_code == 303, started.text
    rid = started.cookies["lm_questionnaire"].split(".")[0]
    items = (await client.get(f"/api/v1/responses/{rid}")).json()["items"]
    assert "ranking.core" in {item["code"] for item in items}
    answers = {f"rating.{measure}": {"value": value} for measure, value in RATINGS.items()}
    answers |= {"rating.acute_sedation": {"missing": "dont_know"}, "ranking.core": {"value": RANKING}}
    for item, body in answers.items():
        saved = await client.put(f"/api/v1/responses/{rid}/answers/{item}", json=body)
        assert saved.status_code in (200, 201), saved.text
    return rid


def _fields(html: str) -> dict[str, str]:
    """The card form's hidden fields and note, as the browser would post them."""
    form = html.split('id="card-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">', form))
    fields["note"] = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S).group(1)
    return fields


def _rungs(html: str) -> list[list[str]]:
    ladder = html.split('class="card-ladder"', 1)[1].split("</ol>", 1)[0]
    return [re.findall(r'data-measure="([a-z_]+)"', rung) for rung in ladder.split('class="card-rung')[1:]]


async def _stored(rid: str) -> list[tuple]:
    rows = await Answer.select(Answer.item, Answer.value, Answer.missing).where(Answer.response == rid).order_by(Answer.item)
    return [tuple(row.values()) for row in rows]


async def test_a_patient_sees_their_order_adjusts_it_and_the_stored_answers_stay(client: AsyncClient) -> None:
    rid = await _answered(client)
    before = await _stored(rid)
    submitted = await client.post("/tablet/questions/submit")
    assert submitted.status_code == 303
    thanks = await client.get(submitted.headers["location"])
    assert PHRASES["da"]["card_offer_title"] in thanks.text

    card = await client.get("/tablet/card")
    assert card.status_code == 200 and card.headers["cache-control"] == "no-store"
    # Equal ratings side by side, the ranking putting seclusion before area restriction
    # (time out, not in the ranking, stays level with seclusion); don't know apart.
    assert _rungs(card.text) == [["personal_observation"], ["seclusion", "time_out"], ["area_restriction"], ["holding_short"]]
    unrated = card.text.split('id="card-unrated-title"', 1)[1]
    assert 'data-measure="acute_sedation"' in unrated
    assert PHRASES["da"]["card_not_a_rule"] in card.text

    fields = _fields(card.text)
    moved = await client.post("/tablet/card", data={**fields, "move": "holding_short:up", "note": "tal roligt til mig først"})
    assert moved.status_code == 200 and moved.headers["cache-control"] == "no-store"
    assert _rungs(moved.text) == [["personal_observation"], ["seclusion", "time_out"], ["holding_short"], ["area_restriction"]]
    assert "tal roligt til mig først" in moved.text
    # The QR code holds the card itself; the research answers are untouched.
    assert await _stored(rid) == before

    pdf = await client.post("/tablet/card/pdf", data=_fields(moved.text))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["cache-control"] == "no-store"

    done = await client.post("/tablet/card/close", data={"lang": "da"})
    assert done.status_code == 303
    # Done: the card is gone from this browser and cannot be drawn again.
    assert (await client.get("/tablet/card")).status_code == 303
    assert (await client.post("/tablet/card", data=_fields(moved.text))).status_code == 303
    assert await _stored(rid) == before


@pytest.mark.sqlite_only
async def test_a_tie_left_by_the_answers_stays_side_by_side_and_can_be_split(client: AsyncClient) -> None:
    await _answered(client)
    await client.post("/tablet/questions/submit")
    card = await client.get("/tablet/card")
    fields = _fields(card.text)
    tied = {**fields, "order": "personal_observation|area_restriction,time_out|holding_short"}
    split = await client.post("/tablet/card", data={**tied, "move": "time_out:down"})
    assert _rungs(split.text) == [["personal_observation"], ["area_restriction"], ["time_out"], ["holding_short"]]
    added = await client.post("/tablet/card", data={**_fields(split.text), "move": "acute_sedation:add"})
    assert _rungs(added.text)[-1] == ["acute_sedation"]
    assert 'data-measure="acute_sedation"' not in added.text.split('id="card-unrated-title"', 1)[1]


@pytest.mark.sqlite_only
async def test_a_long_note_is_cut_and_the_screen_says_so(client: AsyncClient) -> None:
    await _answered(client)
    await client.post("/tablet/questions/submit")
    fields = _fields((await client.get("/tablet/card")).text)
    cut = await client.post("/tablet/card", data={**fields, "note": "x" * (NOTE_LIMIT + 30)})
    assert PHRASES["da"]["card_note_cut"].replace("{limit}", str(NOTE_LIMIT)) in cut.text
    assert _fields(cut.text)["note"] == "x" * NOTE_LIMIT


@pytest.mark.sqlite_only
async def test_a_forged_order_is_refused_and_no_log_line_holds_the_card(client: AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    await _answered(client)
    await client.post("/tablet/questions/submit")
    fields = _fields((await client.get("/tablet/card")).text)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        refused = await client.post("/tablet/card", data={**fields, "order": "<script>x</script>", "note": "hemmelig note"})
        assert refused.status_code == 400 and "<script>x" not in refused.text
        twice = await client.post("/tablet/card", data={**fields, "order": "time_out|time_out", "note": "hemmelig note"})
        assert twice.status_code == 400
        moved = await client.post("/tablet/card", data={**fields, "move": "seclusion:down", "note": "hemmelig note"})
        assert moved.status_code == 200
    # The server's own lines (the test client's request lines name only addresses).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "refused" in logged, "the refusals were logged"
    for secret in ("hemmelig", "<script>", "seclusion", "time_out"):
        assert secret not in logged


@pytest.mark.sqlite_only
async def test_the_card_follows_a_language_switch_with_its_order_and_note(client: AsyncClient) -> None:
    await _answered(client)
    await client.post("/tablet/questions/submit")
    fields = _fields((await client.get("/tablet/card")).text)
    # The toolbar's switch submits the card's own form with "language".
    switched = await client.post("/tablet/card", data={**fields, "note": "tal roligt", "language": "en"})
    assert '<html lang="en"' in switched.text and PHRASES["en"]["card_not_a_rule"] in switched.text
    assert _rungs(switched.text) == [["personal_observation"], ["seclusion", "time_out"], ["area_restriction"], ["holding_short"]]
    assert _fields(switched.text)["note"] == "tal roligt"


@pytest.mark.sqlite_only
async def test_stopping_and_keeping_the_answers_offers_the_card_too(client: AsyncClient) -> None:
    await _answered(client)
    stopped = await client.post("/tablet/questions/stop", data={"choice": "keep"})
    assert stopped.status_code == 303
    assert PHRASES["da"]["card_offer_title"] in (await client.get(stopped.headers["location"])).text
    assert (await client.get("/tablet/card")).status_code == 200


@pytest.mark.sqlite_only
async def test_declining_lets_the_questionnaire_go_at_once(client: AsyncClient) -> None:
    await _answered(client)
    await client.post("/tablet/questions/submit")
    declined = await client.post("/tablet/card/close", data={"lang": "da"})
    assert declined.status_code == 303 and declined.headers["location"] == "/?lang=da"
    assert (await client.get("/tablet/card")).status_code == 303
    assert PHRASES["da"]["card_offer_title"] not in (await client.get("/tablet/thanks?lang=da")).text


async def test_no_card_when_the_study_switched_it_off(client: AsyncClient) -> None:
    await _answered(client, study="nocard")
    await Study.update({Study.preference_card: False}).where(Study.code == "nocard")
    submitted = await client.post("/tablet/questions/submit")
    # The browser forgets the questionnaire at once, as before the card existed.
    assert "lm_questionnaire" in submitted.headers.get("set-cookie", "")
    thanks = await client.get(submitted.headers["location"])
    assert PHRASES["da"]["card_offer_title"] not in thanks.text
    assert (await client.get("/tablet/card")).status_code == 303


@pytest.mark.sqlite_only
async def test_a_young_patient_gets_a_card_without_the_measures_they_were_not_asked(client: AsyncClient) -> None:
    rid = await _answered(client, study="youth", setting="child_adolescent")
    aged = await client.put(f"/api/v1/responses/{rid}/answers/background.age_band", json={"value": "12-14"})
    assert aged.status_code in (200, 201)
    await client.post("/tablet/questions/submit")
    card = await client.get("/tablet/card")
    assert _rungs(card.text) == [["personal_observation"], ["seclusion", "time_out"], ["area_restriction"], ["holding_short"]]
    # Sedation because of danger is not asked under 15, so it is not on their card at all.
    assert 'data-measure="sedation_danger"' not in card.text and 'data-measure="belt_long"' in card.text


@pytest.mark.sqlite_only
async def test_relatives_are_never_offered_a_card(client: AsyncClient) -> None:
    rid = await _answered(client, study="rel")
    # The same questionnaire as a relative's (the demo welcome screen starts patients only).
    await Response.update({Response.respondent_group: "relative"}).where(Response.id == rid)
    submitted = await client.post("/tablet/questions/submit")
    assert "lm_questionnaire" in submitted.headers.get("set-cookie", "")
    assert PHRASES["da"]["card_offer_title"] not in (await client.get(submitted.headers["location"])).text
    assert (await client.get("/tablet/card")).status_code == 303
