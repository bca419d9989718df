"""Piccolo app config: the tables and the `migrations/` folder at the repository root."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.storage.credential_tables import CREDENTIAL_TABLES
from server.storage.publication_tables import PUBLICATION_TABLES
from server.storage.tables import TABLES
from server.storage.workspace_tables import WORKSPACE_TABLES

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

APP_CONFIG = AppConfig(
    app_name="leastmeans",
    migrations_folder_path=str(MIGRATIONS_DIR),
    table_classes=[*TABLES, *WORKSPACE_TABLES, *PUBLICATION_TABLES, *CREDENTIAL_TABLES],
    migration_dependencies=[],
    commands=[],
)
