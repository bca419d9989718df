"""The export's own fast paths give exactly what the general ones give: stored answers
read past the query builder, and respondent digests computed on Arrow tables."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from piccolo.engine.base import Engine

from analysis.snapshot import respondent_digests
from analysis.tidy import COLUMNS
from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer, Response
from server.workspace.export.digest import batch_digests
from server.workspace.export.source import fetch_answers


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


async def test_fetch_answers_returns_what_the_query_builder_returns(registry: InstrumentRegistry) -> None:
    await seed(registry, 8, seed=11, demographics=True, text=True)
    ids = [str(r["id"]) for r in await Response.select(Response.id)][:5]
    expected = await Answer.select(
        Answer.response.as_alias("respondent"), Answer.item, Answer.value, Answer.missing
    ).where(Answer.response.is_in(ids))
    got = await fetch_answers(ids)

    def as_set(rows: list[tuple[object, ...]]) -> set[tuple[object, ...]]:
        return {tuple(None if pd.isna(v) else v for v in row) for row in rows}

    assert len(got) == len(expected) > 0
    assert as_set([(str(r["respondent"]), r["item"], r["value"], r["missing"]) for r in expected]) == as_set(
        list(got.itertuples(index=False, name=None))
    )
    assert len(await fetch_answers([])) == 0


def _awkward_tidy(rows: int = 4000) -> pd.DataFrame:
    """Values whose text forms are easy to get wrong: -0.0, tiny and huge floats, NaN,
    infinity, empty strings, non-ASCII text, missing cells, and repeated items."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {c: pd.Series(rng.choice(["a", "b", "", None, "ø", "x y"], rows), dtype="string") for c in COLUMNS if c != "value"}
    )
    frame["respondent"] = pd.Series(rng.choice([f"R{i:07d}" for i in range(250)], rows), dtype="string")
    frame["item"] = pd.Series(rng.choice(["i1", "i2", "i10", "rank.a", "Z", "æ"], rows), dtype="string")
    frame["value"] = rng.choice([0.0, -0.0, 0.1, 1e20, 1e-7, np.nan, np.inf, 50.0, 3.0, 1 / 3], rows)
    return frame


def test_batch_digests_equal_the_analysis_digests() -> None:
    frame = _awkward_tidy()
    expected = sorted(respondent_digests(frame).tolist())
    assert sorted(batch_digests(pa.Table.from_pandas(frame, preserve_index=False))) == expected
    # Chunked columns; ties of (respondent, item) keep their order, as in a stable sort.
    shuffled = frame.sample(frac=1.0, random_state=3)
    chunked = pa.concat_tables(
        [pa.Table.from_pandas(part, preserve_index=False) for part in (shuffled.iloc[:1000], shuffled.iloc[1000:])]
    )
    assert sorted(batch_digests(chunked)) == sorted(respondent_digests(shuffled).tolist())
    assert batch_digests(pa.Table.from_pandas(frame.iloc[:0], preserve_index=False)) == []
