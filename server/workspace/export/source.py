"""Reading submitted answers in batches of respondents, as tidy frames.

The transformation mirrors `server.gradation.snapshot.tidy_snapshot` (which reads all
respondents at once); reading a bounded batch at a time keeps an export's memory flat in
the size of the data. `tests/workspace/test_export.py` proves both give the same content
(same `analysis.snapshot.data_hash`), so the two cannot drift apart unnoticed.
"""

import uuid

import msgspec
import numpy as np
import pandas as pd

from server.gradation.snapshot import BACKGROUND_KINDS, MEASURE_KINDS, TIDY_COLUMNS, _item_metadata
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


def _decode_values(raw: pd.Series) -> pd.Series:
    """JSON answer values, decoded. Numbers and quoted codes (nearly all values) are
    decoded column-wise; only lists (rankings, multiple choice) go through the parser."""
    text = raw.astype(object)
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    is_text = text.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    if not is_text.all():
        # Already decoded by the driver (not the case today, but harmless).
        out[~is_text] = text[~is_text]
    s = text[is_text].astype(str)
    quoted = s.str.startswith("\"") & ~s.str.contains("\\", regex=False)  # escapes go through the parser
    out[quoted[quoted].index] = s[quoted].str.slice(1, -1)
    numeric = pd.to_numeric(s[~quoted], errors="coerce")
    out[numeric.dropna().index] = numeric.dropna()
    rest = s[~quoted & numeric.isna()]
    rest = rest[rest != "null"]
    if len(rest):
        out[rest.index] = [msgspec.json.decode(v) for v in rest]
    return out


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
        frame = pd.DataFrame({c: pd.Series(dtype="string") for c in TIDY_COLUMNS}).astype({"value": "float64"})
        return frame, empty_text
    answers = pd.DataFrame.from_records(rows)
    answers["respondent"] = answers["respondent"].map(str)
    answers = answers.join(responses[["group", "setting", "site", "version_id", "instrument_version"]], on="respondent")
    answers["raw"] = _decode_values(answers["value"])
    meta = await _item_metadata(registry, sorted(answers["version_id"].unique().tolist()))
    answers = answers.drop(columns=["value"]).merge(meta, on=["version_id", "item"], how="inner")
    answered = answers["missing"].isna()
    text_value = answers["raw"].map(lambda v: v if isinstance(v, str) else None)

    free = answers[answers["type"].isin(FREE_TEXT_TYPES) & answered]
    free_text = pd.DataFrame({"respondent": free["respondent"], "item": free["item"], "text": text_value.loc[free.index]}).astype("string")

    respondents = answers[["respondent"]].drop_duplicates().set_index("respondent")
    for kind in BACKGROUND_KINDS:
        picked = answers.loc[(answers["kind"] == kind) & answered, ["respondent"]].assign(v=text_value)
        respondents[kind] = picked.drop_duplicates("respondent").set_index("respondent")["v"]

    exp = answers.loc[(answers["kind"] == "experience") & answered, ["respondent", "measure"]].assign(experience=text_value)
    never = set(answers.loc[(answers["kind"] == "coercion_any") & (text_value == "no"), "respondent"])

    base = answers[answers["kind"].isin(MEASURE_KINDS)].copy()
    is_rating = base["kind"] == "rating"
    base["value"] = np.where(
        is_rating & base["missing"].isna(), pd.to_numeric(base["raw"].where(is_rating), errors="coerce"), np.nan
    )
    base["choice"] = text_value.loc[base.index].where(~is_rating)

    ranked = answers[(answers["type"] == "ranking") & answered]
    if len(ranked):
        rank_rows = ranked.drop(columns=["measure"]).assign(measure=ranked["raw"]).explode("measure")
        rank_rows["value"] = rank_rows.groupby(level=0).cumcount().to_numpy() + 1.0
        rank_rows["item"] = rank_rows["item"] + "." + rank_rows["measure"].astype(str)
        rank_rows["kind"] = "rank"
        rank_rows["choice"] = None
        base = pd.concat([base, rank_rows], ignore_index=True)

    frame = base.merge(exp, on=["respondent", "measure"], how="left")
    fill_none = frame["experience"].isna() & frame["respondent"].isin(never) & frame["measure"].notna() & (frame["kind"] != "paired")
    frame.loc[fill_none, "experience"] = "none"
    frame.loc[frame["kind"] == "paired", "experience"] = None
    frame = frame.join(respondents, on="respondent")
    frame = frame[TIDY_COLUMNS]
    frame = frame.astype({c: "string" for c in TIDY_COLUMNS if c != "value"}).astype({"value": "float64"})
    return frame, free_text
