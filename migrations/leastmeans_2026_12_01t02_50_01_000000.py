"""One fieldwork target per (site, respondent group).

The dashboard's upsert targets this key (`ON CONFLICT (site, "group")`), so it must be a
unique index. Raw steps live in their own migration because Piccolo runs raw steps before
creating tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T02:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (site, group) on fieldwork_target"

DDL = 'CREATE UNIQUE INDEX fieldwork_target_key ON fieldwork_target (site, "group")'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(DDL)

    manager.add_raw(create_index)
    return manager
