"""Export benchmark: 1,000,000 answers to each format, wall time and peak memory.

Run with `python -m bench` (all benchmarks) or `python -m bench.export_bench [answers]`. The
data are synthetic respondents written straight into a fresh SQLite file (the export reads
the same tables whatever wrote them). Peak memory is the process's maximum resident set
size after each export, in a fresh child process per format, so one format's peak does not
hide another's. Each export writes the long file and the wide file of that format (format
leastmeans.export/3: every respondent's wide row built through routing, ids numbered by
content, long rows sorted through bucket files on disk). Goal: CSV and Parquet under 30 s
on 2 cores, memory flat in the number of answers (the wide values, ~1 KB a respondent, are
held in memory; see server/workspace/export/bundle.py).
"""

import asyncio
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from server.demo import TRUE_MEANS

ANSWERS = 1_000_000
STUDY, SITES = "bench", ("ward-a", "ward-b", "ward-c", "ward-d")
GENDERS, AGE_BANDS = ("female", "male"), ("18-29", "30-49", "50-64", "65+")


def synthetic_answers(instrument, respondent: str, rng: random.Random, demographics: bool, text: bool) -> list[tuple[str, object, str | None]]:
    """(item, value, missing) answers of one plausible general-adult patient."""
    out: list[tuple[str, object, str | None]] = []
    offset = rng.gauss(0, 10)
    never = rng.random() < 0.3
    if demographics:
        out.append(("background.gender", rng.choice(GENDERS), None))
        out.append(("background.age_band", rng.choice(AGE_BANDS), None))
    out.append(("coercion_any", "no" if never else "yes", None))
    for item in instrument.items_for("general_adult"):
        if item.kind == "rating":
            if rng.random() < 0.05:
                out.append((item.code, None, "dont_know"))
            else:
                out.append((item.code, int(min(max(round(TRUE_MEANS.get(item.measure, 50) + offset + rng.gauss(0, 14)), 0), 100)), None))
        elif item.kind == "allowed":
            out.append((item.code, rng.choice(["yes", "no", "dont_know"]), None))
        elif item.kind == "experience" and not never:
            out.append((item.code, rng.choice(["none", "witnessed", "experienced"]), None))
        elif item.kind == "paired" and rng.random() < 0.05:
            out.append((item.code, rng.choice([item.measure, item.measure_b]), None))
        elif item.type == "ranking" and rng.random() < 0.5:
            order = [option.code for option in item.options]
            rng.shuffle(order)
            out.append((item.code, order, None))
        elif item.type == "text" and text:
            out.append((item.code, "a free-text comment", None))
    return out


async def seed(registry, respondents: int, seed: int = 1, demographics: bool = True, sites: tuple[str, ...] = SITES, text: bool = False) -> int:
    """Create the bench study and `respondents` submitted patient responses; return answers written."""
    from server.storage.tables import Answer, Response, Site
    from server.studies import ensure_study

    study_id = await ensure_study(STUDY, "Benchmark", [(s, s, "general_adult") for s in sites])
    site_ids = {r["code"]: r["id"] for r in await Site.select(Site.id, Site.code).where(Site.study == study_id)}
    version_id, _, instrument = registry.current["patient_adult"]
    rng = random.Random(seed)
    when = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.timezone.utc)
    written = 0
    for start in range(0, respondents, 200):
        responses, answers = [], []
        for _ in range(min(200, respondents - start)):
            rid = uuid.UUID(int=rng.getrandbits(128), version=4)
            responses.append(Response(id=rid, study=study_id, site=site_ids[rng.choice(sites)], instrument_version=version_id,
                                      respondent_group="patient", setting="general_adult", language="da",
                                      started_at=when, submitted_at=when + dt.timedelta(minutes=12)))
            for item, value, missing in synthetic_answers(instrument, str(rid), rng, demographics, text):
                answers.append(Answer(response=rid, item=item, value=None if value is None else json.dumps(value), missing=missing))
        await Response.insert(*responses).run()
        for chunk in range(0, len(answers), 1000):
            await Answer.insert(*answers[chunk : chunk + 1000]).run()
        written += len(answers)
    return written


def _seed_sqlite_fast(path: Path, answers_wanted: int) -> tuple[int, int]:
    """Fill a migrated SQLite file with ~answers_wanted answers via executemany (seconds, not minutes)."""
    from server.instrument_registry import InstrumentRegistry
    from server.storage.database import engine_for_url, migrate, use_database
    from server.studies import ensure_study

    async def prepare():
        use_database(engine_for_url(f"sqlite:///{path}"))
        await migrate()
        registry = InstrumentRegistry()
        await registry.register_current()
        study_id = await ensure_study(STUDY, "Benchmark", [(s, s, "general_adult") for s in SITES])
        return registry, study_id

    registry, study_id = asyncio.run(prepare())
    version_id, _, instrument = registry.current["patient_adult"]
    db = sqlite3.connect(path)
    site_ids = {code: i for i, code in db.execute("SELECT id, code FROM site WHERE study = ?", (study_id,)).fetchall()}
    rng = random.Random(1)
    when = "2026-03-04 10:00:00+00:00"
    total = respondents = 0
    while total < answers_wanted:
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        db.execute(
            "INSERT INTO response (id, study, site, instrument_version, respondent_group, setting, language, started_at, submitted_at, design_slot) "
            "VALUES (?, ?, ?, ?, 'patient', 'general_adult', 'da', ?, ?, 0)",
            (rid, study_id, site_ids[rng.choice(SITES)], version_id, when, when),
        )
        rows = [(rid, item, None if value is None else json.dumps(value), missing, when)
                for item, value, missing in synthetic_answers(instrument, rid, rng, True, False)]
        db.executemany("INSERT INTO answer (response, item, value, missing, answered_at) VALUES (?, ?, ?, ?, ?)", rows)
        total += len(rows)
        respondents += 1
    db.commit()
    db.close()
    return respondents, total


def _export_once(db_path: str, fmt: str) -> None:
    """Child process: export one format, print seconds and peak RSS (MiB) as JSON."""
    from server.instrument_registry import InstrumentRegistry
    from server.storage.database import engine_for_url, use_database
    from server.workspace.export.bundle import ExportSettings, build_export

    async def run() -> float:
        use_database(engine_for_url(f"sqlite:///{db_path}"))
        registry = InstrumentRegistry()
        await registry.register_current()
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            await build_export(registry, ExportSettings(formats=(fmt,)), Path(tmp) / "export.zip")
            return time.perf_counter() - start

    seconds = asyncio.run(run())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak}))


def main(answers: int = ANSWERS) -> None:
    """Seed once, then export each format in its own process; print a table."""
    with tempfile.TemporaryDirectory(prefix="leastmeans-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        started = time.perf_counter()
        respondents, total = _seed_sqlite_fast(db, answers)
        print(f"export bench: {total:,} answers from {respondents:,} respondents (seeded in {time.perf_counter() - started:.0f} s)")
        print(f"{'format':<8} {'seconds':>8} {'peak MiB':>9}")
        for fmt in ("csv", "parquet", "dta", "sav"):
            result = subprocess.run(
                [sys.executable, "-c", f"from bench.export_bench import _export_once; _export_once({str(db)!r}, {fmt!r})"],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
            if result.returncode != 0:
                print(f"{fmt:<8} failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else '?'}")
                continue
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{fmt:<8} {figures['seconds']:>8.1f} {figures['peak_mib']:>9.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ANSWERS)
