from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T23:59:31:186189"
VERSION = "1.38.0"
DESCRIPTION = "instruments: study.free_text flag (off by default), response.design_slot for the paired design"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="leastmeans", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Study",
        tablename="study",
        column_name="free_text",
        db_column_name="free_text",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
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
        table_class_name="Response",
        tablename="response",
        column_name="design_slot",
        db_column_name="design_slot",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
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
