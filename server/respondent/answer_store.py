"""Reading a session for a save, and writing one answer: the SQL of the save path.

A save is decided in Python (skip logic, answer checks) from the session as read here,
then written. Two ways to make that atomic:

- *locked* (both databases): inside `write_transaction()`, lock the response row (on
  PostgreSQL by a no-op update), read, then upsert. SQLite's IMMEDIATE transaction
  serialises writers. Five round trips on PostgreSQL (BEGIN, lock, read, upsert, COMMIT).
- *guarded* (PostgreSQL): decide on a state read without a transaction, or on the state
  this worker holds from its last save of the session (`session_cache`), then send one
  statement that locks the response row by updating it, but only if it is still open,
  its study's free-text switch is as decided on, *and* it has not been written since
  that state (its `xmin`, the id of the transaction that last wrote the row, is
  unchanged); the same statement upserts the answer and deletes dropped ones. One round
  trip from a held state, two after a read. Every save (guarded or locked) and the
  submit write the response row, so an unchanged `xmin` means the answers the decision
  was made on are still the stored ones. A single statement is its own transaction:
  when it returns, it is committed.

Raw SQL on purpose: the save is the hottest path, and building these statements with
the query builder cost more CPU than sending them (asyncpg prepares and caches them).
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.respondent.errors import ResponseNotFound
from server.storage.database import current_engine
from server.storage.tables import Answer, Response

#: Saved answers by item code: (value, missing code).
Saved = dict[str, tuple[Any, str | None]]


@dataclass(frozen=True)
class SessionState:
    """What a save is decided on: the session, its study's switches and its answers."""

    instrument_version: int
    setting: str
    design_slot: int
    submitted: bool
    free_text: bool
    saved: Saved
    #: The response row's xmin as text (PostgreSQL), the guard of a guarded write.
    revision: str | None
    #: The hash of the key the session is bound to (`server.credentials.session_binding`).
    key_hash: str | None = None
    #: The device let the session go: stored answers are final, missing ones still come in.
    released: bool = False


def decode_value(raw: Any) -> Any:
    """A stored JSON value as Python (both engines hand JSON columns back as text)."""
    return json.loads(raw) if isinstance(raw, str) else raw


def saved_answers(rows: list[dict[str, Any]]) -> Saved:
    """The answers of a session read joined to its answers (one row per answer; a row with
    a NULL item when there is none yet)."""
    return {row["item"]: (decode_value(row["value"]), row["missing"]) for row in rows if row["item"] is not None}


def encode_value(value: Any) -> str | None:
    """A value as JSON text for the `value` column (NULL for no value).

    Every value is encoded, strings too: a text answer "18-29" is stored as the JSON
    string "\\"18-29\\"".
    """
    return None if value is None else json.dumps(value, ensure_ascii=False)


# The session row, its study's switches and every saved answer in one query. One row per
# answer (a single row with a NULL item when there is none yet). Used on SQLite.
_READ_SQL = (
    "SELECT r.instrument_version, r.setting, r.design_slot, r.submitted_at, s.free_text,"
    " r.session_key_hash, r.released_at, a.item, a.value, a.missing"
    " FROM response r JOIN study s ON s.id = r.study LEFT JOIN answer a ON a.response = r.id"
    " WHERE r.id = {}"
)

# The same on PostgreSQL as a single row, the answers aggregated into one JSON array of
# [item, value, missing]: one row to send and decode instead of one per answer (and the
# session's columns repeated on each), which showed as asyncpg time in the worker. One
# statement, so the row and the answers come from the same snapshot, as in the join.
_READ_SQL_POSTGRES = """
SELECT r.instrument_version, r.setting, r.design_slot, r.submitted_at IS NOT NULL AS submitted, s.free_text,
    r.xmin::text AS revision, r.session_key_hash, r.released_at IS NOT NULL AS released,
    (SELECT json_agg(json_build_array(a.item, a.value, a.missing)) FROM answer a WHERE a.response = r.id)::text
        AS answers
FROM response r JOIN study s ON s.id = r.study
WHERE r.id = $1
"""


async def fetchrow_postgres(engine: PostgresEngine, sql: str, *args: Any) -> Any:
    """One row of `sql` (asyncpg `$n` placeholders) straight from the pool, or None.

    Bypasses the query builder's per-query work (compiling the query string, turning
    records into dicts); outside a transaction only, like a single statement.
    """
    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            return await connection.fetchrow(sql, *args)
    connection = await engine.get_new_connection()
    try:
        return await connection.fetchrow(sql, *args)
    finally:
        await connection.close()


async def read_session(response_id: uuid.UUID, lock: bool) -> SessionState:
    """The session and its answers; raise ResponseNotFound if there is none.

    With `lock` (inside a write transaction) the response row is locked on PostgreSQL
    (only it: never the study row that every tablet of the study shares), so a concurrent
    save or submit waits for this one; SQLite's IMMEDIATE transaction already holds the
    database's write lock.
    """
    engine = current_engine()
    if not isinstance(engine, PostgresEngine):
        return await _read_session_sqlite(response_id)
    if lock:
        # Lock first, read after, in two statements: under READ COMMITTED a statement
        # sees the data as of its start, so a read joined to `FOR UPDATE` that waited
        # for a concurrent save would get the fresh response row but that save's
        # answers as they were before it (and could store an answer its change hid).
        # The lock is taken by a no-op update rather than FOR UPDATE so the row gets a
        # new xmin: a guarded write that read before this save fails its guard.
        # Through Piccolo, which runs both statements on the transaction's connection.
        await Response.raw("UPDATE response SET submitted_at = submitted_at WHERE id = {}", response_id)
        rows = await Response.raw(_READ_SQL_POSTGRES.replace("$1", "{}"), response_id)
        row = rows[0] if rows else None
    else:
        row = await fetchrow_postgres(engine, _READ_SQL_POSTGRES, response_id)
    if row is None:
        raise ResponseNotFound(str(response_id))
    answers = json.loads(row["answers"]) if row["answers"] is not None else []
    return SessionState(
        instrument_version=row["instrument_version"],
        setting=row["setting"],
        design_slot=row["design_slot"],
        submitted=row["submitted"],
        free_text=bool(row["free_text"]),
        saved={item: (value, missing) for item, value, missing in answers},
        revision=row["revision"],
        key_hash=row["session_key_hash"],
        released=row["released"],
    )


