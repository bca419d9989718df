"""How a command reaches the database: only one that exists, is reachable and is migrated.

Every command but `migrate` (and `restore`, whose purpose is to write one) refuses to
create a database: a mistyped DATABASE_URL or a command run from another folder would
otherwise make an empty SQLite file there and then fail on a missing table. A problem is
one line on stderr saying what is wrong and what to run, and a non-zero exit.
"""

import asyncio
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import click

from server.settings import DEFAULT_SQLITE_PATH

T = TypeVar("T")

#: Seconds to wait for a PostgreSQL server before saying it cannot be reached.
POSTGRES_CONNECT_TIMEOUT_S = 5.0

_MIGRATE_HINT = "run `leastmeans migrate` (or `make run`)"
_MIGRATION_ID = re.compile(r'^ID = "([^"]+)"', re.MULTILINE)


class DatabaseUnavailable(click.ClickException):
    """The database named by DATABASE_URL is missing, unreachable or not migrated."""


def database_url() -> str:
    """DATABASE_URL, or the default SQLite file (relative to the current folder)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _scheme(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise DatabaseUnavailable(f"DATABASE_URL: unsupported scheme '{scheme}' (use sqlite:///path or postgresql://...)")
    return scheme


def _where(url: str) -> str:
    """The database's place without its password: host:port/name, or the file path."""
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        return url.removeprefix("sqlite:///")
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/') or '(default database)'}"


def code_migration_ids() -> set[str]:
    """The ids of the migrations shipped with this code (the `ID = "..."` of each module)."""
    from server.storage.piccolo_app import MIGRATIONS_DIR

    return {
        found.group(1)
        for path in Path(MIGRATIONS_DIR).glob("leastmeans_*.py")
        if (found := _MIGRATION_ID.search(path.read_text(encoding="utf-8")))
    }


def _require_migrated(where: str, ran: set[str] | None) -> None:
    if ran is None:
        raise DatabaseUnavailable(f"database at {where} has no tables (it was never migrated): {_MIGRATE_HINT}")
    pending = code_migration_ids() - ran
    if pending:
        raise DatabaseUnavailable(f"database at {where} lacks {len(pending)} migration(s) of this version: {_MIGRATE_HINT}")


def _sqlite_migrations(path: Path) -> set[str] | None:
    """The migrations a SQLite file has run (None: no migration table), read without writing."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            if connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='migration'").fetchone() is None:
                return None
            return {row[0] for row in connection.execute("SELECT name FROM migration WHERE app_name='leastmeans'")}
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnavailable(f"{path} is not a usable SQLite database ({exc}): check DATABASE_URL") from None


def _check_sqlite(url: str, *, creating: bool) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if creating:
        # `migrate` makes the default folder (var/) of a fresh clone, never another one:
        # a missing folder elsewhere is more likely a typo in DATABASE_URL.
        if not path.parent.is_dir() and path.parent != DEFAULT_SQLITE_PATH.parent:
            raise DatabaseUnavailable(f"no folder {path.parent} for the database {path}: create it or fix DATABASE_URL")
        return
    # Without DATABASE_URL the default file is relative to the current folder: name that cause.
    unset = "" if os.environ.get("DATABASE_URL") else ", the default when DATABASE_URL is not set, relative to this folder"
    if not path.parent.is_dir():
        raise DatabaseUnavailable(
            f"no database at {path} (no folder {path.parent}{unset}): run from the project folder or fix DATABASE_URL, or {_MIGRATE_HINT}"
        )
    if not path.is_file():
        raise DatabaseUnavailable(f"no database at {path}{f' ({unset[2:]})' if unset else ''}: {_MIGRATE_HINT}")
    _require_migrated(str(path), _sqlite_migrations(path))


async def _check_postgres(url: str, *, creating: bool) -> None:
    import asyncpg

    where = _where(url)
    try:
        connection = await asyncpg.connect(url, timeout=POSTGRES_CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseUnavailable(f"no database {where} on the PostgreSQL server: create it (createdb), then {_MIGRATE_HINT}") from None
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach PostgreSQL at {where} ({reason}): is the server running and DATABASE_URL right?") from None
    try:
        if creating:
            return
        exists = await connection.fetchval("SELECT to_regclass('migration') IS NOT NULL")
        ran = None
        if exists:
            ran = {row["name"] for row in await connection.fetch("SELECT name FROM migration WHERE app_name='leastmeans'")}
        _require_migrated(where, ran)
    finally:
        await connection.close()


async def _open(url: str, *, creating: bool) -> None:
    from server.storage.database import engine_for_url, use_database

    if _scheme(url) == "sqlite":
        _check_sqlite(url, creating=creating)
    else:
        await _check_postgres(url, creating=creating)
    use_database(engine_for_url(url))


def check_database(creating: bool = False) -> str:
    """Raise DatabaseUnavailable unless DATABASE_URL names a database a command may use; return the URL.

    `creating`: the command makes the database (`migrate`), so a missing file is fine.
    """
    url = database_url()
    if _scheme(url) == "sqlite":
        _check_sqlite(url, creating=creating)
    else:
        asyncio.run(_check_postgres(url, creating=creating))
    return url


def run_with_database(work: Callable[[], Awaitable[T]], creating: bool = False) -> T:
    """Run `work` against the database named by DATABASE_URL, once it is known to be usable.

    `creating`: the command makes the database (only `migrate` and `serve --migrate`)."""
    url = database_url()

    async def run() -> T:
        await _open(url, creating=creating)
        return await work()

    return asyncio.run(run())
