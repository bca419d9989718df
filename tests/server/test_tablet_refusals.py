"""A refused answer on the tablet is a page in the respondent's language, never JSON and
never a developer's reason or an internal code."""

import re

import pytest
from httpx import AsyncClient

from server.studies import ensure_study
from server.tablet.item_forms import parse_item_form
from server.tablet.phrases import PHRASES
from server.tablet.refusals import ScreenRefused

#: Refusal pages in the respondent's language, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only

RANKED = ["area_restriction", "holding_short", "acute_sedation", "belt_short", "seclusion"]


async def _start(client: AsyncClient, lang: str) -> tuple[str, list[dict]]:
    """A patient questionnaire in `lang`: its id and the items it asks."""
    await ensure_study("r", "Refusals", [("w", "Ward", "general_adult")])
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "r/w", "language": lang})
    assert started.status_code == 303, started.text
    response_id = started.cookies["lm_questionnaire"].split(".")[0]
    return response_id, (await client.get(f"/api/v1/responses/{response_id}")).json()["items"]


def _visible_text(html: str) -> str:
    """The words a respondent sees in <main> (no markup, attributes or scripts)."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<template.*?</template>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.split(">", 1)[1]))


@pytest.mark.parametrize("lang", ["da", "en"])
async def test_a_refused_answer_is_told_in_the_respondents_language_with_no_code(client: AsyncClient, lang: str) -> None:
    response_id, items = await _start(client, lang)
    vas_index = next(i for i, item in enumerate(items) if item["type"] == "vas")

    refused = await client.post(f"/tablet/questions/{vas_index}", data={"action": "next", "vas_set": "1", "value": "lots"})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}"' in refused.text
    seen = _visible_text(refused.text)
    assert PHRASES[lang]["error_title"] in seen and PHRASES[lang]["refused_answer"] in seen
    assert "value" not in seen and "whole number" not in refused.text
    assert f'href="/tablet/questions/{vas_index}"' in refused.text


async def test_a_refused_start_is_told_in_the_language_the_form_posted(client: AsyncClient) -> None:
    await ensure_study("r", "Refusals", [("w", "Ward", "general_adult")])
    refused = await client.post(
        "/tablet/start", data={"consent": "yes", "group": "patient", "site": "r/w", "setting": "nowhere", "language": "en"}
    )
    assert refused.status_code == 400
    seen = _visible_text(refused.text)
    assert PHRASES["en"]["refused_setting"] in seen
    assert "setting" not in seen and "nowhere" not in seen


async def test_a_tied_ranking_is_refused_on_the_same_screen_in_danish_with_the_choices_kept(client: AsyncClient) -> None:
    response_id, items = await _start(client, "da")
    at = next(i for i, item in enumerate(items) if item["code"] == "ranking.core")
    tied = {f"rank.{code}": str(position) for code, position in zip(RANKED, [1, 1, 2, 3, 4])}

    refused = await client.post(f"/tablet/questions/{at}", data={"action": "next", **tied})
    assert refused.status_code == 400
    assert 'data-item-type="ranking"' in refused.text, "the same question screen, not an error page"
    seen = _visible_text(refused.text)
    assert PHRASES["da"]["ranking_tie"] in seen
    assert not any(code in seen for code in RANKED)
    for code, position in tied.items():
        assert re.search(rf'name="{re.escape(code)}">.*?<option value="{position}" selected>', refused.text, re.S), code
    assert "ranking.core" not in (await client.get(f"/api/v1/responses/{response_id}")).json()["answers"]

    # Leaving the screen another way keeps nothing unfinished and is not refused.
    back = await client.post(f"/tablet/questions/{at}", data={"action": "back", **tied})
    assert back.status_code == 303


def test_a_ranking_form_with_a_tie_or_a_gap_is_refused_and_one_with_no_position_is_a_skip() -> None:
    with pytest.raises(ScreenRefused) as tie:
        parse_item_form("ranking", {"rank.a": "1", "rank.b": "1", "rank.c": "2"})
    assert tie.value.phrase == "ranking_tie"
    with pytest.raises(ScreenRefused) as gap:
        parse_item_form("ranking", {"rank.a": "1", "rank.b": "", "rank.c": "2"})
    assert gap.value.phrase == "ranking_incomplete"
    assert parse_item_form("ranking", {"rank.a": "", "rank.b": "", "rank.c": ""}) is None
    assert parse_item_form("ranking", {"rank.a": "3", "rank.b": "1", "rank.c": "2"}).value == ["b", "c", "a"]


async def test_the_json_api_still_answers_in_json_and_names_the_query_field(client: AsyncClient) -> None:
    refused = await client.get("/api/v1/responses/consent", params={"group": "patient", "language": "xx"})
    assert refused.status_code == 400
    body = refused.json()
    assert {(entry["key"], entry["source"]) for entry in body["extra"]} == {("language", "query")}
