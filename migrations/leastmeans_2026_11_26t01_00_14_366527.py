from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T01:00:14:366527"
VERSION = "1.38.0"
DESCRIPTION = "kiosk_enrolment.idle_seconds and kiosk_tablet.idle_seconds: idle time per tablet enrolment (null: the server default)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="leastmeans", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="KioskEnrolment",
        tablename="kiosk_enrolment",
        column_name="idle_seconds",
        db_column_name="idle_seconds",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="KioskTablet",
        tablename="kiosk_tablet",
        column_name="idle_seconds",
        db_column_name="idle_seconds",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
