"""The release gate: a publication's status and who moved it, the studies it analysed,
whether they hold simulated data, and the bytes the authority API serves once released.
A study can be marked as holding simulated (demo) data."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "publication: status, studies, simulated, plan hash, review and release; study: simulated; publication_report"


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


PUBLICATION_COLUMNS: list[tuple[str, type, dict[str, Any]]] = [
    ("status", Varchar, _params(length=16, default="draft")),
    ("studies", Text, _params(default="[]")),
    ("simulated", Boolean, _params(default=False)),
    ("plan_sha256", Varchar, _params(length=64, default="")),
    ("reviewed_at", Timestamptz, _params(default=None, null=True)),
    ("reviewed_by", Varchar, _params(length=64, default="")),
    ("released_at", Timestamptz, _params(default=None, null=True)),
    ("released_by", Varchar, _params(length=64, default="")),
    ("release_reason", Text, _params(default="")),
    ("served", Text, _params(default=None, null=True)),
]

REPORT_COLUMNS: list[tuple[str, type, dict[str, Any]]] = [
    ("number", Integer, _params(default=0, index=True)),
    ("language", Varchar, _params(length=2, default="")),
    ("status", Varchar, _params(length=16, default="")),
    ("pdf", Bytea, _params(default=b"")),
    ("rendered_at", Timestamptz, _params(default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="leastmeans", description=DESCRIPTION)
    for name, column_class, params in PUBLICATION_COLUMNS:
        manager.add_column(
            table_class_name="Publication",
            tablename="publication",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Study",
        tablename="study",
        column_name="simulated",
        db_column_name="simulated",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=False),
        schema=None,
    )
    manager.add_table(class_name="PublicationReport", tablename="publication_report", schema=None, columns=None)
    for name, column_class, params in REPORT_COLUMNS:
        manager.add_column(
            table_class_name="PublicationReport",
            tablename="publication_report",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
