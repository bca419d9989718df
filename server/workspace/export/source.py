"""Reading submitted answers in batches of respondents: tidy rows, every stored answer, free text.

The rows become tidy data by the same `server.gradation.snapshot.tidy_from_answers` the
analysis uses; beside them a batch gives every stored answer that is not free text (decoded,
with its item's kind and type), from which the wide files take every codebook variable and
k-anonymity each respondent's background. Reading a bounded batch at a time keeps an
export's memory flat in the size of the data.
"""

import asyncio
import sqlite3
from typing import Any, NamedTuple

import pandas as pd
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from server.gradation.snapshot import empty_tidy, tidy_from_answers, with_item_metadata
from server.instrument_registry import InstrumentRegistry
from server.storage.database import current_engine
from server.storage.tables import Response

#: Item types whose answers are free text (never in the tidy frame).
FREE_TEXT_TYPES = ("text",)


RESPONSE_COLUMNS = [
    "id", "study", "submitted_at", "group", "setting", "site", "version_id", "instrument_version",
    "started_at", "design_slot", "free_text",
]


async def submitted_responses(study_code: str | None) -> pd.DataFrame:
    """One row per submitted response, sorted by id: id (str), study, submitted_at (UTC),
    what each tidy row repeats (group, setting, site, instrument version), read once, not
    per answer, and what routing and the quality flags need (started_at, design_slot, the
    study's free_text feature)."""
    query = Response.select(
        Response.id,
        Response.study.code.as_alias("study"),
        Response.submitted_at,
        Response.respondent_group.as_alias("group"),
        Response.setting,
        Response.site.code.as_alias("site"),
        Response.instrument_version.as_alias("version_id"),
        Response.instrument_version.content_hash.as_alias("instrument_version"),
        Response.started_at,
        Response.design_slot,
        Response.study.free_text.as_alias("free_text"),
    ).where(Response.submitted_at.is_not_null())
    if study_code is not None:
        query = query.where(Response.study.code == study_code)
    rows = await query
    frame = pd.DataFrame.from_records(rows, columns=RESPONSE_COLUMNS)
    frame["id"] = frame["id"].astype(str)
    # Sorted, so batches do not depend on the database's row order (nothing exported
    # depends on the batches either; this keeps runs comparable).
    return frame.sort_values("id", kind="mergesort").reset_index(drop=True)


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


class SourceBatch(NamedTuple):
    """What one batch of respondents gives the export."""

    #: Tidy rows (`server.gradation.snapshot.TIDY_COLUMNS`).
    tidy: pd.DataFrame
    #: Free-text answers: respondent, item, text.
    free_text: pd.DataFrame
    #: Every stored answer that is not free text: respondent, item, raw (decoded value),
    #: missing, kind, type, measure, measure_b, version_id.
    answers: pd.DataFrame
    #: Stored answers per respondent, free text included (the speed flag's denominator).
    answer_counts: pd.Series


async def read_batch(registry: InstrumentRegistry, response_ids: list[str], responses: pd.DataFrame) -> SourceBatch:
    """The tidy rows, free text and stored answers of these responses.

    `responses` is `submitted_responses(...)` indexed by id.
    """
    answers = await fetch_answers(response_ids)
    empty_text = pd.DataFrame({"respondent": pd.Series(dtype="string"), "item": pd.Series(dtype="string"), "text": pd.Series(dtype="string")})
    if not len(answers):
        return SourceBatch(empty_tidy(), empty_text, pd.DataFrame(columns=STORED_COLUMNS), pd.Series(dtype="int64"))
    counts = answers.groupby("respondent", sort=False).size()
    answers = answers.join(responses[["group", "setting", "site", "version_id", "instrument_version"]], on="respondent")
    answers = await with_item_metadata(registry, answers)
    is_text = answers["type"].isin(FREE_TEXT_TYPES)
    free = answers[is_text & answers["missing"].isna()]
    free_text = pd.DataFrame({"respondent": free["respondent"], "item": free["item"], "text": free["raw"]}).astype("string")
    stored = answers.loc[~is_text, STORED_COLUMNS].reset_index(drop=True)
    return SourceBatch(tidy_from_answers(answers), free_text, stored, counts)


#: The columns of `SourceBatch.answers`.
STORED_COLUMNS = ["respondent", "item", "raw", "missing", "kind", "type", "measure", "measure_b", "version_id"]


async def tidy_batch(
    registry: InstrumentRegistry, response_ids: list[str], responses: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy rows of these responses, and their free-text answers (respondent, item, text).

    `responses` is `submitted_responses(...)` indexed by id.
    """
    batch = await read_batch(registry, response_ids, responses)
    return batch.tidy, batch.free_text
