"""Backup and restore of the whole database.

SQLite uses the online backup API (consistent while the server keeps writing);
PostgreSQL uses pg_dump's custom format and pg_restore.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from server.storage.database import SQLITE_BUSY_TIMEOUT_S, sqlite_path


class BackupError(RuntimeError):
    """A backup or restore could not be completed; the message says why."""


def _is_sqlite(url: str) -> bool:
    return urlparse(url).scheme == "sqlite"


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise BackupError(f"'{tool}' is not installed; it is needed for PostgreSQL backups")
    return found


def backup(database_url: str, destination: Path) -> Path:
    """Write a consistent copy of the database to `destination`."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(database_url):
        source_path = sqlite_path(database_url)
        if not source_path.exists():
            raise BackupError(f"no database file at {source_path}")
        with sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_S) as source, sqlite3.connect(destination) as target:
            source.backup(target)
        target.close()
        return destination
    result = subprocess.run(
        [_require("pg_dump"), "--format=custom", "--no-owner", f"--file={destination}", database_url],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return destination


def restore(database_url: str, source: Path) -> None:
    """Replace the (empty or expendable) target database with the backup in `source`."""
    if not source.exists():
        raise BackupError(f"no backup file at {source}")
    if _is_sqlite(database_url):
        target_path = sqlite_path(database_url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as backup_db, sqlite3.connect(target_path, timeout=SQLITE_BUSY_TIMEOUT_S) as target:
            backup_db.backup(target)
        return
    result = subprocess.run(
        [_require("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={database_url}", str(source)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
