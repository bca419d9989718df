"""Data quality aggregates from the database's timestamps: per site and week, never per person."""

import datetime as dt
import uuid

from piccolo.engine.base import Engine

from server.publication.data_quality import data_quality, database_timing, iso_week
from server.storage.tables import Answer, InstrumentVersion, Response, Site
from server.studies import ensure_study
from tests.publication.conftest import simulated

MONDAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.timezone.utc)


async def _response(site: int, study: int, version: int, start: dt.datetime, seconds: float | None, answers: int) -> None:
    rid = uuid.uuid4()
    submitted = None if seconds is None else start + dt.timedelta(seconds=seconds)
    await Response.insert(
        Response(id=rid, study=study, site=site, instrument_version=version, respondent_group="patient", setting="general_adult", language="da", started_at=start, submitted_at=submitted)
    ).run()
    for k in range(answers):
        await Answer.insert(Answer(response=rid, item=f"rating.m{k}", value="50", answered_at=start)).run()


async def test_timing_counts_sites_weeks_completion_and_fast_responses(engine: Engine) -> None:
    study = await ensure_study("dq", "DQ", [("ward_a", "A", "general_adult"), ("ward_b", "B", "general_adult")])
    sites = {row["code"]: row["id"] for row in await Site.select(Site.id, Site.code)}
    version = (await InstrumentVersion.insert(InstrumentVersion(instrument="x", content_hash="h" * 64, content="{}")).returning(InstrumentVersion.id))[0]["id"]
    for k in range(6):  # ward A, week 47: six submitted, three of them in 5 s for 10 answers
        await _response(sites["ward_a"], study, version, MONDAY + dt.timedelta(hours=k), 5 if k < 3 else 600, 10)
    for k in range(5):  # ward A, next week
        await _response(sites["ward_a"], study, version, MONDAY + dt.timedelta(days=7, hours=k), 600, 10)
    await _response(sites["ward_a"], study, version, MONDAY, None, 2)  # started, never submitted
    for k in range(2):  # ward B: only two, a small cell
        await _response(sites["ward_b"], study, version, MONDAY + dt.timedelta(hours=k), 600, 10)

    timing = await database_timing()
    assert timing.started_per_site == {"ward_a": 12, "ward_b": 2}
    assert timing.submitted_per_site == {"ward_a": 11, "ward_b": 2}
    assert timing.submitted_per_site_week == {"ward_a": {"2026-W47": 6, "2026-W48": 5}, "ward_b": {"2026-W47": 2}}
    assert timing.fast == 3
    assert iso_week(MONDAY) == "2026-W47"

    frame = simulated(per_group=10)
    frame["site"] = frame["site"].where(frame["site"] != "site_03", "ward_b").astype("string")
    quality = data_quality(frame, timing, min_cell=5)
    by_site = {s.site: s for s in quality.sites}
    assert by_site["ward_a"].started == 12 and by_site["ward_a"].submitted == 11
    assert abs(by_site["ward_a"].completion - 11 / 12) < 1e-12
    assert by_site["ward_b"].started is None and by_site["ward_b"].submitted is None  # 2: shown as <5
    assert by_site["ward_b"].completion is None
    weeks = {(w.site, w.week): w.submitted for w in quality.weeks}
    assert weeks == {("ward_a", "2026-W47"): 6, ("ward_a", "2026-W48"): 5, ("ward_b", "2026-W47"): None}
    assert quality.fast is None  # 3 flagged: a small cell
    # Aggregates only: nothing in the result is a timestamp.
    assert "T10:00" not in repr(quality) and "2026-11-16" not in repr(quality)


def test_straight_lining_and_item_nonresponse_from_the_frame() -> None:
    frame = simulated(per_group=10)
    liners = frame["respondent"].isin(["r0000000", "r0000001", "r0000002", "r0000003", "r0000004", "r0000005"])
    ratings = frame["kind"] == "rating"
    frame.loc[liners & ratings, "value"] = 50.0
    frame.loc[liners & ratings, "missing"] = None
    quality = data_quality(frame, None, min_cell=5)
    assert quality.straight_lining == 6
    assert quality.fast is None and not quality.timing_available
    items = {i.measure: i for i in quality.items}
    assert set(items) == set(frame.loc[ratings, "measure"].unique())
    for measure, item in items.items():
        rows = frame[ratings & (frame["measure"] == measure)]
        dont_know = int((rows["missing"] == "dont_know").sum())
        assert item.answers == len(rows)
        assert item.dont_know == (None if 0 < dont_know < 5 else dont_know)
