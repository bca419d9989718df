"""Paired-design slots: simultaneous starts of one version and setting never share a slot."""

import asyncio
import uuid

import pytest
from httpx import AsyncClient
from piccolo.engine.base import Engine

from server.storage.tables import DesignSlotCounter, InstrumentVersion, Response, Study
from server.studies import ensure_study

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "en", "consent": True}
STARTS = 24


async def _slots() -> list[int]:
    rows = await Response.select(Response.design_slot).where(Response.setting == "general_adult")
    return sorted(row["design_slot"] for row in rows)


async def test_simultaneous_starts_get_distinct_consecutive_slots(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    started = await asyncio.gather(*(client.post("/api/v1/responses", json=START) for _ in range(STARTS)))
    assert [r.status_code for r in started] == [201] * STARTS, [r.text for r in started if r.status_code != 201]
    assert await _slots() == list(range(STARTS))
    # Another setting of the same version numbers its own respondents from 0.
    other = await client.post("/api/v1/responses", json={**START, "setting": "forensic"})
    assert other.status_code == 201
    row = await Response.select(Response.design_slot).where(Response.setting == "forensic").first()
    assert row is not None and row["design_slot"] == 0


async def test_the_counter_continues_after_slots_stored_before_it_existed(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    first = await client.post("/api/v1/responses", json=START)
    assert first.status_code == 201
    version = (await Response.select(Response.instrument_version, Response.study, Response.site).first()) or {}
    # As if responses had been started before the counter: drop it, add one at slot 7.
    await DesignSlotCounter.delete(force=True)
    await Response.insert(
        Response(id=uuid.uuid4(), study=version["study"], site=version["site"], instrument_version=version["instrument_version"],
                 respondent_group="patient", setting="general_adult", language="en", design_slot=7)
    ).run()
    assert (await client.post("/api/v1/responses", json=START)).status_code == 201
    assert await _slots() == [0, 7, 8]


async def test_one_counter_row_per_version_and_setting(engine: Engine) -> None:
    await Study.insert(Study(code="s", name="S")).run()
    version = (
        await InstrumentVersion.insert(InstrumentVersion(instrument="x", content_hash="h" * 64, content="{}"))
        .returning(InstrumentVersion.id)
        .run()
    )[0]["id"]
    await DesignSlotCounter.insert(DesignSlotCounter(instrument_version=version, setting="forensic", next_slot=1)).run()
    with pytest.raises(Exception, match="(?i)unique"):
        await DesignSlotCounter.insert(DesignSlotCounter(instrument_version=version, setting="forensic", next_slot=5)).run()
