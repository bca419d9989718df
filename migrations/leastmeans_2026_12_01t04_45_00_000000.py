"""A study's purpose (for invitation cards) and whether patients are offered their own
"My order" card; each workspace user's chosen language."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T04:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "study: purpose, preference_card; staff_user: language"


def _params(**extra: Any) -> dict[str, Any]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Study",
        tablename="study",
        column_name="purpose",
        db_column_name="purpose",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=500, default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="Study",
        tablename="study",
        column_name="preference_card",
        db_column_name="preference_card",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="StaffUser",
        tablename="staff_user",
        column_name="language",
        db_column_name="language",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=8, default=""),
        schema=None,
    )
    return manager
