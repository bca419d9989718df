"""What the wide file shows beside the background answers cannot single anyone out.

Two ways a wide file could give back what k-anonymity hid: a skip rule on the age band (the
youth questionnaire does not ask 12-14-year-olds about sedation because of danger, so "not
asked" there tells the age band) and the missing kinds (a "prefer not to answer" age band is
-2, a skipped one -9). An attacker reads both; k must hold on what they read.
"""

import random
from collections import Counter
from pathlib import Path
from typing import Any

from server.instrument_registry import InstrumentRegistry
from server.workspace.export.bundle import ExportSettings, build_export
from surveys.model import Item
from tests.workspace.test_export_wide import add_respondent, plausible, registry, walk, wide_frame  # noqa: F401

K = 5
#: The wide columns of the declared background quasi-identifiers (kanon.BACKGROUND).
DECLARED = ("bg_age_band", "bg_gender", "bg_profession", "bg_years_experience", "bg_relation")


def _background(age: Any, gender: Any = ("female", None)):
    def choose(item: Item, rng: random.Random) -> tuple[Any, str | None] | None:
        if item.kind == "age_band":
            return age
        if item.kind == "gender":
            return gender
        if item.kind in ("profession", "years_experience", "relation"):
            # One shared answer, so only the age band can set anyone apart.
            return item.option_codes()[0], None
        return plausible(item, rng)

    return choose


def _what_an_attacker_reads(frame) -> Counter:
    """Per respondent: site, group, period, every background column as shown, and whether
    each rating was "not asked" (-8): what someone who knows a respondent can match on."""
    background = [c for c in frame.columns if c in DECLARED]
    ratings = [c for c in frame.columns if c.startswith("rating_")]
    keys = frame[["site", "group", "period", *background]].astype(str).agg("|".join, axis=1)
    routed = (frame[ratings] == -8).astype(int).astype(str).agg("".join, axis=1)
    return Counter(keys + "#" + routed)


async def test_youth_routing_on_age_does_not_give_the_age_band_back(registry: InstrumentRegistry, tmp_path: Path) -> None:
    rng = random.Random(5)
    instrument = registry.current["patient_youth"][2]
    # Six 15-17-year-olds and two 12-14-year-olds on one ward: widening the two to 12-17
    # would make eight alike, were it not for the sedation questions they were not asked.
    for age, count in (("15-17", 6), ("12-14", 2)):
        for _ in range(count):
            answers = walk(instrument, "child_adolescent", 0, _background((age, None)), rng)
            await add_respondent(registry, "patient_youth", "youth-ward", "child_adolescent", answers)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), out)
    frame = wide_frame(out, manifest, "patient_youth")
    sizes = _what_an_attacker_reads(frame)
    assert min(sizes.values()) >= K, sizes
    # The two younger ones cannot be hidden among the others, so they are left out.
    assert manifest.respondents == 6


async def test_prefer_not_to_answer_and_skipped_are_told_apart_so_k_counts_them_apart(
    registry: InstrumentRegistry, tmp_path: Path
) -> None:
    rng = random.Random(6)
    instrument = registry.current["staff"][2]
    # Five who gave 30-49, two who preferred not to say and three who skipped the question:
    # the wide file shows -2 and -9 apart, so "not given" is not one group of five.
    for age, count in ((("30-49", None), 5), ((None, "prefer_not_to_answer"), 2), (None, 3)):
        for _ in range(count):
            answers = walk(instrument, "general_adult", 0, _background(age), rng)
            if age is None:
                answers.pop("background.age_band", None)
            await add_respondent(registry, "staff", "staff-ward", "general_adult", answers)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), out)
    frame = wide_frame(out, manifest, "staff")
    sizes = _what_an_attacker_reads(frame)
    assert min(sizes.values()) >= K, sizes
    assert manifest.respondents == 10
