"""Quality flags in the wide files: the respondents the published rules describe, and no one else.

Constructed respondents: one far too fast, one who gives every measure the same rating,
one who answers almost nothing, and ordinary ones. Each is recognisable in the export by
their certainty answer (0-10), which k-anonymity does not touch.
"""

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from piccolo.engine.base import Engine

from server.instrument_registry import InstrumentRegistry
from server.workspace.export import quality
from server.workspace.export.bundle import ExportSettings, build_export
from surveys import quality_flags
from surveys.codebook import build_codebook
from surveys.model import Item
from tests.workspace.test_export_wide import Answer_, add_respondent, walk, wide_frame


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _ordinary(certainty: int, rating: Any = None) -> Any:
    def choose(item: Item, rng: random.Random) -> Answer_:
        if item.type == "text" or item.kind in ("age_band", "gender"):
            return None
        if item.kind == "certainty":
            return certainty, None
        if item.kind == "coercion_any":
            return "no", None
        if item.type == "vas":
            return (rating if rating is not None else rng.randint(0, 100)), None
        if item.type == "numeric":
            return item.minimum, None
        if item.type in ("multiple", "ranking"):
            return item.option_codes(), None
        return item.option_codes()[0], None

    return choose


def _silent(item: Item, rng: random.Random) -> Answer_:
    """Answers certainty (to be found) and coercion; don't know where allowed, else nothing."""
    if item.kind == "certainty":
        return 3, None
    if item.kind == "coercion_any":
        return "no", None
    if "dont_know" in item.missing_options and item.kind == "rating" and rng.random() < 0.5:
        return None, "dont_know"
    return None


async def test_flags_mark_the_fast_the_straight_lining_and_the_silent(registry: InstrumentRegistry, tmp_path: Path) -> None:
    instrument = registry.current["patient_adult"][2]
    rng = random.Random(8)
    cases = [
        # (certainty, chooser, seconds from start to submission)
        (1, _ordinary(1), 20.0),  # fast: ~40 answers in 20 s
        (2, _ordinary(2, rating=70), 900.0),  # straight-lining: every rating 70
        (3, _silent, 900.0),  # item non-response
        *((8, _ordinary(8), 900.0) for _ in range(4)),
    ]
    counts = {}
    for certainty, choose, seconds in cases:
        answers = walk(instrument, "general_adult", 0, choose, rng)
        counts[certainty] = len(answers)
        await add_respondent(registry, "patient_adult", "ward", "general_adult", answers, seconds=seconds)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), out)
    assert manifest.respondents == len(cases)
    frame = wide_frame(out, manifest, "patient_adult")
    book = build_codebook(instrument, registry.current["patient_adult"][1])
    certainty = next(v.name for v in book.variables if v.kind == "certainty")
    flags = frame.set_index(certainty)[list(quality.FLAG_COLUMNS)]

    assert flags.loc[1].tolist() == [1, 0, 0]
    assert flags.loc[2].tolist() == [0, 1, 0]
    assert flags.loc[3].tolist() == [0, 0, 1]
    assert (flags.loc[8] == 0).all().all()
    # The rules the codebook publishes say the same of these respondents.
    assert quality_flags.is_fast(20.0, counts[1]) and not quality_flags.is_fast(900.0, counts[8])
    assert {v.name for v in book.flag_variables} == set(quality.FLAG_COLUMNS)
    assert all(v.definition for v in book.flag_variables)


def test_batch_flags_apply_the_published_rules() -> None:
    rng = np.random.default_rng(5)
    answers = rng.integers(0, 60, 400)
    seconds = answers * rng.choice([0.5, 1.99, 2.0, 2.01, 30.0], 400)
    expected = [quality_flags.is_fast(float(s), int(a)) for s, a in zip(seconds, answers, strict=True)]
    assert quality.fast(seconds, answers).tolist() == [int(e) for e in expected]
    assert sum(expected) > 50 and len(expected) - sum(expected) > 50

    shown = rng.integers(0, 40, 400)
    without = np.minimum(shown, rng.integers(0, 40, 400))
    expected = [quality_flags.is_nonresponse(int(s), int(w)) for s, w in zip(shown, without, strict=True)]
    assert quality.nonresponse(shown, without).tolist() == [int(e) for e in expected]
    # Exactly half is not "more than half".
    assert quality.nonresponse(np.array([10]), np.array([5])).tolist() == [0]

    import pandas as pd

    rows = pd.DataFrame(
        {"respondent": ["a"] * 5 + ["b"] * 4 + ["c"] * 6, "value": [50.0] * 5 + [50.0] * 4 + [50.0] * 5 + [51.0]}
    )
    assert quality.straightline(rows, ["a", "b", "c", "d"]).tolist() == [1, 0, 0, 0]
    for name, values in rows.groupby("respondent")["value"]:
        assert quality_flags.is_straightline(values.tolist()) == (name == "a")
