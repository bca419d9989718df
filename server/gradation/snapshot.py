"""Read submitted answers from the database into the tidy frame `analysis/` expects.

One row per submitted respondent × answered measure item:
- `rating.<m>`: value 0–100 (NaN with a missing code);
- `allowed.<m>`: choice yes / no / dont_know;
- `paired.<a>.<b>`: measure a, measure_b b, choice = the measure chosen as less intrusive;
- a ranking item becomes one row per ranked measure, kind "rank", item `<code>.<m>`,
  value = position (1 = least intrusive).
Background answers are not rows but respondent columns (gender, age_band), and each
row's `experience` is the respondent's experience of that row's measure; a respondent
who answered that they never met coercion has experience "none" for every measure.
Free-text comments never enter the frame.
"""

import msgspec
import numpy as np
import pandas as pd

from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer

TIDY_COLUMNS = [
    "respondent", "group", "setting", "site", "instrument_version", "gender", "age_band",
    "item", "kind", "measure", "measure_b", "value", "choice", "missing", "experience",
]
#: Item kinds that become rows of the frame.
MEASURE_KINDS = ("rating", "allowed", "paired")
#: Kinds whose answer is a respondent column instead.
BACKGROUND_KINDS = ("gender", "age_band")


def decode_values(raw: pd.Series) -> pd.Series:
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


async def _item_metadata(registry: InstrumentRegistry, version_ids: list[int]) -> pd.DataFrame:
    records = []
    for version_id in version_ids:
        instrument = await registry.version(version_id)
        for item in instrument.items:
            records.append((version_id, item.code, item.kind, item.type, item.measure, item.measure_b))
    return pd.DataFrame.from_records(records, columns=["version_id", "item", "kind", "type", "measure", "measure_b"])


def empty_tidy() -> pd.DataFrame:
    """A tidy frame with no rows and the right column types."""
    frame = pd.DataFrame({column: pd.Series(dtype="string") for column in TIDY_COLUMNS})
    return frame.astype({"value": "float64"})


async def tidy_snapshot(registry: InstrumentRegistry, studies: list[str] | None = None) -> pd.DataFrame:
    """The tidy frame of every submitted response (see the module docstring), or of the
    responses to the studies with these codes."""
    query = Answer.select(
        Answer.response.id.as_alias("respondent"),
        Answer.response.respondent_group.as_alias("group"),
        Answer.response.setting.as_alias("setting"),
        Answer.response.site.code.as_alias("site"),
        Answer.response.instrument_version.as_alias("version_id"),
        Answer.response.instrument_version.content_hash.as_alias("instrument_version"),
        Answer.item,
        Answer.value,
        Answer.missing,
    ).where(Answer.response.submitted_at.is_not_null())
    if studies is not None:
        query = query.where(Answer.response.study.code.is_in(studies or [""]))
    rows = await query
    if not rows:
        return empty_tidy()
    answers = pd.DataFrame.from_records(rows)
    answers["respondent"] = answers["respondent"].astype(str)
    answers = await with_item_metadata(registry, answers)
    frame = tidy_from_answers(answers)
    return frame.sort_values(["respondent", "item"], kind="mergesort").reset_index(drop=True)


async def with_item_metadata(registry: InstrumentRegistry, answers: pd.DataFrame) -> pd.DataFrame:
    """Decode the stored `value` column into `raw` and attach each item's kind, type and measures."""
    answers = answers.assign(raw=decode_values(answers["value"])).drop(columns=["value"])
    meta = await _item_metadata(registry, sorted(answers["version_id"].unique().tolist()))
    return answers.merge(meta, on=["version_id", "item"], how="inner")


def tidy_from_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Turn answers with item metadata (see `with_item_metadata`) into tidy rows."""
    answered = answers["missing"].isna()
    text_value = answers["raw"].map(lambda v: v if isinstance(v, str) else None)

    # Respondent columns from background answers (a missing code leaves them empty).
    respondents = answers[["respondent"]].drop_duplicates().set_index("respondent")
    for kind in BACKGROUND_KINDS:
        picked = answers.loc[(answers["kind"] == kind) & answered, ["respondent"]].assign(v=text_value)
        respondents[kind] = picked.drop_duplicates("respondent").set_index("respondent")["v"]

    # Experience per respondent × measure; "never met coercion" means none for all.
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
    # A pair involves two measures, so no single experience describes the row.
    frame.loc[frame["kind"] == "paired", "experience"] = None
    frame = frame.join(respondents, on="respondent")
    frame = frame[TIDY_COLUMNS]
    return frame.astype({c: "string" for c in TIDY_COLUMNS if c != "value"}).astype({"value": "float64"})
