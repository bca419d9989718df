"""Answers travel from the API into a published gradation served at /api/v1/gradation."""

import json
import math

from httpx import AsyncClient

from analysis.settings import GradationSettings
from server.instrument_registry import InstrumentRegistry
from server.publication.release import release, review
from server.publication.store import publish_database
from server.publication.tokens import issue_token
from server.studies import ensure_study
from tests.conftest import tablet_headers

QUICK = GradationSettings(bootstrap_resamples=50, mixed_model=False, ordinal_model=False, bradley_terry=False)


async def _respond(client: AsyncClient, ratings: dict[str, int | str], submit: bool = True) -> None:
    # Through an enrolled ward tablet: a demo-mode start would mark the study simulated.
    started = await client.post(
        "/api/v1/responses",
        json={"study": "g", "site": "w", "group": "patient", "setting": "general_adult", "language": "da", "consent": True},
        headers=await tablet_headers("g", "w"),
    )
    rid = started.json()["id"]
    for measure, rating in ratings.items():
        body = {"missing": rating} if isinstance(rating, str) else {"value": rating}
        saved = await client.put(f"/api/v1/responses/{rid}/answers/rating.{measure}", json=body)
        assert saved.status_code == 200, saved.text
    if submit:
        await client.post(f"/api/v1/responses/{rid}/submit")


async def test_answers_reach_the_published_gradation_with_hand_checked_numbers(client: AsyncClient) -> None:
    await ensure_study("g", "G", [("w", "W", "general_adult")])
    belt = [60, 70, 80, 90, 100]
    area = [10, 20, 30, 40, 50]
    for b, a in zip(belt, area, strict=True):
        await _respond(client, {"belt_long": b, "area_restriction": a, "holding_short": 40})
    await _respond(client, {"holding_short": "dont_know"})
    await _respond(client, {"belt_long": 0}, submit=False)  # never submitted: must not count

    token = await issue_token("test reader")
    headers = {"authorization": f"Bearer {token.secret}"}
    assert (await client.get("/api/v1/gradation", headers=headers)).status_code == 404
    registry = InstrumentRegistry()
    await registry.register_current()
    draft = await publish_database(registry, QUICK, "researcher-a", ["g"])
    assert not draft.simulated
    assert (await client.get("/api/v1/gradation", headers=headers)).status_code == 404
    await review(draft.number, "researcher-b")
    await release(draft.number, "admin")
    served = await client.get("/api/v1/gradation", headers=headers)
    assert served.status_code == 200, served.text
    body = json.loads(served.content)
    assert body["schema"] == "leastmeans.gradation/3"
    assert body["snapshot"]["respondents"] == 6
    assert body["snapshot"]["answers"] == 16
    assert len(body["snapshot"]["sha256"]) == 64

    group = next(g for g in body["groups"] if g["group"] == "patient" and g["setting"] == "general_adult")
    order = [m["measure"] for m in group["measures"]]
    assert order.index("area_restriction") < order.index("holding_short") < order.index("belt_long")
    belt_row = next(m for m in group["measures"] if m["measure"] == "belt_long")
    # Hand computation: mean 80, median 80, sd sqrt(250), t(0.975, 4) = 2.776445.
    half_width = 2.776445 * math.sqrt(250) / math.sqrt(5)
    assert belt_row["n"] == 5
    assert belt_row["mean"] == 80
    assert belt_row["median"] == 80
    assert math.isclose(belt_row["ci_low"], 80 - half_width, abs_tol=1e-3)
    assert math.isclose(belt_row["ci_high"], 80 + half_width, abs_tol=1e-3)
    holding = next(m for m in group["measures"] if m["measure"] == "holding_short")
    assert holding["n"] == 5 and holding["mean"] == 40
    assert math.isclose(holding["share_dont_know"], 1 / 6, abs_tol=1e-6)
