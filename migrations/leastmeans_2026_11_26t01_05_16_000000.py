"""One design-slot counter row per (instrument version, setting).

The start's upsert targets this key (`ON CONFLICT (instrument_version, setting)`), so it
must be a unique index. Raw steps live in their own migration because Piccolo runs raw
steps before creating tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T01:05:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (instrument_version, setting) on design_slot_counter"

DDL = "CREATE UNIQUE INDEX design_slot_counter_key ON design_slot_counter (instrument_version, setting)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(DDL)

    manager.add_raw(create_index)
    return manager