async def _read_session_sqlite(response_id: uuid.UUID) -> SessionState:
    rows = await Response.raw(_READ_SQL, response_id)
    if not rows:
        raise ResponseNotFound(str(response_id))
    first = rows[0]
    return SessionState(
        instrument_version=first["instrument_version"],
        setting=first["setting"],
        design_slot=first["design_slot"],
        submitted=first["submitted_at"] is not None,
        free_text=bool(first["free_text"]),
        saved=saved_answers(rows),
        revision=None,
        key_hash=first["session_key_hash"],
        released=first["released_at"] is not None,
    )


_UPSERT_SQL = (
    "INSERT INTO answer (response, item, value, missing, answered_at) VALUES ({}, {}, {}, {}, {})"
    " ON CONFLICT (response, item) DO UPDATE"
    " SET value = excluded.value, missing = excluded.missing, answered_at = excluded.answered_at"
)


async def write_locked(
    response_id: uuid.UUID, item: str, value: str | None, missing: str | None, answered_at: dt.datetime, dropped: list[str]
) -> None:
    """Upsert one answer and delete `dropped`; call inside the write transaction that
    read the session with `lock=True`."""
    await Response.raw(_UPSERT_SQL, response_id, item, value, missing, answered_at)
    if dropped:
        await Answer.delete().where((Answer.response == response_id) & Answer.item.is_in(dropped))


# `UPDATE ... SET submitted_at = NULL` changes nothing (the row is open, or it is not
# updated), but it takes the row lock like the locked path's FOR UPDATE does, waits for a
# concurrent save or submit, and gives the row a new xmin so that a save that read before
# this one commits finds its guard failed. PostgreSQL re-checks the WHERE clause on the
# newest row version after waiting for a lock, so the guard sees concurrent commits even
# though the statement's snapshot is older. The study's free-text switch, which decides
# whether text items are asked, is part of the guard too. The insert and delete take
# their response id from the guard, so they write nothing when it fails; the guard
# returns the row's new xmin, the revision the next save of this session is guarded by.
_GUARDED_SQL = """
WITH guard AS (
    UPDATE response SET submitted_at = NULL
    WHERE id = $1 AND submitted_at IS NULL AND xmin::text = $2::text
        AND (SELECT s.free_text FROM study s WHERE s.id = response.study) = $7::boolean
    RETURNING id, xmin::text AS revision
), upserted AS (
    INSERT INTO answer (response, item, value, missing, answered_at)
    SELECT id, $3::varchar, $4::json, $5::varchar, $6::timestamptz FROM guard
    ON CONFLICT (response, item) DO UPDATE
    SET value = excluded.value, missing = excluded.missing, answered_at = excluded.answered_at
    RETURNING 1
){deleted}
SELECT (SELECT revision FROM guard) AS revision, (SELECT count(*) FROM upserted) AS upserted
"""
# Most saves drop nothing; a DELETE part that deletes nothing still cost PostgreSQL about
# a fifth of the statement's CPU, so it is only sent when there is something to drop.
_GUARDED_KEEPING_SQL = _GUARDED_SQL.format(deleted="")
_GUARDED_DROPPING_SQL = _GUARDED_SQL.format(
    deleted=""", deleted AS (
    DELETE FROM answer WHERE response IN (SELECT id FROM guard) AND item = ANY($8::varchar[])
    RETURNING 1
)"""
)


async def write_guarded(
    state: SessionState,
    response_id: uuid.UUID,
    item: str,
    value: str | None,
    missing: str | None,
    answered_at: dt.datetime,
    dropped: list[str],
) -> str | None:
    """Upsert one answer and delete `dropped` in one statement, only if the session is
    open and unchanged since `state` was read (PostgreSQL).

    Returns the session's new revision, or None when nothing was written.
    """
    assert state.revision is not None
    arguments = [response_id, state.revision, item, value, missing, answered_at, state.free_text]
    engine: Any = current_engine()  # PostgreSQL: a revision is only ever read from it
    if dropped:
        row = await fetchrow_postgres(engine, _GUARDED_DROPPING_SQL, *arguments, dropped)
    else:
        row = await fetchrow_postgres(engine, _GUARDED_KEEPING_SQL, *arguments)
    return row["revision"] if row["upserted"] else None


def state_after_save(state: SessionState, item: str, value: str | None, missing: str | None, dropped: list[str], revision: str) -> SessionState:
    """The session as stored after saving `item` (its value as encoded) and deleting
    `dropped`, at `revision`: what a read would now return."""
    saved = {code: answer for code, answer in state.saved.items() if code not in dropped}
    saved[item] = (decode_value(value), missing)
    return replace(state, saved=saved, revision=revision)
