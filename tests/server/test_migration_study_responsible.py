"""The migration that adds a study's data controller and contact runs forwards on a
database that already has a study (SQLite and PostgreSQL): the study keeps working, with
both empty until a researcher fills them in."""

from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

from server.storage.database import migrate
from server.storage.piccolo_app import MIGRATIONS_DIR
from server.storage.tables import Study

RESPONSIBLE_MIGRATION = "2026-11-30T15:35:00:739598"


def _previous_migration() -> str:
    """The id of the migration just before this one (ids sort by time)."""
    ids = sorted(
        line.split('"')[1]
        for path in MIGRATIONS_DIR.glob("leastmeans_*.py")
        for line in path.read_text().splitlines()
        if line.startswith("ID = ")
    )
    return ids[ids.index(RESPONSIBLE_MIGRATION) - 1]


async def test_data_controller_and_contact_are_added_to_an_existing_study(bare_engine: Engine) -> None:
    manager = ForwardsMigrationManager(app_name="leastmeans", migration_id=_previous_migration())
    await manager.create_migration_table()
    assert (await manager.run()).success
    assert RESPONSIBLE_MIGRATION not in await Migration.get_migrations_which_ran(app_name="leastmeans")

    # A study written by the old schema (raw SQL: the table class already knows the new columns).
    await Study.raw("INSERT INTO study (code, name, is_open, free_text, created_at) VALUES ('old', 'Old', true, false, CURRENT_TIMESTAMP)")

    assert RESPONSIBLE_MIGRATION in await migrate()
    assert await Study.select(Study.code, Study.data_controller, Study.contact) == [{"code": "old", "data_controller": "", "contact": ""}]
    await Study.update({Study.data_controller: "Region Hovedstadens Psykiatri", Study.contact: "tlf. 3864 0000"}).where(Study.code == "old")
    assert (await Study.select(Study.data_controller).first())["data_controller"] == "Region Hovedstadens Psykiatri"
