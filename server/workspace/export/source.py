"""Reading submitted answers in batches of respondents, as tidy frames.

The rows become tidy data by the same `server.gradation.snapshot.tidy_from_answers` the
analysis uses; reading a bounded batch at a time keeps an export's memory flat in the
size of the data.
"""

import uuid

import pandas as pd

from server.gradation.snapshot import empty_tidy, tidy_from_answers, with_item_metadata
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer, Response

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


async def tidy_batch(
    registry: InstrumentRegistry, response_ids: list[str], responses: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy rows of these responses, and their free-text answers (respondent, item, text).

    `responses` is `submitted_responses(...)` indexed by id.
    """
    rows = await Answer.select(
        Answer.response.as_alias("respondent"), Answer.item, Answer.value, Answer.missing
    ).where(Answer.response.is_in([uuid.UUID(r) for r in response_ids]))
    empty_text = pd.DataFrame({"respondent": pd.Series(dtype="string"), "item": pd.Series(dtype="string"), "text": pd.Series(dtype="string")})
    if not rows:
        return empty_tidy(), empty_text
    answers = pd.DataFrame.from_records(rows)
    answers["respondent"] = answers["respondent"].map(str)
    answers = answers.join(responses[["group", "setting", "site", "version_id", "instrument_version"]], on="respondent")
    answers = await with_item_metadata(registry, answers)
    free = answers[answers["type"].isin(FREE_TEXT_TYPES) & answers["missing"].isna()]
    free_text = pd.DataFrame({"respondent": free["respondent"], "item": free["item"], "text": free["raw"]}).astype("string")
    return tidy_from_answers(answers), free_text
