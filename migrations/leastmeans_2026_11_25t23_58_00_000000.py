"""Make the audit log append-only in the database itself, and index lookups by code hash.

Triggers refuse UPDATE and DELETE on `audit_entry`, so not even a bug (or a person with
the application's database credentials using the ORM) can rewrite history. Raw steps
live in their own migration because Piccolo runs raw steps before creating tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-25T23:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log append-only triggers; unique (user, site) coordinator and (study, instrument, language)"

SQLITE_DDL = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
)

POSTGRES_DDL = (
    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    # TRUNCATE bypasses row triggers, so it gets its own statement trigger.
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
)

COMMON_DDL = (
    "CREATE UNIQUE INDEX site_coordinator_user_site_key ON site_coordinator (staff, site)",
    "CREATE UNIQUE INDEX study_instrument_key ON study_instrument (study, instrument, language)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)

    async def create_triggers() -> None:
        engine = engine_finder()
        ddl = SQLITE_DDL if isinstance(engine, SQLiteEngine) else POSTGRES_DDL
        for statement in (*COMMON_DDL, *ddl):
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
