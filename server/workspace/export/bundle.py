"""Build one anonymised export zip: data in four formats, codebook, instruments, manifest.

Anonymisation by default:
- respondent ids are replaced by random ids issued for this export only;
- timestamps appear only as the period of submission: the calendar quarter, or the ISO
  week when asked (`server.workspace.export.period`);
- respondents are processed in a random order and rows are shuffled within each batch,
  so row order reveals neither id, time nor database order;
- free text is left out unless `include_free_text` (admins only) asks for it;
- k (at least 5) is enforced on the full combination of quasi-identifiers the export
  carries: study, site, setting, group, questionnaire version, period, gender, age band
  and the experience pattern (`server.workspace.export.kanon`); the manifest says exactly
  what that changed, per field and reason, and the true smallest group;
- text in the CSV files is neutralised against spreadsheet formula injection
  (`server.workspace.export.spreadsheet`).
Two passes over a spool file on disk keep memory flat: the first reads the database in
batches of respondents and learns each respondent's quasi-identifiers, the second
applies the anonymisation and writes the files.
"""

import csv
import datetime as dt
import hashlib
import io
import secrets
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.gradation import software_version
from analysis.snapshot import HASH_VERSION
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import InstrumentVersion
from server.workspace.export import kanon, spreadsheet
from server.workspace.export.digest import batch_digests
from server.workspace.export.formats import COLUMN_LABELS, EXPORT_COLUMNS, BatchWriters, write_stats_files
from server.workspace.export.source import submitted_responses, tidy_batch
from server.workspace.export.period import PERIOD_UNITS, PeriodUnit, period_of
from surveys.codebook import build_codebook, codebook_csv, codebook_json
from surveys.versioning import decode_instrument

#: /2: the time column is `period` (quarter or week, was `week`), k covers the full combination.
EXPORT_FORMAT = "leastmeans.export/2"
ALL_FORMATS = ("csv", "parquet", "dta", "sav")
#: No export goes below this k: with fewer, a respondent's rows are one of a handful.
MIN_K = 5


class ExportSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What to export and how strictly to anonymise it."""

    study: str | None = None
    k: int = MIN_K
    include_free_text: bool = False
    #: Time column: calendar quarter (default) or ISO week; either is a quasi-identifier.
    period: PeriodUnit = "quarter"
    formats: tuple[str, ...] = ALL_FORMATS
    batch_respondents: int = 2000
    #: Language of the value and variable labels in the data files; the codebook carries both.
    language: Literal["da", "en"] = "da"


class FileEntry(msgspec.Struct, frozen=True):
    name: str
    bytes: int
    sha256: str


class InstrumentEntry(msgspec.Struct, frozen=True):
    instrument: str
    version: str
    respondents: int


class Manifest(msgspec.Struct, frozen=True):
    """manifest.json: what the zip holds and how it was made."""

    format: str
    software_version: str
    created_on: str
    settings: ExportSettings
    study: str | None
    respondents: int
    rows: int
    free_text_rows: int
    #: Rows of suppressed respondents (left out); 0 when k-anonymity suppressed no one.
    suppressed_rows: int
    data_sha256: str
    instrument_versions: list[InstrumentEntry]
    anonymisation: kanon.KAnonymityReport
    anonymisation_steps: list[str]
    files: list[FileEntry]
    #: How text in the CSV files is protected against spreadsheet formulas.
    spreadsheet_note: str = spreadsheet.NOTE


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def combine_digests(digests: list[str]) -> str:
    """The data hash from per-respondent digests, exactly as `analysis.snapshot.data_hash`."""
    total = hashlib.sha256(HASH_VERSION.encode("utf-8"))
    for digest in sorted(digests):
        total.update(digest.encode("ascii"))
    return total.hexdigest()


def _shuffled(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


#: Quasi-identifiers read from the tidy rows (study and period come from the response).
_BATCH_IDENTIFIERS = [c for c in kanon.QUASI_IDENTIFIERS if c not in ("study", "period", kanon.EXPERIENCE_PATTERN)]


async def _spool(
    registry: InstrumentRegistry,
    order: list[str],
    responses: pd.DataFrame,
    settings: ExportSettings,
    workdir: Path,
    rng: np.random.Generator,
) -> tuple[Path, Path | None, pd.DataFrame]:
    """Pass 1: tidy rows to a spool file; return it, the free-text spool and the quasi-identifiers."""
    spool_path, text_path = workdir / "spool.parquet", workdir / "free_text.spool.parquet"
    spool = text_spool = None
    qi_parts = []
    for start in range(0, len(order), settings.batch_respondents):
        batch, free_text = await tidy_batch(registry, order[start : start + settings.batch_respondents], responses)
        if len(batch) == 0:
            continue
        batch = _shuffled(batch, rng)
        table = pa.Table.from_pandas(batch, preserve_index=False)
        spool = spool or pq.ParquetWriter(spool_path, table.schema)
        spool.write_table(table)
        people = batch.drop_duplicates("respondent")[["respondent", *_BATCH_IDENTIFIERS]]
        patterns = kanon.experience_patterns(batch)
        people = people.assign(**{kanon.EXPERIENCE_PATTERN: people["respondent"].astype(str).map(patterns).astype(object).fillna("").to_numpy()})
        qi_parts.append(people)
        if settings.include_free_text and len(free_text):
            text_table = pa.Table.from_pandas(free_text, preserve_index=False)
            text_spool = text_spool or pq.ParquetWriter(text_path, text_table.schema)
            text_spool.write_table(text_table)
    if spool is not None:
        spool.close()
    if text_spool is not None:
        text_spool.close()
    columns = ["respondent", *_BATCH_IDENTIFIERS, kanon.EXPERIENCE_PATTERN]
    qi = pd.concat(qi_parts, ignore_index=True) if qi_parts else pd.DataFrame(columns=columns)
    return (spool_path if spool else None), (text_path if text_spool else None), qi  # type: ignore[return-value]


#: Columns every row takes from its respondent's entry in the lookup.
_FROM_RESPONDENT = ("respondent", *kanon.GENERALISE_ORDER, "period", "study")


def _respondent_lookup(kept: pd.DataFrame, export_ids: dict[str, str], pattern_before: dict[str, str]) -> pa.Table:
    """One row per exported respondent: stored id, export id, what each of their rows gets
    from the respondent (generalised quasi-identifiers, period, study) and whether their
    experience is shown (false where k-anonymity generalised the pattern)."""
    ids = list(export_ids)
    columns = {"id": ids, "respondent": [export_ids[i] for i in ids]}
    for column in (*kanon.GENERALISE_ORDER, "period", "study"):
        columns[column] = kept[column].reindex(ids).astype("string")
    table = pa.table({name: pa.array(values, type=pa.string(), from_pandas=True) for name, values in columns.items()})
    after = kept[kanon.EXPERIENCE_PATTERN].reindex(ids)
    shown = [after[i] == pattern_before[i] for i in ids]
    return table.append_column("experience_shown", pa.array(shown, type=pa.bool_()))


def _anonymised(batch: pa.Table, lookup: pa.Table) -> tuple[pa.Table, int]:
    """Pass 2 on one spooled batch: drop suppressed respondents, then give every row its
    respondent's export id, generalised quasi-identifiers, period and study, and empty the
    experience of respondents whose pattern was generalised. Returns the batch (row order
    kept) and how many rows were left out."""
    position = pc.index_in(batch["respondent"], value_set=lookup["id"].cast(batch.schema.field("respondent").type))
    keep = pc.is_valid(position)
    batch, position = batch.filter(keep), position.filter(keep)
    left_out = len(keep) - batch.num_rows
    for column in _FROM_RESPONDENT:
        values = lookup[column].take(position)
        index = batch.schema.get_field_index(column)
        batch = batch.set_column(index, column, values) if index >= 0 else batch.append_column(column, values)
    index = batch.schema.get_field_index("experience")
    shown = lookup["experience_shown"].take(position)
    experience = pc.if_else(shown, batch["experience"], pa.scalar(None, batch.schema.field(index).type))
    batch = batch.set_column(index, batch.schema.field(index), experience)
    return batch, left_out


async def _instrument_files(versions: list[str], workdir: Path) -> list[Path]:
    """instruments/<hash>.json (for import) and the codebook of each version."""
    (workdir / "instruments").mkdir()
    (workdir / "codebook").mkdir()
    paths: list[Path] = []
    csv_parts: list[str] = []
    for version in sorted(versions):
        row = await InstrumentVersion.select(InstrumentVersion.content).where(InstrumentVersion.content_hash == version).first()
        assert row is not None
        content = row["content"] if isinstance(row["content"], str) else msgspec.json.encode(row["content"]).decode()
        instrument = decode_instrument(content)
        path = workdir / "instruments" / f"{version}.json"
        path.write_text(content, encoding="utf-8")
        codebook = build_codebook(instrument, version)
        book = workdir / "codebook" / f"{instrument.code}-{version[:12]}.json"
        book.write_bytes(codebook_json(codebook))
        csv_text = codebook_csv(codebook)
        csv_parts.append(csv_text if not csv_parts else csv_text.split("\n", 1)[1])
        paths += [path, book]
    combined = workdir / "codebook" / "codebook.csv"
    rows = csv.reader(io.StringIO("".join(csv_parts)))
    _write_csv(combined, ([spreadsheet.neutralise_text(cell) for cell in row] for row in rows))
    columns = workdir / "codebook" / "columns.csv"
    _write_csv(
        columns,
        [["column", "label"], *([c, spreadsheet.neutralise_text(COLUMN_LABELS[c])] for c in EXPORT_COLUMNS), ["note", spreadsheet.NOTE]],
    )
    return [*paths, combined, columns]


def _write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


async def build_export(registry: InstrumentRegistry, settings: ExportSettings, out: Path) -> Manifest:
    """Write the export zip to `out` and return its manifest."""
    if settings.k < MIN_K:
        raise ValueError(f"k: must be at least {MIN_K} (got {settings.k})")
    if settings.period not in PERIOD_UNITS:
        raise ValueError(f"period: must be one of {', '.join(PERIOD_UNITS)} (got {settings.period!r})")
    unknown = set(settings.formats) - set(ALL_FORMATS)
    if unknown:
        raise ValueError(f"formats: unknown {sorted(unknown)} (use {', '.join(ALL_FORMATS)})")
    rng = np.random.default_rng(secrets.randbits(128))
    responses = await submitted_responses(settings.study)
    order = responses["id"].to_numpy()[rng.permutation(len(responses))].tolist()
    respondent_columns = pd.DataFrame(
        {"study": responses["study"].to_numpy(), "period": [period_of(t, settings.period) for t in responses["submitted_at"]]},
        index=responses["id"].to_numpy(),
    )

    with tempfile.TemporaryDirectory(prefix="leastmeans-export-") as tmp:
        workdir = Path(tmp)
        spool_path, text_path, qi = await _spool(registry, order, responses.set_index("id"), settings, workdir, rng)
        qi = qi.join(respondent_columns, on="respondent")
        pattern_before = dict(zip(qi["respondent"].astype(str), qi[kanon.EXPERIENCE_PATTERN], strict=True))
        kept, report = kanon.enforce(qi[["respondent", *kanon.QUASI_IDENTIFIERS]], settings.k)
        kept = kept.set_index("respondent")
        export_ids = {rid: f"R{n:07d}" for rid, n in zip(kept.index, rng.permutation(len(kept)) + 1, strict=True)}

        out_dir = workdir / "out"
        out_dir.mkdir()
        wanted = set(settings.formats)
        writers = BatchWriters(out_dir, csv="csv" in wanted, parquet=bool(wanted & {"parquet", "dta", "sav"}))
        digests: list[str] = []
        rows = suppressed_rows = 0
        if spool_path is not None:
            lookup = _respondent_lookup(kept, export_ids, pattern_before)
            spool = pq.ParquetFile(spool_path)
            for group in range(spool.num_row_groups):
                batch, left_out = _anonymised(spool.read_row_group(group), lookup)
                suppressed_rows += left_out
                if not batch.num_rows:
                    continue
                digests.extend(batch_digests(batch))
                writers.write(batch)
                rows += batch.num_rows
        writers.close()

        free_text_rows = 0
        extra: list[Path] = []
        if text_path is not None:
            texts = pq.read_table(text_path).to_pandas()
            texts = texts[texts["respondent"].isin(export_ids)]
            texts = _shuffled(texts.assign(respondent=texts["respondent"].map(export_ids)), rng)
            free_text_rows = len(texts)
            path = out_dir / "free_text.csv"
            spreadsheet.neutralise_frame(texts).to_csv(path, index=False)
            extra.append(path)

        data_files = []
        if "csv" in settings.formats:
            data_files.append(writers.csv_path)
        if "parquet" in settings.formats:
            data_files.append(writers.parquet_path)
        if {"dta", "sav"} & set(settings.formats):
            data_files += write_stats_files(writers.parquet_path, out_dir, settings.formats)
        versions = Counter(qi.loc[qi["respondent"].isin(export_ids), "instrument_version"].tolist())
        instrument_codes = {
            row["content_hash"]: row["instrument"]
            for row in await InstrumentVersion.select(InstrumentVersion.content_hash, InstrumentVersion.instrument)
        }
        meta_files = await _instrument_files(list(versions), out_dir)
        files = [*data_files, *extra, *meta_files]
        steps = [
            "respondent ids replaced by random ids issued for this export",
            "timestamps coarsened to the calendar quarter of submission (column period, e.g. 2026-Q1)"
            if settings.period == "quarter"
            else "timestamps coarsened to the ISO week of submission (column period, e.g. 2026-W10)",
            "respondent order randomised and rows shuffled within batches",
            "free text included (admin request)" if settings.include_free_text else "free text excluded",
            f"k-anonymity (k={settings.k}) on the full combination of {', '.join(report.quasi_identifiers)}: "
            f"{report.generalised.get('age_band', 0)} respondents' age band, {report.generalised.get('gender', 0)} "
            f"respondents' gender and {report.generalised.get('experience', 0)} respondents' experience generalised "
            f"to empty; {report.suppressed_respondents} respondents suppressed ({suppressed_rows} rows left out); "
            f"smallest group {report.smallest_group_after}",
            *(f"{loss.field}: {loss.respondents} respondents: {loss.reason}" for loss in report.losses if loss.respondents),
            "CSV text neutralised against spreadsheet formulas (see spreadsheet_note)",
        ]
        manifest = Manifest(
            format=EXPORT_FORMAT,
            software_version=software_version(),
            created_on=dt.date.today().isoformat(),
            settings=settings,
            study=settings.study,
            respondents=len(export_ids),
            rows=rows,
            free_text_rows=free_text_rows,
            suppressed_rows=suppressed_rows,
            data_sha256=combine_digests(digests),
            instrument_versions=[
                InstrumentEntry(instrument=instrument_codes.get(v, ""), version=v, respondents=n) for v, n in sorted(versions.items())
            ],
            anonymisation=report,
            anonymisation_steps=steps,
            files=[FileEntry(name=str(p.relative_to(out_dir)), bytes=p.stat().st_size, sha256=_sha256(p)) for p in files],
        )
        manifest_path = out_dir / "manifest.json"
        manifest_path.write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in [manifest_path, *files]:
                archive.write(path, arcname=str(path.relative_to(out_dir)))
    return manifest
