"""How a command-line command reaches the database: once per command, from DATABASE_URL."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from server.settings import Settings

T = TypeVar("T")


def run_with_database(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` against the database named by DATABASE_URL (default: the SQLite file)."""
    from server.storage.database import engine_for_url, use_database

    async def run() -> T:
        use_database(engine_for_url(Settings.from_env().database_url))
        return await work()

    return asyncio.run(run())
