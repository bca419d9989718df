"""The wide files: every codebook variable, values that agree with the long file, the
missing kinds where routing, design and k-anonymity put them, and the same bytes for the
same data however the database holds it.

Respondents are built here by walking each questionnaire's routing
(`surveys.routing`), so they answer exactly what a device would have asked them.
"""

import asyncio
import datetime as dt
import io
import json
import random
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
import pytest
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, Response, Site
from server.studies import ensure_study
from server.workspace.export.bundle import ExportSettings, Manifest, build_export
from surveys import codes
from surveys.codebook import build_codebook, item_variables, wide_variables
from surveys.design import assigned_pairs
from surveys.model import Instrument, Item
from surveys.routing import Context, route_plan, visible_codes

#: One stored answer: (value, missing code); None: the item is left unanswered.
Answer_ = tuple[Any, str | None] | None
Chooser = Callable[[Item, random.Random], Answer_]
START = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def plausible(item: Item, rng: random.Random) -> Answer_:
    """A valid answer of the item's type; now and then a missing code or no answer."""
    if item.type == "text":
        return None
    roll = rng.random()
    if roll < 0.06:
        return None
    if roll < 0.14 and item.missing_options:
        return None, rng.choice(item.missing_options)
    options = item.option_codes()
    if item.type == "vas":
        return rng.randint(0, 100), None
    if item.type == "numeric":
        return rng.randint(item.minimum, item.maximum), None
    if item.type == "multiple":
        return rng.sample(options, rng.randint(1, len(options))), None
    if item.type == "ranking":
        return rng.sample(options, len(options)), None
    return rng.choice(options), None


def alike_background(item: Item, rng: random.Random) -> Answer_:
    """`plausible`, but everyone shares one background, so k-anonymity keeps them all."""
    if item.kind in ("age_band", "gender", "profession", "years_experience", "relation"):
        return item.option_codes()[-1 if item.kind == "age_band" else 0], None
    return plausible(item, rng)


def walk(instrument: Instrument, setting: str, slot: int, choose: Chooser, rng: random.Random) -> dict[str, tuple[Any, str | None]]:
    """The answers a respondent gives going through the questionnaire as routing shows it."""
    plan = route_plan(instrument, Context(setting=setting, slot=slot))
    answers: dict[str, tuple[Any, str | None]] = {}
    for step in plan:
        if step.code not in visible_codes(plan, answers):
            continue
        answer = choose(instrument.item(step.code), rng)
        if answer is not None:
            answers[step.code] = answer
    return answers


async def add_respondent(
    registry: InstrumentRegistry,
    code: str,
    site: str,
    setting: str,
    answers: dict[str, tuple[Any, str | None]],
    slot: int = 0,
    seconds: float = 900.0,
    respondent_id: uuid.UUID | None = None,
    started: dt.datetime = START,
) -> str:
    """Store one submitted response of questionnaire `code` at `site` of study "wide"."""
    version_id, _, instrument = registry.current[code]
    study_id = await ensure_study("wide", "Wide", [(site, site, setting)])
    site_row = await Site.select(Site.id).where((Site.study == study_id) & (Site.code == site)).first()
    assert site_row is not None
    rid = respondent_id or uuid.uuid4()
    await Response.insert(
        Response(
            id=rid, study=study_id, site=site_row["id"], instrument_version=version_id, respondent_group=instrument.group,
            setting=setting, language="da", design_slot=slot, started_at=started, submitted_at=started + dt.timedelta(seconds=seconds),
        )
    ).run()
    rows = [Answer(response=rid, item=item, value=None if value is None else json.dumps(value), missing=missing) for item, (value, missing) in answers.items()]
    if rows:
        await Answer.insert(*rows).run()
    return str(rid)


