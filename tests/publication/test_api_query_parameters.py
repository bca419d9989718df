"""The authority API refuses query parameters it does not take, or takes once, naming them,
and every refusal says where the offending value was sent (`source`)."""

from httpx import AsyncClient

from server.publication.tokens import issue_token


async def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {(await issue_token('authority systems')).secret}"}


def _refused(response, key: str, source: str) -> str:  # type: ignore[no-untyped-def]
    """The refusal's message for `key`, after checking the shape every API error has."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400 and key in body["detail"]
    [entry] = body["extra"]
    assert entry["key"] == key and entry["source"] == source, body
    return str(entry["message"])


async def test_a_repeated_filter_is_refused_instead_of_using_the_last_value(client: AsyncClient) -> None:
    headers = await _auth()
    twice = await client.get("/api/v1/gradation?setting=forensic&setting=general_adult", headers=headers)
    assert "2 times" in _refused(twice, "setting", "query")
    numbered = await client.get("/api/v1/gradation/1?group=patient&group=patient", headers=headers)
    assert "2 times" in _refused(numbered, "group", "query")


async def test_an_unknown_parameter_is_refused_naming_it_and_the_ones_the_route_takes(client: AsyncClient) -> None:
    headers = await _auth()
    typo = await client.get("/api/v1/gradation?settings=forensic", headers=headers)
    message = _refused(typo, "settings", "query")
    assert "group" in message and "setting" in message
    listing = await client.get("/api/v1/publications?page=2", headers=headers)
    assert "no query parameters" in _refused(listing, "page", "query")
    # The token is checked first: without one, nothing about the parameters is told.
    assert (await client.get("/api/v1/gradation?settings=forensic")).status_code == 401


async def test_an_unknown_filter_value_is_a_query_error_not_a_body_error(client: AsyncClient) -> None:
    headers = await _auth()
    bad = await client.get("/api/v1/gradation?setting=prison", headers=headers)
    assert "general_adult" in _refused(bad, "setting", "query")


async def test_a_path_parameter_out_of_range_is_a_path_error(client: AsyncClient) -> None:
    headers = await _auth()
    zero = await client.get("/api/v1/gradation/0", headers=headers)
    assert zero.status_code == 400
    assert {(e["key"], e["source"]) for e in zero.json()["extra"]} == {("number", "path")}


async def test_a_body_field_is_still_a_body_error(client: AsyncClient) -> None:
    started = await client.post("/api/v1/responses", json={"group": "patient", "setting": "general_adult", "consent": False})
    assert started.status_code == 400
    assert {e["source"] for e in started.json()["extra"]} == {"body"}


async def test_a_missing_required_query_parameter_is_named_with_its_source(client: AsyncClient) -> None:
    # Litestar's own refusal carried no `extra` at all; it now has the same shape as the rest.
    missing = await client.get("/api/v1/responses/consent")
    assert "required" == _refused(missing, "group", "query")
