"""Read submitted answers from the database into the tidy frame `analysis/` expects."""

import json

import pandas as pd

from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer

TIDY_COLUMNS = [
    "respondent", "group", "setting", "site", "instrument_version", "gender", "age_band",
    "item", "kind", "measure", "measure_b", "value", "choice", "missing", "experience",
]


async def tidy_snapshot(registry: InstrumentRegistry) -> pd.DataFrame:
    """One row per submitted respondent × answered item, with item metadata attached."""
    rows = await Answer.select(
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
    records = []
    for row in rows:
        instrument = await registry.version(row["version_id"])
        item = instrument.item(row["item"])
        value = json.loads(row["value"]) if isinstance(row["value"], str) else row["value"]
        records.append(
            {
                "respondent": str(row["respondent"]),
                "group": row["group"],
                "setting": row["setting"],
                "site": row["site"],
                "instrument_version": row["instrument_version"],
                "gender": None,
                "age_band": None,
                "item": row["item"],
                "kind": item.kind,
                "measure": item.measure,
                "measure_b": None,
                "value": float(value) if isinstance(value, int | float) else float("nan"),
                "choice": value if isinstance(value, str) else None,
                "missing": row["missing"],
                "experience": None,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=TIDY_COLUMNS)
    return frame.astype({c: "string" for c in TIDY_COLUMNS if c != "value"}).astype({"value": "float64"})
