"""A used instrument version never changes: edits become new versions, old answers keep their meaning."""

import msgspec
import pytest
from httpx import AsyncClient

from server.instrument_registry import InstrumentRegistry
from server.storage.tables import InstrumentVersion, Response
from server.studies import ensure_study
from surveys.loader import load_instruments
from surveys.versioning import VersionIntegrityError, content_hash, decode_instrument

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "en", "consent": True}


async def test_changed_file_is_a_new_version_and_old_answers_keep_their_wording(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    old = (await client.post("/api/v1/responses", json=START)).json()
    saved = await client.put(f"/api/v1/responses/{old['id']}/answers/rating.belt_long", json={"value": 91})
    assert saved.status_code == 200
    old_prompt = next(i["prompt"] for i in old["items"] if i["code"] == "rating.belt_long")

    # An author edits the wording: the compiled content, and so the hash, changes.
    instruments = load_instruments()
    adult = instruments["patient_adult"]
    edited_items = [
        msgspec.structs.replace(i, prompt={**i.prompt, "en": "How bad would this be: belt restraint, over 4 hours?"}) if i.code == "rating.belt_long" else i
        for i in adult.items
    ]
    edited = msgspec.structs.replace(adult, items=edited_items)
    assert content_hash(edited) != old["instrument_version"]
    registry = InstrumentRegistry()
    await registry.register_current({"patient_adult": edited})
    await registry.register_current({"patient_adult": edited})  # registering twice stores it once
    assert await InstrumentVersion.count().where(InstrumentVersion.instrument == "patient_adult") == 2

    # The old session still shows the old wording and its answer; its version row is untouched.
    resumed = (await client.get(f"/api/v1/responses/{old['id']}")).json()
    assert resumed["instrument_version"] == old["instrument_version"]
    assert next(i["prompt"] for i in resumed["items"] if i["code"] == "rating.belt_long") == old_prompt
    assert resumed["answers"]["rating.belt_long"]["value"] == 91
    row = await InstrumentVersion.select(InstrumentVersion.content).where(InstrumentVersion.content_hash == old["instrument_version"]).first()
    assert row is not None
    decode_instrument(row["content"], expected_hash=old["instrument_version"])  # raises if it was changed
    # The same item code keeps its meaning across versions: rating.belt_long is still belt_long.
    new_version_id, _, _ = registry.current["patient_adult"]
    assert (await registry.version(new_version_id)).item("rating.belt_long").measure == "belt_long"


async def test_a_version_modified_in_place_is_refused_not_silently_used(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    started = (await client.post("/api/v1/responses", json=START)).json()
    row = await Response.select(Response.instrument_version).first()
    assert row is not None
    stored = await InstrumentVersion.select(InstrumentVersion.content).where(InstrumentVersion.id == row["instrument_version"]).first()
    assert stored is not None
    tampered = stored["content"].replace("How intrusive", "How pleasant")
    await InstrumentVersion.update({InstrumentVersion.content: tampered}).where(InstrumentVersion.id == row["instrument_version"])
    fresh = InstrumentRegistry()
    with pytest.raises(VersionIntegrityError, match="modified after it was stored"):
        await fresh.version(row["instrument_version"])
    assert started["instrument_version"]
