"""The release-gate migrations run forwards on a database that already has publications
(SQLite and PostgreSQL): what the authority was served stays served, byte for byte, unless
the database held demo answers, which those publications analysed too."""

import datetime as dt
import uuid

from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.engine.base import Engine

from server.storage.database import migrate
from server.storage.piccolo_app import MIGRATIONS_DIR
from server.publication.store import latest_public_number, latest_released_number, load_publication
from server.storage.tables import InstrumentVersion, Response, Site, Study

GATE_MIGRATION = "2026-12-01T01:30:00:000000"
OLD_DOCUMENT = '{"groups":[],"notes":[],"schema":"leastmeans.gradation/2"}'


def _previous_migration() -> str:
    ids = sorted(
        line.split('"')[1]
        for path in MIGRATIONS_DIR.glob("leastmeans_*.py")
        for line in path.read_text().splitlines()
        if line.startswith("ID = ")
    )
    return ids[ids.index(GATE_MIGRATION) - 1]


def _report_data() -> str:
    import msgspec

    from server.publication.data_quality import data_quality
    from server.publication.store import ReportData
    from tests.publication.conftest import simulated

    return msgspec.json.encode(ReportData(data_quality=data_quality(simulated(per_group=5), None, 5), subgroups=[])).decode()


async def _old_schema_with_publications() -> None:
    manager = ForwardsMigrationManager(app_name="leastmeans", migration_id=_previous_migration())
    await manager.create_migration_table()
    assert (await manager.run()).success
    at = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for number, public in ((1, True), (2, False)):
        await Study.raw(
            "INSERT INTO publication (number, published_at, published_by, gradation, gradation_sha256, method_settings, data_sha256, "
            "software_version, respondents, report_data, is_public) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            number, at, "researcher", OLD_DOCUMENT, "a" * 64, "{}", "b" * 64, "0.1.0", 50, _report_data(), public,
        )


async def _demo_answers() -> None:
    await Study.raw("INSERT INTO study (code, name, is_open, free_text, created_at, data_controller, contact) VALUES ('demo', 'Demo', true, false, CURRENT_TIMESTAMP, '', '')")
    study = (await Study.raw("SELECT id FROM study WHERE code = 'demo'"))[0]["id"]
    site = (await Site.insert(Site(study=study, code="w", name="W", setting="forensic")).returning(Site.id).run())[0]["id"]
    version = (await InstrumentVersion.insert(InstrumentVersion(instrument="x", content_hash="h" * 64, content="{}")).returning(InstrumentVersion.id).run())[0]["id"]
    await Study.raw(
        "INSERT INTO response (id, study, site, instrument_version, respondent_group, setting, language, design_slot, started_at) "
        "VALUES ({}, {}, {}, {}, 'patient', 'forensic', 'da', 0, CURRENT_TIMESTAMP)",
        str(uuid.uuid4()), study, site, version,
    )


async def test_earlier_publications_count_as_released_and_serve_the_same_bytes(bare_engine: Engine) -> None:
    await _old_schema_with_publications()
    assert GATE_MIGRATION in await migrate()
    first, second = await load_publication(1), await load_publication(2)
    assert first is not None and second is not None
    assert (first.info.status, second.info.status) == ("public", "released")
    assert first.served == OLD_DOCUMENT.encode() and second.served == OLD_DOCUMENT.encode()
    assert first.info.released_at == first.info.published_at and not first.info.simulated
    assert await latest_released_number() == 2 and await latest_public_number() == 1


async def test_earlier_publications_of_a_database_with_demo_answers_are_withdrawn(bare_engine: Engine) -> None:
    await _old_schema_with_publications()
    await _demo_answers()
    await migrate()
    for number in (1, 2):
        publication = await load_publication(number)
        assert publication is not None
        assert publication.info.status == "draft" and publication.info.simulated and not publication.info.is_public
    assert await latest_released_number() is None
    assert (await Study.select(Study.simulated).where(Study.code == "demo").first())["simulated"] is True
