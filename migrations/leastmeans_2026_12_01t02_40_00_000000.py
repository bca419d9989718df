"""Ward tablets with names: the label typed with an enrolment code (copied to the tablet
at enrolment), and when each tablet was last seen."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "kiosk_enrolment: label; kiosk_tablet: last_seen_at"


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
        table_class_name="KioskEnrolment",
        tablename="kiosk_enrolment",
        column_name="label",
        db_column_name="label",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=100, default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="KioskTablet",
        tablename="kiosk_tablet",
        column_name="last_seen_at",
        db_column_name="last_seen_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=None, null=True),
        schema=None,
    )
    return manager
