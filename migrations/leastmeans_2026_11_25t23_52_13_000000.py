"""Composite keys Piccolo's auto migrations cannot express.

They live in their own migration because Piccolo runs raw steps before creating tables.
The (response, item) key is what makes saving an answer idempotent.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T23:52:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (response, item) and (study, site code); response lookup index"

DDL = (
    "CREATE UNIQUE INDEX answer_response_item_key ON answer (response, item)",
    "CREATE UNIQUE INDEX site_study_code_key ON site (study, code)",
    "CREATE INDEX response_study_submitted ON response (study, submitted_at)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for ddl in DDL:
            await engine.run_ddl(ddl)

    manager.add_raw(create_indexes)
    return manager
