"""Publishing and the authority API on real SQLite and PostgreSQL with a simulated dataset."""

import msgspec
from httpx import AsyncClient

from analysis.gradation import analyse
from server.publication.release import release, review
from server.publication.store import PublicationInfo, load_publication
from server.publication.store import publish_frame as publish_draft
from server.publication.tokens import issue_token, revoke_token
from tests.publication.conftest import WORKFLOW, simulated


async def _auth(label: str = "authority systems") -> dict[str, str]:
    token = await issue_token(label)
    return {"Authorization": f"Bearer {token.secret}"}


async def publish_frame(tidy, settings, reference, actor: str = "researcher1") -> PublicationInfo:  # type: ignore[no-untyped-def]
    """A draft taken through review to release (what the authority API serves)."""
    draft = await publish_draft(tidy, settings, reference, actor=actor, studies=["national"])
    await review(draft.number, "reviewer1")
    return await release(draft.number, "admin1")


async def test_api_serves_latest_and_numbered_publications_with_etags(client: AsyncClient, dataset, reference) -> None:
    headers = await _auth()
    assert (await client.get("/api/v1/gradation", headers=headers)).status_code == 404
    first = await publish_frame(dataset, WORKFLOW, reference, actor="researcher1")
    assert first.number == 1

    served = await client.get("/api/v1/gradation", headers=headers)
    assert served.status_code == 200
    stored = await load_publication(1)
    assert stored is not None and served.content == stored.served
    assert served.headers["content-location"] == "/api/v1/gradation/1"
    assert served.headers["cache-control"] == "private, no-cache"
    etag = served.headers["etag"]
    assert etag.startswith('"1-')

    # The numbers served are the result object's (small cells aside).
    result = analyse(dataset, WORKFLOW, reference=reference)
    body = served.json()
    full = result.group("patient", "general_adult")
    patient = next(g for g in body["groups"] if g["group"] == "patient" and g["setting"] == "general_adult")
    assert [t["measures"] for t in patient["tiers"]] == [t.measures for t in full.tiers]
    for row in patient["measures"]:
        expected = next(m for m in full.measures if m.measure == row["measure"])
        assert row["n"] == expected.n
        assert row["mean"] == round(expected.mean, 6)
        assert row["ci_low"] == round(expected.ci_low, 6)

    again = await client.get("/api/v1/gradation", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = await client.get("/api/v1/gradation", headers={**headers, "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304

    permanent = await client.get("/api/v1/gradation/1", headers=headers)
    assert permanent.content == served.content
    assert "immutable" in permanent.headers["cache-control"]
    old_bytes = permanent.content

    # New data and a new publication: the latest moves, the old one does not change.
    second = await publish_frame(simulated(seed=8, per_group=210), WORKFLOW, reference, actor="researcher1")
    assert second.number == 2
    stale = await client.get("/api/v1/gradation", headers={**headers, "If-None-Match": etag})
    assert stale.status_code == 200 and stale.headers["content-location"] == "/api/v1/gradation/2"
    assert stale.headers["etag"] != etag
    assert (await client.get("/api/v1/gradation/1", headers=headers)).content == old_bytes
    assert (await client.get("/api/v1/gradation/1", headers={**headers, "If-None-Match": etag})).status_code == 304

    listed = (await client.get("/api/v1/publications", headers=headers)).json()
    assert [p["number"] for p in listed] == [2, 1]
    assert (await client.get("/api/v1/gradation/3", headers=headers)).status_code == 404


async def test_api_filters_by_setting_and_group(client: AsyncClient, dataset, reference) -> None:
    headers = await _auth()
    await publish_frame(dataset, WORKFLOW, reference)
    staff = (await client.get("/api/v1/gradation/1?group=staff", headers=headers)).json()
    assert {(g["group"], g["setting"]) for g in staff["groups"]} == {("staff", "general_adult")}
    forensic = await client.get("/api/v1/gradation?setting=forensic", headers=headers)
    assert forensic.json()["groups"] == []  # the only forensic cell is small, so suppressed
    assert set(forensic.json()["reference_gradation"]) == {"forensic"}
    filtered_etag = forensic.headers["etag"]
    assert (await client.get("/api/v1/gradation?setting=forensic", headers={**headers, "If-None-Match": filtered_etag})).status_code == 304
    bad = await client.get("/api/v1/gradation?setting=prison", headers=headers)
    assert bad.status_code == 400 and "setting" in bad.text and "general_adult" in bad.text
    assert (await client.get("/api/v1/gradation?group=cat", headers=headers)).status_code == 400


async def test_api_needs_a_valid_unrevoked_token(client: AsyncClient, dataset, reference) -> None:
    await publish_frame(dataset, WORKFLOW, reference)
    anonymous = await client.get("/api/v1/gradation")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/api/v1/gradation/1", headers={"Authorization": "Bearer lmt_wrong"})).status_code == 401
    token = await issue_token("ministry")
    headers = {"Authorization": f"Bearer {token.secret}"}
    assert (await client.get("/api/v1/publications", headers=headers)).status_code == 200
    assert await revoke_token(token.id)
    assert (await client.get("/api/v1/gradation", headers=headers)).status_code == 401


async def test_small_cells_never_leave(client: AsyncClient, dataset, reference) -> None:
    headers = await _auth()
    await publish_frame(dataset, WORKFLOW, reference)
    body = (await client.get("/api/v1/gradation", headers=headers)).json()
    assert ("relative", "forensic") not in {(g["group"], g["setting"]) for g in body["groups"]}
    assert any("relative / forensic" in note for note in body["notes"])
    for group in body["groups"]:
        assert group["respondents"] >= 5
        assert all(m["n"] >= 5 for m in group["measures"])
        assert all(p["n"] >= 5 for p in group["pairwise"])
        assert all(a["n"] >= 5 for a in group["allowed"])
    # The full result does contain the small cell, so suppression did the work.
    full = msgspec.json.decode(analyse(dataset, WORKFLOW, reference=reference).to_json())
    assert ("relative", "forensic") in {(g["group"], g["setting"]) for g in full["groups"]}


async def test_openapi_documents_the_authority_api(client: AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    latest = schema["paths"]["/api/v1/gradation"]["get"]
    assert {p["name"] for p in latest["parameters"]} >= {"setting", "group"}
    assert {"200", "304", "400", "401", "404"} <= set(latest["responses"])
    for status in ("200", "304"):
        assert {"ETag", "Last-Modified", "Cache-Control", "Content-Location"} <= set(latest["responses"][status]["headers"])
    assert {("If-None-Match", "header"), ("If-Modified-Since", "header")} <= {(p["name"], p["in"]) for p in latest["parameters"]}
    assert "If-Modified-Since" in latest["responses"]["304"]["description"]
    assert "query" in latest["responses"]["400"]["description"]
    body = schema["components"]["schemas"][latest["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"publication", "measure_catalogue"} <= set(body["properties"])
    assert latest["responses"]["200"]["content"]["application/json"]["examples"]
    assert "/api/v1/gradation/{number}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
