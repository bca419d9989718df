"""Migrations run forwards on SQLite and PostgreSQL and leave the same working schema."""

import uuid

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

from server.storage.database import migrate
from server.storage.piccolo_app import MIGRATIONS_DIR
from server.storage.tables import TABLES, Answer, InstrumentVersion, Response, Site, Study


async def test_every_migration_ran_and_a_second_run_does_nothing(bare_engine: Engine) -> None:
    # From an empty database (the `engine` fixture copies a template migrated once per process).
    files = {p.stem for p in MIGRATIONS_DIR.glob("leastmeans_*.py")}
    assert len(await migrate()) == len(files) > 0
    ran = await Migration.get_migrations_which_ran(app_name="leastmeans")
    assert len(ran) == len(files)
    assert await migrate() == []


async def test_every_table_exists_and_is_empty(engine: Engine) -> None:
    for table in TABLES:
        assert await table.table_exists().run(), table._meta.tablename
        assert await table.count() == 0


async def test_answer_key_is_unique_per_response_and_item(engine: Engine) -> None:
    study = (await Study.insert(Study(code="s", name="S")).returning(Study.id).run())[0]["id"]
    site = (await Site.insert(Site(study=study, code="w", name="W", setting="forensic")).returning(Site.id).run())[0]["id"]
    version = (
        await InstrumentVersion.insert(InstrumentVersion(instrument="x", content_hash="h" * 64, content="{}"))
        .returning(InstrumentVersion.id)
        .run()
    )[0]["id"]
    response_id = uuid.uuid4()
    await Response.insert(
        Response(id=response_id, study=study, site=site, instrument_version=version, respondent_group="patient",
                 setting="forensic", language="da")
    ).run()
    await Answer.insert(Answer(response=response_id, item="rating.belt_long", value="80")).run()
    with pytest.raises(Exception, match="(?i)unique"):
        await Answer.insert(Answer(response=response_id, item="rating.belt_long", value="81")).run()
    with pytest.raises(Exception, match="(?i)unique"):
        await Site.insert(Site(study=study, code="w", name="Again", setting="forensic")).run()
