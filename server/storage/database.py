"""Choosing, switching and migrating the database engine.

SQLite (the embedded default) runs in WAL mode with IMMEDIATE write transactions so
concurrent saves queue instead of failing; PostgreSQL is used when DATABASE_URL says so.
"""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

SQLITE_BUSY_TIMEOUT_S = 30.0


class DatabaseUrlError(ValueError):
    """DATABASE_URL is not a sqlite:/// or postgresql:// URL."""


def sqlite_path(url: str) -> Path:
    """The file path of a sqlite:/// URL (relative paths stay relative to the cwd)."""
    return Path(url.removeprefix("sqlite:///"))


def engine_for_url(url: str) -> Engine:
    """Build a Piccolo engine for a `sqlite:///path` or `postgresql://...` URL."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(path)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    if scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url})
    raise DatabaseUrlError(f"DATABASE_URL: unsupported scheme '{scheme}' (use sqlite:///path or postgresql://...)")


def _enable_wal(path: Path) -> None:
    # WAL is a property of the database file, so setting it once per open is enough
    # for every later connection Piccolo makes.
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


async def _keep_session(_: Any) -> None:
    """Pool `reset` hook that sends nothing to the server.

    asyncpg's default reset runs `RESET ALL; CLOSE ALL; UNLISTEN *; ...` on every
    release, an extra round trip per query outside a transaction and per save. The app
    never changes session state (no SET, LISTEN, cursors or advisory locks), and asyncpg
    still rolls back an open transaction before calling this hook.
    """


#: Options for PostgreSQL's connection pool (one pool per worker process).
POSTGRES_POOL_OPTIONS: dict[str, Any] = {"reset": _keep_session}


def database_kind(engine: Engine) -> str:
    """'sqlite' or 'postgres'."""
    return engine.engine_type


def use_database(engine: Engine) -> None:
    """Point Piccolo and every table (ours and Piccolo's migration table) at `engine`."""
    import server.piccolo_conf as piccolo_conf
    from piccolo.apps.migrations.tables import Migration

    from server.storage.credential_tables import CREDENTIAL_TABLES
    from server.storage.publication_tables import PUBLICATION_TABLES
    from server.storage.tables import TABLES
    from server.storage.workspace_tables import WORKSPACE_TABLES

    piccolo_conf.DB = engine
    for table in [*TABLES, *WORKSPACE_TABLES, *PUBLICATION_TABLES, *CREDENTIAL_TABLES, Migration]:
        table._meta.db = engine


def current_engine() -> Engine:
    """The engine the tables use now."""
    from server.storage.tables import Study

    return Study._meta.db


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A write transaction: IMMEDIATE on SQLite (take the write lock up front, so two
    writers never deadlock on lock upgrade), the default on PostgreSQL."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with engine.transaction() as transaction:
            yield transaction


async def migrate() -> list[str]:
    """Run every pending migration forwards on the current engine; return the ids run."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = ForwardsMigrationManager(app_name="leastmeans")
    await manager.create_migration_table()
    before = set(await Migration.get_migrations_which_ran(app_name="leastmeans"))
    result = await manager.run()
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
    after = await Migration.get_migrations_which_ran(app_name="leastmeans")
    return [migration_id for migration_id in after if migration_id not in before]
