"""The burst detector: responses a credential completed faster than people can are flagged
in the data-quality figures (and left out of a publication, `publish_database`)."""

import datetime as dt

from httpx import AsyncClient

from server.credentials.bursts import HUMAN_COMPLETIONS_PER_WINDOW, burst_responses, flagged_in
from server.publication.data_quality import database_timing
from server.studies import ensure_study
from tests.conftest import tablet_headers

START = {"language": "da", "consent": True, "group": "patient"}


def test_a_window_with_more_completions_than_people_manage_is_flagged_whole() -> None:
    base = dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc)
    # A ward's day: one completion every 15 minutes is never flagged.
    calm = [(base + dt.timedelta(minutes=15 * i), f"calm{i}") for i in range(30)]
    assert flagged_in(calm) == set()
    # Eleven in ten minutes (one every 50 s) is more than people manage: all eleven.
    night = base + dt.timedelta(hours=12)
    burst = [(night + dt.timedelta(seconds=50 * i), f"b{i}") for i in range(HUMAN_COMPLETIONS_PER_WINDOW + 1)]
    assert flagged_in(calm + burst) == {f"b{i}" for i in range(HUMAN_COMPLETIONS_PER_WINDOW + 1)}
    assert flagged_in(burst[:-1]) == set()


async def _complete(client: AsyncClient, headers: dict[str, str]) -> None:
    started = await client.post("/api/v1/responses/", json=START, headers=headers)
    assert started.status_code == 201, started.text
    rid = started.json()["id"]
    assert (await client.put(f"/api/v1/responses/{rid}/answers/rating.belt_long", json={"value": 0})).status_code == 200
    assert (await client.post(f"/api/v1/responses/{rid}/submit")).status_code == 200


async def test_a_tablet_completing_at_machine_pace_is_flagged_and_a_human_paced_one_is_not(strict_client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    script, ward = await tablet_headers("s1", "ward-1"), await tablet_headers("s1", "ward-1")
    for _ in range(HUMAN_COMPLETIONS_PER_WINDOW + 2):
        await _complete(strict_client, script)
    for _ in range(3):
        await _complete(strict_client, ward)
    assert len(await burst_responses()) == HUMAN_COMPLETIONS_PER_WINDOW + 2
    timing = await database_timing()
    assert timing.burst == HUMAN_COMPLETIONS_PER_WINDOW + 2
    assert sum(timing.submitted_per_site.values()) == HUMAN_COMPLETIONS_PER_WINDOW + 5