def read_zip(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def wide_frame(path: Path, manifest: Manifest, instrument: str) -> pd.DataFrame:
    entry = next(w for w in manifest.wide if w.instrument == instrument)
    return pd.read_parquet(io.BytesIO(read_zip(path, f"{entry.name}.parquet")))


async def test_every_codebook_variable_is_a_column_and_agrees_with_the_long_file(registry: InstrumentRegistry, tmp_path: Path) -> None:
    rng = random.Random(31)
    plan = [("patient_adult", "general_adult"), ("staff", "general_adult"), ("relative", "general_adult"), ("patient_youth", "child_adolescent")]
    for code, setting in plan:
        for slot in range(7):
            answers = walk(registry.current[code][2], setting, slot, alike_background, rng)
            await add_respondent(registry, code, f"{setting[:5]}-ward", setting, answers, slot=slot)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("csv", "parquet")), out)
    assert manifest.format == "leastmeans.export/3"
    assert {w.instrument for w in manifest.wide} == {code for code, _ in plan}
    listed = {f.name for f in manifest.files}
    long = pd.read_parquet(io.BytesIO(read_zip(out, "data.parquet")))
    checked = 0
    for code, _ in plan:
        _, version, instrument = registry.current[code]
        book = build_codebook(instrument, version)
        entry = next(w for w in manifest.wide if w.version == version)
        assert {f"{entry.name}.csv", f"{entry.name}.parquet"} <= listed
        frame = wide_frame(out, manifest, code)
        csv = pd.read_csv(io.BytesIO(read_zip(out, f"{entry.name}.csv")))
        # Every variable but free text, in codebook order, framed by the respondent columns and flags.
        assert list(frame.columns) == [v.name for v in wide_variables(book)] == list(csv.columns)
        items = [v for v in book.variables if v.type != "text"]
        assert {v.name for v in items} <= set(frame.columns) and len(items) == entry.variables
        assert not {v.name for v in book.variables if v.type == "text"} & set(frame.columns)
        assert frame[[v.name for v in items]].notna().all().all()
        assert (csv[[v.name for v in items]].to_numpy() == frame[[v.name for v in items]].to_numpy()).all()
        assert frame["respondent"].is_monotonic_increasing and frame["respondent"].str.fullmatch(r"R\d{7}").all()
        assert set(frame["group"]) == {codes.group_codes()[instrument.group].numeric}

        # Ratings, choices, pairs and ranks of the long file are the wide file's cells.
        names = {item: [v.name for v in variables] for item, variables in item_variables(book).items()}
        options = {v.name: v.option for v in book.variables}
        wide = frame.set_index("respondent")
        rows = long[long["instrument_version"] == version]
        assert set(rows["respondent"]) <= set(wide.index)
        for row in rows.itertuples():
            if row.kind == "rank":
                item, measure = row.item.rsplit(".", 1)
                name = next(n for n in names[item] if options[n] == measure)
            else:
                name = names[row.item][0]
            cell = wide.at[row.respondent, name]
            if isinstance(row.missing, str):
                assert cell == codes.MISSING_KINDS[row.missing].numeric, (row.item, row.missing)
            elif row.kind in ("rating", "rank"):
                assert cell == row.value, (row.item, row.value)
            elif row.kind == "paired":
                assert cell == codes.measure_number(row.choice)
            else:
                assert cell == codes.option_code("allowed", row.choice)
            checked += 1
    assert checked > 500


