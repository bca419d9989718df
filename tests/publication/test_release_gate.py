"""The release gate on SQLite and PostgreSQL: only released publications reach the
authority, simulated data never do, identical data need a reason, every step is audited."""

import asyncio

import msgspec
import pytest
from httpx import AsyncClient

from server.publication.release import Step, release, review, set_public
from server.publication.store import PublicationError, latest_released_number, load_publication, publish_frame
from server.publication.tokens import issue_token
from server.workspace import audit
from tests.publication.conftest import WORKFLOW, simulated


async def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {(await issue_token('authority systems')).secret}"}


async def _released(tidy, reference, reason: str = "") -> int:  # type: ignore[no-untyped-def]
    info = await publish_frame(tidy, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    await review(info.number, "researcher-b")
    await release(info.number, "admin-user", reason)
    return info.number


async def test_drafts_and_reviewed_publications_are_invisible_to_the_authority(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    draft = await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    assert draft.status == "draft" and draft.studies == ["national"] and not draft.simulated
    for path in ("/api/v1/gradation", f"/api/v1/gradation/{draft.number}"):
        assert (await client.get(path, headers=headers)).status_code == 404
    assert (await client.get("/api/v1/publications", headers=headers)).json() == []

    await review(draft.number, "researcher-b")
    assert (await client.get(f"/api/v1/gradation/{draft.number}", headers=headers)).status_code == 404
    assert await latest_released_number() is None

    released = await release(draft.number, "admin-user")
    assert released.status == "released" and released.released_by == "admin-user" and released.released_at is not None
    served = await client.get("/api/v1/gradation", headers=headers)
    assert served.status_code == 200 and served.headers["content-location"] == f"/api/v1/gradation/{draft.number}"

    # A newer draft does not move "latest": it means the latest *released*.
    newer = await publish_frame(simulated(seed=8), WORKFLOW, reference, actor="researcher-a", studies=["national"])
    assert newer.number == draft.number + 1
    latest = await client.get("/api/v1/gradation", headers=headers)
    assert latest.headers["content-location"] == f"/api/v1/gradation/{draft.number}"
    assert (await client.get(f"/api/v1/gradation/{newer.number}", headers=headers)).status_code == 404


async def test_a_released_document_says_what_it_is_and_never_changes(client: AsyncClient, dataset, reference) -> None:
    headers = await _headers()
    number = await _released(dataset, reference)
    body = (await client.get(f"/api/v1/gradation/{number}", headers=headers)).content
    document = msgspec.json.decode(body)
    block = document["publication"]
    info = (await load_publication(number)).info  # type: ignore[union-attr]
    assert block["number"] == number and block["status"] == "released" and block["simulated"] is False
    assert block["released_at"] == info.released_at.isoformat() and block["studies"] == ["national"]
    assert block["plan_sha256"] == document["plan_sha256"] != "" and block["data_sha256"] == info.data_sha256
    named = {m["measure"] for g in document["groups"] for m in g["measures"]}
    catalogue = document["measure_catalogue"]
    assert named <= set(catalogue)
    assert catalogue["belt_long"]["label"] == {"da": "Bæltefiksering, over 4 timer", "en": "Belt restraint, over 4 hours"}
    assert catalogue["belt_long"]["number"] == 11 and isinstance(catalogue["belt_long"]["legal_today"], bool)
    assert catalogue["net_bed"]["legal_today"] is False

    # Going public changes who may see it, not its bytes.
    await set_public(number, True, "admin-user")
    assert (await client.get(f"/api/v1/gradation/{number}", headers=headers)).content == body


async def test_simulated_data_can_never_be_released(engine, dataset, reference) -> None:
    info = await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["demo"], simulated=True)
    await review(info.number, "researcher-b")
    with pytest.raises(PublicationError, match="simulated"):
        await release(info.number, "admin-user", reason="we really want to release this one")
    assert (await load_publication(info.number)).info.status == "reviewed"  # type: ignore[union-attr]
    with pytest.raises(PublicationError, match="only a released publication"):
        await set_public(info.number, True, "admin-user")


async def test_identical_data_and_plan_are_released_again_only_with_a_reason(engine, dataset, reference) -> None:
    first = await _released(dataset, reference)
    again = await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    await review(again.number, "researcher-b")
    with pytest.raises(PublicationError, match=f"reason: publication {first} released the same data"):
        await release(again.number, "admin-user")
    with pytest.raises(PublicationError, match="reason"):
        await release(again.number, "admin-user", reason="   again  ")
    done = await release(again.number, "admin-user", reason="the authority asked for a re-issue with the new catalogue")
    assert done.release_reason == "the authority asked for a re-issue with the new catalogue"
    # Different data need no reason.
    await _released(simulated(seed=11), reference)


async def test_the_gate_keeps_its_order_and_a_second_pair_of_eyes(engine, dataset, reference) -> None:
    info = await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    with pytest.raises(PublicationError, match="only a reviewed publication"):
        await release(info.number, "admin-user")
    with pytest.raises(PublicationError, match="another person must review"):
        await review(info.number, "researcher-a")
    await review(info.number, "researcher-b")
    with pytest.raises(PublicationError, match="not a draft"):
        await review(info.number, "researcher-c")
    with pytest.raises(PublicationError, match="no publication 99"):
        await release(99, "admin-user")


async def test_two_admins_releasing_at_once_release_once(engine, dataset, reference) -> None:
    info = await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    await review(info.number, "researcher-b")
    outcomes = await asyncio.gather(*(release(info.number, f"admin-{k}") for k in range(6)), return_exceptions=True)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, PublicationError) for o in outcomes if isinstance(o, Exception))
    released = [e for e in await audit.entries() if e.action == Step.RELEASED]
    assert len(released) == 1


async def test_every_step_is_in_the_audit_log_with_who(engine, dataset, reference) -> None:
    number = await _released(dataset, reference)
    await set_public(number, True, "admin-user")
    await set_public(number, False, "admin-user")
    steps = [(e.action, e.actor) for e in reversed(await audit.entries()) if e.target == f"publication:{number}"]
    assert steps == [
        (Step.REVIEWED, "researcher-b"),
        (Step.RELEASED, "admin-user"),
        (Step.MADE_PUBLIC, "admin-user"),
        (Step.TAKEN_OFF_PUBLIC, "admin-user"),
    ]
