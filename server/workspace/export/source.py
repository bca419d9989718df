"""Reading submitted answers in batches of respondents, as tidy frames.

The rows become tidy data by the same `server.gradation.snapshot.tidy_from_answers` the
analysis uses; reading a bounded batch at a time keeps an export's memory flat in the
size of the data.
"""

import asyncio
import sqlite3
from typing import Any

import pandas as pd
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from server.gradation.snapshot import empty_tidy, tidy_from_answers, with_item_metadata
from server.instrument_registry import InstrumentRegistry
from server.storage.database import current_engine
from server.storage.tables import Response

#: Item types whose answers are free text (never in the tidy frame).
FREE_TEXT_TYPES = ("text",)


RESPONSE_COLUMNS = ["id", "study", "submitted_at", "group", "setting", "site", "version_id", "instrument_version"]


async def submitted_responses(study_code: str | None) -> pd.DataFrame:
    """One row per submitted response: id (str), study, submitted_at (UTC) and what each
    tidy row repeats (group, setting, site, instrument version), read once, not per answer."""
    query = Response.select(
        Response.id,
        Response.study.code.as_alias("study"),
        Response.submitted_at,
        Response.respondent_group.as_alias("group"),
        Response.setting,
        Response.site.code.as_alias("site"),
        Response.instrument_version.as_alias("version_id"),
        Response.instrument_version.content_hash.as_alias("instrument_version"),
    ).where(Response.submitted_at.is_not_null())
    if study_code is not None:
        query = query.where(Response.study.code == study_code)
    rows = await query
    frame = pd.DataFrame.from_records(rows, columns=RESPONSE_COLUMNS)
    frame["id"] = frame["id"].astype(str)
    return frame


ANSWER_COLUMNS = ["respondent", "item", "value", "missing"]

# The same statement the query builder compiles for `Answer.response.is_in(...)`, so
# SQLite walks the same index and returns the rows in the same order.
_ANSWERS_SQL_SQLITE = (
    'SELECT ALL "answer"."response" AS "respondent", "answer"."item" AS "item", "answer"."value" AS "value", '
    '"answer"."missing" AS "missing" FROM "answer" WHERE "answer"."response" IN ({})'
)
_ANSWERS_SQL_POSTGRES = (
    "SELECT response::text AS respondent, item, value::text AS value, missing FROM answer WHERE response = ANY($1::uuid[])"
)


def _answers_sqlite(database: str, response_ids: list[str]) -> list[tuple[Any, ...]]:
    # A plain connection without Piccolo's type detection: ids come back as the stored
    # text (no UUID objects to turn back into text) and rows as tuples, not dicts. JSON
    # has no converter either way, so values are exactly what the query builder returns.
    connection = sqlite3.connect(database, timeout=30.0)
    try:
        sql = _ANSWERS_SQL_SQLITE.format(", ".join("?" * len(response_ids)))
        return connection.execute(sql, response_ids).fetchall()
    finally:
        connection.close()


async def _answers_postgres(engine: PostgresEngine, response_ids: list[str]) -> list[tuple[Any, ...]]:
    # Straight from the pool: the query builder would turn every row into a dict.
    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            records = await connection.fetch(_ANSWERS_SQL_POSTGRES, response_ids)
    else:
        connection = await engine.get_new_connection()
        try:
            records = await connection.fetch(_ANSWERS_SQL_POSTGRES, response_ids)
        finally:
            await connection.close()
    return [tuple(record) for record in records]


async def fetch_answers(response_ids: list[str]) -> pd.DataFrame:
    """The stored answers of these responses: respondent (id as text), item, value (as
    stored, JSON not yet decoded) and missing."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        rows = await asyncio.to_thread(_answers_sqlite, engine.connection_kwargs["database"], response_ids)
    elif isinstance(engine, PostgresEngine):
        rows = await _answers_postgres(engine, response_ids)
    else:
        raise TypeError(f"unsupported database engine {type(engine).__name__}")
    return pd.DataFrame.from_records(rows, columns=ANSWER_COLUMNS)


async def tidy_batch(
    registry: InstrumentRegistry, response_ids: list[str], responses: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy rows of these responses, and their free-text answers (respondent, item, text).

    `responses` is `submitted_responses(...)` indexed by id.
    """
    answers = await fetch_answers(response_ids)
    empty_text = pd.DataFrame({"respondent": pd.Series(dtype="string"), "item": pd.Series(dtype="string"), "text": pd.Series(dtype="string")})
    if not len(answers):
        return empty_tidy(), empty_text
    answers = answers.join(responses[["group", "setting", "site", "version_id", "instrument_version"]], on="respondent")
    answers = await with_item_metadata(registry, answers)
    free = answers[answers["type"].isin(FREE_TEXT_TYPES) & answers["missing"].isna()]
    free_text = pd.DataFrame({"respondent": free["respondent"], "item": free["item"], "text": free["raw"]}).astype("string")
    return tidy_from_answers(answers), free_text
