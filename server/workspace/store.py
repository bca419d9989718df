"""A Litestar `Store` kept in the application database, and atomic counters on any store.

Sessions and login-failure counters must be shared by every worker and host, and the
deployment may have no Redis; the database is the one thing they all share already.
With REDIS_URL set, `server.workspace.config` uses Litestar's RedisStore instead.

Rate limits need two operations that a get-then-set cannot do safely under concurrent
requests: `count_hit` (add to a counter and read the new total in one step) and
`claim_turn` (take a key for a while unless someone else holds it). On Redis they are
small Lua scripts; on the database each is a single `INSERT ... ON CONFLICT DO UPDATE
... RETURNING` statement, so two workers can never both read the same old value.
Expired rows are deleted on a schedule (at most once a minute per process, on a write),
so counters and ended sessions leave nothing behind even if nobody logs in.
"""

import datetime as dt
import time
from typing import Any

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.redis import RedisStore

from server.storage.workspace_tables import StoreEntry

#: Seconds between two purges of expired rows by one process.
PURGE_EVERY_S = 60.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


_last_purge = 0.0


async def _purge_now_and_then() -> None:
    global _last_purge
    now = time.monotonic()
    if now - _last_purge < PURGE_EVERY_S:
        return
    _last_purge = now
    await StoreEntry.delete().where(StoreEntry.expires_at < _now())


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
        await _purge_now_and_then()

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

    async def pop(self, key: str) -> bytes | None:
        """Remove `key` and return its unexpired value, in one statement (only one caller gets it)."""
        rows = await StoreEntry.delete().where(StoreEntry.key == self._key(key)).returning(StoreEntry.value, StoreEntry.expires_at)
        if not rows:
            return None
        row = rows[0]
        if row["expires_at"] is not None and _aware(row["expires_at"]) <= _now():
            return None
        return bytes(row["value"]) if row["value"] is not None else None

    async def count_hit(self, key: str, expires_in_s: int, delta: int = 1) -> int:
        """Add `delta` to the counter at `key` (created with this expiry) and return the new total."""
        if StoreEntry._meta.db.engine_type == "postgres":
            added = "convert_to((convert_from(workspace_store.value, 'UTF8')::bigint + {})::text, 'UTF8')"
            total = "convert_from(value, 'UTF8')::bigint"
        else:
            added = "CAST(CAST(CAST(CAST(workspace_store.value AS TEXT) AS INTEGER) + {} AS TEXT) AS BLOB)"
            total = "CAST(CAST(value AS TEXT) AS INTEGER)"
        if delta < 0:
            # Taking back a hit never creates a counter (it may have expired meanwhile).
            sql = f"UPDATE workspace_store SET value = {added} WHERE key = {{}} RETURNING {total} AS total"
            rows = await StoreEntry.raw(sql, delta, self._key(key))
            return int(rows[0]["total"]) if rows else 0
        sql = (
            "INSERT INTO workspace_store (key, value, expires_at) VALUES ({}, {}, {}) "
            f"ON CONFLICT (key) DO UPDATE SET value = {added} RETURNING {total} AS total"
        )
        expires_at = _now() + dt.timedelta(seconds=expires_in_s)
        rows = await StoreEntry.raw(sql, self._key(key), str(delta).encode(), expires_at, delta)
        await _purge_now_and_then()
        return int(rows[0]["total"])

    async def claim_turn(self, key: str, seconds: float, extend: bool = False) -> float:
        """Hold `key` for `seconds` unless another holder still has it.

        Returns 0.0 when this caller got it, else the seconds until the current hold ends
        (with `extend`, a refused caller first pushes that end to at least `seconds` from
        now). The value is the end of the hold in epoch milliseconds; the update only
        happens where that end has passed, so of concurrent callers exactly one wins.
        """
        now_ms = int(time.time() * 1000)
        until_ms = now_ms + int(seconds * 1000)
        held = (
            "convert_from(workspace_store.value, 'UTF8')::bigint"
            if StoreEntry._meta.db.engine_type == "postgres"
            else "CAST(CAST(workspace_store.value AS TEXT) AS INTEGER)"
        )
        sql = (
            "INSERT INTO workspace_store (key, value, expires_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at "
            f"WHERE {held} <= {{}} RETURNING key"
        )
        expires_at = _now() + dt.timedelta(milliseconds=until_ms - now_ms)
        rows = await StoreEntry.raw(sql, self._key(key), str(until_ms).encode(), expires_at, now_ms)
        await _purge_now_and_then()
        if rows:
            return 0.0
        if extend:
            await StoreEntry.raw(
                f"UPDATE workspace_store SET value = {{}}, expires_at = {{}} WHERE key = {{}} AND {held} < {{}}",
                str(until_ms).encode(),
                expires_at,
                self._key(key),
                until_ms,
            )
        current = await self.get(key)
        # Refused is refused, even if the hold ended in the instant since.
        return max((int(current) - now_ms) / 1000, 0.001) if current is not None else 0.001

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


_REDIS_COUNT = """
if tonumber(ARGV[1]) < 0 and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return total
"""

_REDIS_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if ARGV[3] == '1' and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
"""


def _redis_parts(store: RedisStore) -> tuple[Any, Any]:
    # Litestar's RedisStore keeps its client and key prefixing private; both are stable
    # across Litestar 2 and the only way to run a script under the store's namespace.
    return store._redis, store._make_key  # noqa: SLF001


async def count_hit(store: Store, key: str, expires_in_s: int, delta: int = 1) -> int:
    """Atomically add `delta` to the counter `key` and return the new total.

    A new counter expires `expires_in_s` after its first hit (later hits do not extend it);
    a negative `delta` on an absent counter does nothing and returns 0. Callers put their
    time window in the key (`...:<window number>`), so a counter is never counted on past
    its window, even in a database row that expired but was not yet purged.
    """
    if isinstance(store, DatabaseStore):
        return await store.count_hit(key, expires_in_s, delta)
    if isinstance(store, RedisStore):
        redis, make_key = _redis_parts(store)
        return int(await redis.eval(_REDIS_COUNT, 1, make_key(key), delta, expires_in_s))
    raise TypeError(f"no atomic counter for {type(store).__name__}")


async def claim_turn(store: Store, key: str, seconds: float, extend: bool = False) -> float:
    """Take `key` for `seconds` if nobody holds it: 0.0 on success, else seconds left to wait.

    With `extend`, a refused caller pushes the end of the hold to at least `seconds` from now.
    """
    if isinstance(store, DatabaseStore):
        return await store.claim_turn(key, seconds, extend)
    if isinstance(store, RedisStore):
        redis, make_key = _redis_parts(store)
        hold_ms = max(int(seconds * 1000), 1)
        left_ms = int(await redis.eval(_REDIS_CLAIM, 1, make_key(key), int(time.time() * 1000), hold_ms, "1" if extend else "0"))
        return left_ms / 1000
    raise TypeError(f"no turn-taking for {type(store).__name__}")
