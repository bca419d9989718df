"""The export opened in R with haven, as an analyst would: value labels are the codebook's
and every missing kind is a user-missing value (SPSS) or a tagged NA (Stata).

Needs `Rscript` with the haven package (Debian: r-base-core r-cran-haven, installed by
.ci/run). Without it the test skips locally and fails under CI=true.
"""

import json
import os
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.export.formats import long_codings
from surveys.codes import MISSING_KINDS

#: Prints one tab-separated line per label and per missing value of the given columns.
R_SCRIPT = r"""
suppressMessages(library(haven))
args <- commandArgs(TRUE)
out <- function(...) cat(paste(..., sep = "\t"), "\n", sep = "")
columns <- strsplit(args[3], ",")[[1]]
s <- read_sav(args[1], user_na = TRUE)
d <- read_dta(args[2])
for (col in columns) {
  l <- attr(s[[col]], "labels")
  for (i in seq_along(l)) out("sav_label", col, format(unname(l[i])), names(l)[i])
  r <- attr(s[[col]], "na_range")
  out("sav_na_range", col, format(r[1]), format(r[2]))
  raw <- unclass(s[[col]])
  missing <- raw[is.na(s[[col]]) & !is.na(raw)]
  for (v in missing) out("sav_missing", col, format(v))
  l <- attr(d[[col]], "labels")
  tags <- na_tag(l)
  for (i in seq_along(l)) out("dta_label", col, ifelse(is.na(tags[i]), format(unname(l[i])), paste0(".", tags[i])), names(l)[i])
  t <- na_tag(d[[col]])
  for (v in t[!is.na(t)]) out("dta_missing", col, paste0(".", v))
}
"""

LETTER = {k.numeric: f".{k.stata}" for k in MISSING_KINDS.values()}


def _haven() -> str | None:
    """Why R with haven cannot run here (None: it can)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found (Debian: apt-get install r-base-core r-cran-haven)"
    probe = subprocess.run([rscript, "-e", "library(haven)"], capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return f"R package haven not available: {probe.stderr.strip()[:200]}"
    return None


@pytest.fixture
def rscript() -> str:
    reason = _haven()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the R check: {reason}")
        pytest.skip(reason)
    return shutil.which("Rscript") or "Rscript"


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _run_r(rscript: str, sav: Path, dta: Path, columns: list[str], tmp_path: Path) -> list[list[str]]:
    script = tmp_path / "check.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    done = subprocess.run([rscript, str(script), str(sav), str(dta), ",".join(columns)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def _labels(lines: list[list[str]], tag: str, column: str) -> dict[str, str]:
    return {value: label for kind, col, value, label in (line for line in lines if len(line) == 4) if kind == tag and col == column}


async def test_r_reads_labels_and_missing_values_of_the_export(registry: InstrumentRegistry, rscript: str, tmp_path: Path) -> None:
    await seed(registry, 40, seed=3, demographics=True)
    rows = await Answer.select(Answer.id).where(Answer.item == "rating.belt_long").limit(3)
    await Answer.update({Answer.value: None, Answer.missing: "prefer_not_to_answer"}).where(Answer.id.is_in([r["id"] for r in rows]))
    out = tmp_path / "export.zip"
    await build_export(registry, ExportSettings(formats=("parquet", "sav", "dta")), out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        for name in names:
            if name.endswith((".sav", ".dta", ".json")) or name == "data.parquet":
                target = tmp_path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    parquet = pd.read_parquet(tmp_path / "data.parquet")
    language = "da"

    # Long file: labels of the fixed codes, user-missing and tagged NA for each kind.
    columns = ["group", "setting", "kind", "measure", "gender", "age_band", "value", "allowed", "chosen"]
    lines = _run_r(rscript, tmp_path / "data.sav", tmp_path / "data.dta", columns, tmp_path)
    codings = long_codings(set(parquet["study"]), set(parquet["site"]))
    for column in columns:
        expected = {float(n): text[language] for n, text in codings[column][1].items()}
        sav = {float(v): label for v, label in _labels(lines, "sav_label", column).items()}
        assert sav == expected, column
        dta = _labels(lines, "dta_label", column)
        assert dta == {LETTER[int(n)] if n < 0 else f"{n:g}": label for n, label in expected.items()}, column
        assert [line[2:] for line in lines if line[:2] == ["sav_na_range", column]] == [["-9", "-1"]], column
    sav_missing = Counter((line[1], float(line[2])) for line in lines if line[0] == "sav_missing")
    dta_missing = Counter((line[1], line[2]) for line in lines if line[0] == "dta_missing")
    for kind in ("dont_know", "prefer_not_to_answer"):
        count = int((parquet["missing"] == kind).sum())
        assert count > 0 and sav_missing[("value", float(MISSING_KINDS[kind].numeric))] == count, kind
        assert dta_missing[("value", LETTER[MISSING_KINDS[kind].numeric])] == count, kind
    suppressed = int((parquet["gender"] == "suppressed").sum())
    assert sav_missing[("gender", -7.0)] == suppressed and dta_missing[("gender", ".s")] == suppressed

    # Wide file: the codebook's labels, and not asked / not answered as missing values.
    wide = sorted(n for n in names if n.startswith("wide/") and n.endswith(".sav"))
    assert wide, "no wide file in the export"
    stem = Path(wide[0]).stem
    book = json.loads((tmp_path / "codebook" / f"{stem}.json").read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in book["variables"]}
    columns = ["bg_age_band", "rating_belt_long", "allowed_seclusion", "experience_belt_long", "difficulty", "rating_locked_room"]
    lines = _run_r(rscript, tmp_path / "wide" / f"{stem}.sav", tmp_path / "wide" / f"{stem}.dta", columns, tmp_path)
    for column in columns:
        variable = variables[column]
        expected = {float(v["numeric"]): v["label"][language] for v in [*variable["value_labels"], *variable["missing_codes"]]}
        assert {float(v): label for v, label in _labels(lines, "sav_label", column).items()} == expected, column
        dta = _labels(lines, "dta_label", column)
        assert dta == {LETTER[int(n)] if n < 0 else f"{n:g}": label for n, label in expected.items()}, column
    kinds_sav = {float(line[2]) for line in lines if line[0] == "sav_missing"}
    kinds_dta = {line[2] for line in lines if line[0] == "dta_missing"}
    assert {-8.0, -9.0} <= kinds_sav and {".n", ".u"} <= kinds_dta