async def test_missing_kinds_follow_routing_design_and_answers(registry: InstrumentRegistry, tmp_path: Path) -> None:
    instrument = registry.current["patient_adult"][2]
    rating = next(i for i in instrument.items_for("general_adult") if i.kind == "rating" and i.measure == "belt_long")
    slot = 3
    assigned = {item.code for item, _ in assigned_pairs(instrument, "general_adult", slot)}
    answered_pair, skipped_pair = sorted(assigned)[:2]

    def never_coerced(item: Item, rng: random.Random) -> Answer_:
        # Everyone answers everything alike but for the cases under test, so k-anonymity
        # (k=5 over 6 respondents) has nothing to take; background is left unanswered.
        if item.kind == "coercion_any":
            return "no", None
        if item.code == answered_pair:
            return item.measure_b, None
        if item.code == skipped_pair or item.type == "text" or item.kind in ("age_band", "gender"):
            return None
        if item.type == "vas":
            return 50, None
        if item.type == "numeric":
            return item.minimum, None
        if item.type in ("multiple", "ranking"):
            return item.option_codes(), None
        return item.option_codes()[0], None

    difficulty = next(i.code for i in instrument.items if i.kind == "difficulty")
    for n in range(6):
        answers = walk(instrument, "general_adult", slot, never_coerced, random.Random(n))
        answers[rating.code] = [(None, "dont_know"), (None, "prefer_not_to_answer")][n] if n < 2 else (n * 10, None)
        if n == 0:
            answers.pop(difficulty)
        await add_respondent(registry, "patient_adult", "ward", "general_adult", answers, slot=slot)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), out)
    assert manifest.respondents == 6
    frame = wide_frame(out, manifest, "patient_adult")
    book = build_codebook(instrument, registry.current["patient_adult"][1])
    names = {item: [v.name for v in variables] for item, variables in item_variables(book).items()}

    # "Never met coercion": the experience follow-ups were not asked.
    experience = [name for item, group in names.items() for name in group if item.startswith("experience.")]
    assert experience and (frame[experience] == codes.MISSING_KINDS["not_asked"].numeric).all().all()
    # Don't know, prefer not to answer, numbers; shown and skipped.
    assert sorted(frame[names[rating.code][0]]) == [-2, -1, 20, 30, 40, 50]
    assert sorted(frame[names[difficulty][0]]) == [codes.MISSING_KINDS["not_answered"].numeric] + [1] * 5
    assert manifest.anonymisation.generalised.get("experience", 0) == 0
    # Pairs the design did not assign were not asked; an assigned pair left open was not answered.
    pairs = [i.code for i in instrument.items_for("general_adult") if i.type == "paired"]
    for code in pairs:
        column = frame[names[code][0]]
        if code == answered_pair:
            assert (column == codes.measure_number(instrument.item(code).measure_b)).all()
        elif code == skipped_pair:
            assert (column == codes.MISSING_KINDS["not_answered"].numeric).all()
        elif code in assigned:
            assert (column == codes.measure_number(instrument.item(code).measure)).all()
        else:
            assert (column == codes.MISSING_KINDS["not_asked"].numeric).all(), code
    # Measures of another setting were never in this questionnaire's route.
    forensic = [i.code for i in instrument.items if i.kind == "rating" and "general_adult" not in i.settings]
    assert len(assigned) == instrument.pairs_per_respondent and len(pairs) > len(assigned)
    assert forensic and all((frame[names[c][0]] == codes.MISSING_KINDS["not_asked"].numeric).all() for c in forensic)


async def test_generalised_experience_suppresses_every_experience_variable_and_coercion_any(
    registry: InstrumentRegistry, tmp_path: Path
) -> None:
    await seed(registry, 12, seed=5, demographics=False, sites=("w",))
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), out)
    assert manifest.anonymisation.generalised["experience"] > 0
    frame = wide_frame(out, manifest, "patient_adult")
    long = pd.read_parquet(io.BytesIO(read_zip(out, "data.parquet")))
    instrument = registry.current["patient_adult"][2]
    book = build_codebook(instrument, registry.current["patient_adult"][1])
    experience = [v.name for v in book.variables if v.kind == "experience"]
    coercion = next(v.name for v in book.variables if v.kind == "coercion_any")
    suppressed = codes.MISSING_KINDS["suppressed"].numeric
    hidden = frame[frame[coercion] == suppressed]
    assert len(hidden) == manifest.anonymisation.generalised["experience"]
    assert (hidden[experience] == suppressed).all().all()
    shown = frame[frame[coercion] != suppressed]
    assert not (shown[experience] == suppressed).any().any()
    # The long file agrees: no experience on any row of those respondents.
    assert long.loc[long["respondent"].isin(hidden["respondent"]), "experience"].isna().all()


