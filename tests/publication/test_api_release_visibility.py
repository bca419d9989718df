"""The authority API as an attacker and as a caching client sees it: unreleased numbers are
indistinguishable from missing ones, revoked tokens stop at once, and Last-Modified /
If-Modified-Since work beside the ETag."""

import asyncio
import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

import msgspec
from httpx import AsyncClient

from server.publication.api import ServedGradation
from server.publication.release import release, review, set_public
from server.publication.store import load_publication, publish_frame
from server.publication.tokens import issue_token, revoke_token
from tests.publication.conftest import WORKFLOW, simulated


async def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {(await issue_token('authority systems')).secret}"}


async def _draft(tidy, reference) -> int:  # type: ignore[no-untyped-def]
    return (await publish_frame(tidy, WORKFLOW, reference, actor="researcher-a", studies=["national"])).number


async def _release(number: int) -> None:
    await review(number, "researcher-b")
    await release(number, "admin-user")


async def test_a_leaked_draft_number_answers_exactly_like_a_missing_one(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    released = await _draft(dataset, reference)
    await _release(released)
    draft = await _draft(simulated(seed=8), reference)
    reviewed = await _draft(simulated(seed=9), reference)
    await review(reviewed, "researcher-b")
    missing = reviewed + 1

    answers = {n: await client.get(f"/api/v1/gradation/{n}", headers=headers) for n in (draft, reviewed, missing)}
    filtered = await client.get(f"/api/v1/gradation/{draft}?setting=general_adult", headers=headers)
    for number, answer in [*answers.items(), (draft, filtered)]:
        assert answer.status_code == 404
        assert answer.json() == {"status_code": 404, "detail": f"No publication number {number}."}
        assert "etag" not in answer.headers and "last-modified" not in answer.headers
    # Not even a conditional request tells them apart.
    star = await client.get(f"/api/v1/gradation/{draft}", headers={**headers, "If-None-Match": "*"})
    assert star.status_code == 404

    listed = (await client.get("/api/v1/publications", headers=headers)).json()
    assert [p["number"] for p in listed] == [released]
    latest = await client.get("/api/v1/gradation", headers=headers)
    assert latest.headers["content-location"] == f"/api/v1/gradation/{released}"


async def test_a_burst_of_parallel_requests_for_an_unreleased_number_all_get_404(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    draft = await _draft(dataset, reference)
    await review(draft, "researcher-b")
    answers = await asyncio.gather(*(client.get(f"/api/v1/gradation/{draft}", headers=headers) for _ in range(24)))
    assert [a.status_code for a in answers] == [404] * 24
    assert {a.content for a in answers} == {answers[0].content}


async def test_a_revoked_token_gets_401_on_every_route_at_once(client: AsyncClient, dataset, reference) -> None:
    number = await _draft(dataset, reference)
    await _release(number)
    token = await issue_token("ministry")
    headers = {"Authorization": f"Bearer {token.secret}"}
    assert (await client.get(f"/api/v1/gradation/{number}", headers=headers)).status_code == 200
    assert await revoke_token(token.id)
    for path in ("/api/v1/gradation", f"/api/v1/gradation/{number}", "/api/v1/publications", "/api/v1/gradation?bogus=1", "/api/v1/gradation/999"):
        refused = await client.get(path, headers=headers)
        assert refused.status_code == 401, path
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "No publication" not in refused.text


async def test_last_modified_is_the_release_time_and_if_modified_since_gives_304(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    number = await _draft(dataset, reference)
    await _release(number)
    info = (await load_publication(number)).info  # type: ignore[union-attr]
    assert info.released_at is not None

    served = await client.get(f"/api/v1/gradation/{number}", headers=headers)
    modified = served.headers["last-modified"]
    assert modified.endswith(" GMT")
    assert parsedate_to_datetime(modified) == info.released_at.replace(microsecond=0)
    assert served.json()["publication"]["released_at"] == info.released_at.isoformat()

    same = await client.get(f"/api/v1/gradation/{number}", headers={**headers, "If-Modified-Since": modified})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == served.headers["etag"] and same.headers["last-modified"] == modified
    later = format_datetime(info.released_at + dt.timedelta(days=1), usegmt=True)
    assert (await client.get(f"/api/v1/gradation/{number}", headers={**headers, "If-Modified-Since": later})).status_code == 304
    earlier = format_datetime(info.released_at - dt.timedelta(seconds=2), usegmt=True)
    assert (await client.get(f"/api/v1/gradation/{number}", headers={**headers, "If-Modified-Since": earlier})).status_code == 200
    garbage = await client.get(f"/api/v1/gradation/{number}", headers={**headers, "If-Modified-Since": "yesterday"})
    assert garbage.status_code == 200

    # If-None-Match decides when both are sent (RFC 9110): a stale ETag means 200.
    both = await client.get(f"/api/v1/gradation/{number}", headers={**headers, "If-Modified-Since": modified, "If-None-Match": '"1-stale"'})
    assert both.status_code == 200 and both.content == served.content

    # The latest: a new release is modified after the old one's time, so it comes in full.
    newer = await _draft(simulated(seed=8), reference)
    await _release(newer)
    latest = await client.get("/api/v1/gradation", headers={**headers, "If-Modified-Since": modified})
    assert latest.status_code == 200 and latest.headers["content-location"] == f"/api/v1/gradation/{newer}"


async def test_the_list_says_status_release_time_public_flag_and_url(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    first = await _draft(dataset, reference)
    await _release(first)
    second = await _draft(simulated(seed=8), reference)
    await _release(second)
    await set_public(second, True, "admin-user")
    await _draft(simulated(seed=9), reference)  # a draft: not listed

    listed = (await client.get("/api/v1/publications", headers=headers)).json()
    assert [(p["number"], p["status"], p["public"]) for p in listed] == [(second, "public", True), (first, "released", False)]
    for entry in listed:
        info = (await load_publication(entry["number"])).info  # type: ignore[union-attr]
        assert entry["released_at"] == info.released_at.isoformat()  # type: ignore[union-attr]
        assert entry["url"] == f"/api/v1/gradation/{entry['number']}" and entry["studies"] == ["national"]
        assert "released_by" not in entry and "reviewed_by" not in entry
    # Going public does not change the bytes served, nor the document's own status.
    served = await client.get(f"/api/v1/gradation/{second}", headers=headers)
    assert served.json()["publication"]["status"] == "released"
    # The body is what the OpenAPI document says it is (strict: every declared field present).
    typed = msgspec.json.decode(served.content, type=ServedGradation)
    assert typed.publication is not None and typed.publication.number == second
    assert {m.measure for g in typed.groups for m in g.measures} <= set(typed.measure_catalogue)
