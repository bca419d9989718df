"""Publications made before the release gate were served to the authority at once, so
they count as released (public where an admin had made them public), released when they
were computed; their served bytes stay the analysis document they always were. But they
analysed every response in the database: where the demo study holds responses, they mixed
simulated data in, so they are withdrawn to simulated drafts, which are never served or
released. The demo study holds simulated data. Raw steps live in their own migration because Piccolo runs
raw steps before adding columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T01:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "earlier publications count as released; the demo study is simulated"

STATEMENTS = (
    "UPDATE publication SET status = CASE WHEN is_public THEN 'public' ELSE 'released' END, "
    "released_at = published_at, released_by = published_by",
    "UPDATE publication SET simulated = true, status = 'draft', is_public = false, released_at = NULL, released_by = '' "
    "WHERE EXISTS (SELECT 1 FROM response JOIN study ON study.id = response.study WHERE study.code = 'demo')",
    "UPDATE study SET simulated = true WHERE code = 'demo'",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)

    async def mark_existing() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(mark_existing)
    return manager