async def _copy_reordered(source: list[dict[str, Any]], answers: list[dict[str, Any]]) -> None:
    """Store the same responses with new ids, other times in the same quarter, in reverse order."""
    ids = {row["id"]: uuid.uuid5(uuid.NAMESPACE_URL, str(row["id"])) for row in source}
    registry = InstrumentRegistry()
    await registry.register_current()
    await ensure_study("bench", "Benchmark", [(s, s, "general_adult") for s in sorted({r["site"] for r in source})])
    sites = {r["code"]: r["id"] for r in await Site.select(Site.id, Site.code)}
    version_id = registry.current["patient_adult"][0]
    for n, row in enumerate(reversed(source)):
        shift = dt.timedelta(days=n % 20, hours=n % 5)
        await Response.insert(
            Response(
                id=ids[row["id"]], study=(await Site.select(Site.study).first())["study"], site=sites[row["site"]],
                instrument_version=version_id, respondent_group="patient", setting="general_adult", language="da",
                started_at=row["started_at"] + shift, submitted_at=row["submitted_at"] + shift,
            )
        ).run()
    for row in reversed(answers):
        await Answer.insert(Answer(response=ids[row["response"]], item=row["item"], value=row["value"], missing=row["missing"])).run()


async def test_two_exports_are_byte_identical_whatever_the_database_order(
    registry: InstrumentRegistry, tmp_path: Path, engine: Engine
) -> None:
    await seed(registry, 30, seed=41, demographics=True, sites=("w1", "w2"))
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    settings = ExportSettings(formats=("csv", "parquet"))
    manifest = await build_export(registry, settings, first)
    await build_export(registry, settings, second)
    source = await Response.select(Response.id, Response.site.code.as_alias("site"), Response.started_at, Response.submitted_at)
    answers = await Answer.select(Answer.response, Answer.item, Answer.value, Answer.missing)

    fresh = engine_for_url(f"sqlite:///{tmp_path / 'reordered.sqlite3'}")
    use_database(fresh)
    try:
        await migrate()
        await _copy_reordered(source, answers)
        third = tmp_path / "third.zip"
        registry_again = InstrumentRegistry()
        await registry_again.register_current()
        await build_export(registry_again, settings, third)
    finally:
        use_database(engine)

    with zipfile.ZipFile(first) as a:
        names = a.namelist()
    assert any(n.startswith("wide/") and n.endswith(".parquet") for n in names)
    for other in (second, third):
        with zipfile.ZipFile(other) as b:
            assert b.namelist() == names
        for name in names:
            if name == "manifest.json":
                continue
            assert read_zip(first, name) == read_zip(other, name), f"{name} differs from {other.name}"
        left, right = (msgspec.json.decode(read_zip(p, "manifest.json")) for p in (first, other))
        left.pop("created_on"), right.pop("created_on")
        assert left == right
    assert manifest.respondents == 30 - manifest.anonymisation.suppressed_respondents
    assert not any("shuffled" in step or "random" in step.split(";")[0] for step in manifest.anonymisation_steps)


async def test_statistics_files_are_byte_identical_too(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 10, seed=42, demographics=False, sites=("w",))
    settings = ExportSettings(formats=("sav", "dta"))
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    await build_export(registry, settings, first)
    # The SPSS header would carry the time to the second (Stata's only to the minute, which
    # this test does not wait for).
    await asyncio.sleep(1.1)
    await build_export(registry, settings, second)
    with zipfile.ZipFile(first) as archive:
        names = [n for n in archive.namelist() if n.endswith((".sav", ".dta"))]
    assert len(names) == 4
    for name in names:
        assert read_zip(first, name) == read_zip(second, name), name
