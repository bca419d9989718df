"""Fieldwork targets: the number of completed questionnaires aimed for per site and
respondent group (one row per pair; the application upserts)."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-01T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fieldwork_target: site, group, target"


class Site(Table, tablename="site", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


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


COLUMNS: list[tuple[str, type, dict[str, Any]]] = [
    (
        "site",
        ForeignKey,
        _params(references=Site, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, index=True),
    ),
    ("group", Varchar, _params(length=16, default="")),
    ("target", Integer, _params(default=0)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)
    manager.add_table(class_name="FieldworkTarget", tablename="fieldwork_target", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="FieldworkTarget",
            tablename="fieldwork_target",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
