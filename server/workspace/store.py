"""A Litestar `Store` kept in the application database.

Sessions and login-failure counters must be shared by every worker and host, and the
deployment may have no Redis; the database is the one thing they all share already.
With REDIS_URL set, `server.workspace.config` uses Litestar's RedisStore instead.
"""

import datetime as dt

from litestar.stores.base import NamespacedStore

from server.storage.workspace_tables import StoreEntry


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class DatabaseStore(NamespacedStore):
    """Key-value store on the `workspace_store` table; keys are prefixed by namespace."""

    def __init__(self, namespace: str = "workspace") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> "DatabaseStore":
        """A store whose keys live under `<namespace>:`."""
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None) -> None:
        """Insert or replace `key`."""
        if isinstance(value, str):
            value = value.encode()
        if isinstance(expires_in, int):
            expires_in = dt.timedelta(seconds=expires_in)
        expires_at = _now() + expires_in if expires_in is not None else None
        await (
            StoreEntry.insert(StoreEntry(key=self._key(key), value=value, expires_at=expires_at))
            .on_conflict(
                target=StoreEntry.key,
                action="DO UPDATE",
                values=[StoreEntry.value, StoreEntry.expires_at],
            )
            .run()
        )

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        """The value, or None if absent or expired; optionally extend its expiry."""
        row = await StoreEntry.select(StoreEntry.value, StoreEntry.expires_at).where(StoreEntry.key == self._key(key)).first()
        if row is None:
            return None
        if row["expires_at"] is not None and _aware(row["expires_at"]) <= _now():
            await self.delete(key)
            return None
        if renew_for is not None and row["expires_at"] is not None:
            if isinstance(renew_for, int):
                renew_for = dt.timedelta(seconds=renew_for)
            await StoreEntry.update({StoreEntry.expires_at: _now() + renew_for}).where(StoreEntry.key == self._key(key))
        value = row["value"]
        return bytes(value) if value is not None else None

    async def delete(self, key: str) -> None:
        """Remove `key` (no error if absent)."""
        await StoreEntry.delete().where(StoreEntry.key == self._key(key))

    async def delete_all(self) -> None:
        """Remove every key of this namespace."""
        await StoreEntry.delete().where(StoreEntry.key.like(f"{self.namespace}:%"))

    async def exists(self, key: str) -> bool:
        """True if `key` holds an unexpired value."""
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        """Seconds until `key` expires, or None if it does not expire or is absent."""
        row = await StoreEntry.select(StoreEntry.expires_at).where(StoreEntry.key == self._key(key)).first()
        if row is None or row["expires_at"] is None:
            return None
        return int((_aware(row["expires_at"]) - _now()).total_seconds())

    async def delete_expired(self) -> None:
        """Housekeeping: drop expired entries of every namespace."""
        await StoreEntry.delete().where(StoreEntry.expires_at < _now())
