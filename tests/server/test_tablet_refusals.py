"""A refused answer on the tablet is a page in the respondent's language, not JSON."""

from httpx import AsyncClient

from server.studies import ensure_study


async def test_a_refused_form_post_shows_a_page_with_the_reason_and_a_way_back(client: AsyncClient) -> None:
    await ensure_study("r", "Refusals", [("w", "Ward", "general_adult")])
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "r/w", "language": "da"})
    assert started.status_code == 303, started.text
    question = started.headers["location"]
    response_id = question.split("/")[2]
    page = await client.get(question)
    vas_index = 0
    while 'type="range"' not in (await client.get(f"/tablet/{response_id}/{vas_index}")).text:
        vas_index += 1
        assert vas_index < 40, "no VAS question found"

    refused = await client.post(f"/tablet/{response_id}/{vas_index}", data={"action": "next", "vas_set": "1", "value": "lots"})
    assert page.status_code == 200
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "Det kunne ikke gemmes" in refused.text
    assert "value" in refused.text
    assert f'href="/tablet/{response_id}/{vas_index}"' in refused.text


async def test_the_json_api_still_answers_in_json_and_names_the_query_field(client: AsyncClient) -> None:
    refused = await client.get("/api/v1/responses/consent", params={"group": "patient", "language": "xx"})
    assert refused.status_code == 400
    body = refused.json()
    assert {(entry["key"], entry["source"]) for entry in body["extra"]} == {("language", "query")}
