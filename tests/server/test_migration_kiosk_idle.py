"""The kiosk idle-time migration runs forwards on a database that already has enrolments
and tablets (SQLite and PostgreSQL): existing rows keep working with the server default."""

import datetime as dt

from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

from server.storage.database import migrate
from server.storage.piccolo_app import MIGRATIONS_DIR
from server.storage.tables import Site, Study
from server.storage.workspace_tables import KioskEnrolment, KioskTablet

IDLE_MIGRATION = "2026-11-26T01:00:14:366527"


def _previous_migration() -> str:
    """The id of the migration just before the idle-time one (ids sort by time)."""
    ids = sorted(
        line.split('"')[1]
        for path in MIGRATIONS_DIR.glob("leastmeans_*.py")
        for line in path.read_text().splitlines()
        if line.startswith("ID = ")
    )
    return ids[ids.index(IDLE_MIGRATION) - 1]


async def test_idle_seconds_columns_are_added_to_existing_enrolments_and_tablets(bare_engine: Engine) -> None:
    manager = ForwardsMigrationManager(app_name="leastmeans", migration_id=_previous_migration())
    await manager.create_migration_table()
    assert (await manager.run()).success
    assert IDLE_MIGRATION not in await Migration.get_migrations_which_ran(app_name="leastmeans")

    # Rows written by the old schema (raw SQL: the table classes already know the new column).
    await Study.raw("INSERT INTO study (code, name, is_open, free_text, created_at) VALUES ('s', 'S', true, false, CURRENT_TIMESTAMP)")
    study = (await Study.select(Study.id).first())["id"]
    site = (await Site.insert(Site(study=study, code="w", name="W", setting="forensic")).returning(Site.id).run())[0]["id"]
    later = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    await KioskEnrolment.raw(
        "INSERT INTO kiosk_enrolment (site, code_hash, created_at, expires_at) VALUES ({}, {}, {}, {})", site, "a" * 64, later, later
    )
    await KioskTablet.raw(
        "INSERT INTO kiosk_tablet (site, token_hash, label, enrolled_at) VALUES ({}, {}, {}, {})", site, "b" * 64, "", later
    )

    assert IDLE_MIGRATION in await migrate()
    assert [row["idle_seconds"] for row in await KioskEnrolment.select(KioskEnrolment.idle_seconds)] == [None]
    assert [row["idle_seconds"] for row in await KioskTablet.select(KioskTablet.idle_seconds)] == [None]
    await KioskTablet.update({KioskTablet.idle_seconds: 240}).where(KioskTablet.token_hash == "b" * 64)
    assert (await KioskTablet.select(KioskTablet.idle_seconds).first())["idle_seconds"] == 240
