"""Build one anonymised export zip: long and wide data in each format, codebook, instruments, manifest.

Anonymisation by default:
- respondent ids are `R0000001`...: numbered in the order of a sha256 of each respondent's
  exported content without the id (their long rows, their wide row and, when exported,
  their free text), so neither the id nor the row order reveals database order or time;
- timestamps appear only as the period of submission: the calendar quarter, or the ISO
  week when asked (`server.workspace.export.period`);
- free text is left out unless `include_free_text` (admins only) asks for it;
- k (at least 5) is enforced on the full combination of quasi-identifiers the export
  carries (`server.workspace.export.kanon`); the manifest says exactly what that changed,
  per field and reason, and the true smallest group; the wide files mark what it took;
- text in the CSV files is neutralised against spreadsheet formula injection
  (`server.workspace.export.spreadsheet`).
Nothing is random: long files are sorted by (respondent, item), wide files
(`server.workspace.export.wide`) by respondent, so the same data give byte-identical data
files (only the manifest's `created_on` differs).

Passes and memory:
1. the database is read in batches of respondents; tidy rows go to a spool file on disk.
   Held in memory for every respondent: their quasi-identifiers, their wide values before
   k-anonymity (one float per codebook variable: about 0.8 KB a respondent with ~100
   variables, 25 MB for 30,000 respondents) and their quality flags; the wide files are
   written whole by the statistics writers anyway.
2. k-anonymity on the quasi-identifiers; each spooled batch is anonymised and digested;
   export ids are numbered by content digest.
3. the spool is anonymised again with the export ids into bucket files on disk, one per
   range of `batch_respondents` ids; 4. each bucket is sorted and appended to the data
   files. Long rows are never all in memory: one batch or one bucket at a time.
"""

import csv
import datetime as dt
import hashlib
import io
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.versions import library_versions, software_version
from analysis.snapshot import HASH_VERSION
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import InstrumentVersion
from server.workspace.export import kanon, quality, spreadsheet, wide
from server.workspace.export.digest import respondent_digests
from server.workspace.export.formats import COLUMN_LABELS, EXPORT_COLUMNS, SCHEMA, BatchWriters, write_stats_files
from server.workspace.export.period import PERIOD_UNITS, PeriodUnit, period_of
from server.workspace.export.source import SourceBatch, read_batch, submitted_responses
from surveys import codes
from surveys.codebook import Codebook, build_codebook, codebook_csv, codebook_json
from surveys.versioning import decode_instrument

#: /3: wide files per questionnaire version with fixed numeric codes, quality flags,
#: ids numbered by content and rows in a fixed order (/2: the time column is `period`).
EXPORT_FORMAT = "leastmeans.export/3"
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


class WideEntry(msgspec.Struct, frozen=True):
    """One questionnaire version's wide files: `name` plus each format's extension."""

    instrument: str
    version: str
    name: str
    respondents: int
    #: Codebook variables (free text aside), between the respondent columns and the flags.
    variables: int


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
    #: The wide files: one set per questionnaire version (`wide/<instrument>-<hash12>.*`).
    wide: list["WideEntry"] = []
    #: The numerical libraries the files were written with (numpy, pandas, pyarrow, ...).
    library_versions: dict[str, str] = {}


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


#: Long-file columns each row takes from its respondent (after k-anonymity).
_FROM_RESPONDENT = ("respondent", "age_band", "gender", "period", "study")
#: Background quasi-identifiers read from the stored answers, by item kind.
_BACKGROUND = wide.BACKGROUND_KINDS


def _text_or_none(value: object) -> str | None:
    """A cell as text, None for every kind of empty (None, NA, NaN) and for the value
    k-anonymity writes for a suppressed cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return None if text == kanon.SUPPRESSED or text.startswith(_MISSING_VALUE_PREFIX) else text


class _Collected:
    """What pass 1 keeps in memory per respondent: quasi-identifiers, the wide values
    before k-anonymity and the quality flags, grouped by questionnaire version."""

    def __init__(self) -> None:
        self.layouts: dict[str, wide.WideLayout] = {}
        self.codebooks: dict[str, Codebook] = {}
        self.qi: list[pd.DataFrame] = []
        self.ids: dict[str, list[str]] = {}
        self.values: dict[str, list[np.ndarray]] = {}
        self.flags: dict[str, list[np.ndarray]] = {}
        #: A sha256 of each respondent's stored content (no id, no time but the period):
        #: k-anonymity sees respondents in this order, so its choices among equals depend
        #: on the data alone, never on database ids or order.
        self.content_before: dict[str, str] = {}

    async def layout(self, registry: InstrumentRegistry, version: str, version_id: int) -> wide.WideLayout:
        if version not in self.layouts:
            instrument = await registry.version(version_id)
            self.codebooks[version] = build_codebook(instrument, version)
            self.layouts[version] = wide.layout_for(instrument, self.codebooks[version])
        return self.layouts[version]


def _stored_answers(answers: pd.DataFrame) -> dict[str, dict[str, tuple[object, str | None]]]:
    """Each respondent's stored answers: item -> (decoded value, missing code)."""
    out: dict[str, dict[str, tuple[object, str | None]]] = {}
    # Whole columns to lists first: iterating Arrow-backed text cell by cell is slow.
    columns = [answers[c].tolist() for c in ("respondent", "item", "raw", "missing")]
    for rid, item, raw, missing in zip(*columns, strict=True):
        out.setdefault(str(rid), {})[str(item)] = (raw, missing if isinstance(missing, str) else None)
    return out


#: How a background answer given as a missing kind reaches k-anonymity: a value of its own
#: (no option code has a colon), because the wide file shows "prefer not to answer" apart
#: from "not answered"; the long file shows neither (see `_text_or_none`).
_MISSING_VALUE_PREFIX = "missing:"


def _background(answers: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """Per respondent (index `ids`), the value of each background kind: the answer, or
    `missing:<kind>` for a missing code (NA: not answered, or not in the questionnaire)."""
    frame = pd.DataFrame(index=pd.Index(ids, name="respondent"))
    for kind in _BACKGROUND:
        rows = answers[answers["kind"] == kind]
        given = [
            str(raw) if not isinstance(missing, str) else _MISSING_VALUE_PREFIX + missing
            for raw, missing in zip(rows["raw"].tolist(), rows["missing"].tolist(), strict=True)
        ]
        values = pd.Series(given, index=rows["respondent"].astype(str).to_numpy(), dtype=object)
        frame[kind] = values[~values.index.duplicated()].reindex(ids).to_numpy()
    return frame


async def _collect(registry: InstrumentRegistry, batch: SourceBatch, people: pd.DataFrame, collected: _Collected) -> None:
    """Wide values, quality flags and background of one batch of respondents (`people`:
    their rows of `submitted_responses`, indexed by id)."""
    stored = _stored_answers(batch.answers)
    ids = people.index.tolist()
    seconds = np.array([(b - a).total_seconds() for a, b in zip(people["started_at"], people["submitted_at"], strict=True)])
    counts = batch.answer_counts.reindex(ids, fill_value=0).to_numpy()
    tidy = batch.tidy
    ratings = tidy.loc[(tidy["kind"] == "rating") & tidy["value"].notna(), ["respondent", "value"]]
    straight = quality.straightline(ratings.astype({"respondent": str}), ids)
    fast = quality.fast(seconds, counts)
    long_digests = respondent_digests(pa.Table.from_pandas(tidy, preserve_index=False)) if len(tidy) else {}
    columns = ("instrument_version", "version_id", "free_text", "setting", "design_slot", "study", "site", "group", "period")
    shown, without = np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=np.int64)
    values: list[np.ndarray] = []
    routing: list[str] = []
    for n, (rid, version, version_id, free_text, setting, slot, *rest) in enumerate(zip(ids, *(people[c].tolist() for c in columns), strict=True)):
        layout = await collected.layout(registry, str(version), int(version_id))
        features = _FREE_TEXT if bool(free_text) else _NO_FEATURES
        encoded = wide.encode(layout, stored.get(str(rid), {}), str(setting), int(slot or 0), features)
        values.append(encoded.values)
        routing.append(encoded.background_routing)
        shown[n], without[n] = encoded.shown, encoded.without_value
    nonresponse = quality.nonresponse(shown, without)
    for n, (rid, version, *respondent) in enumerate(
        zip(ids, *(people[c].tolist() for c in ("instrument_version", "study", "site", "setting", "group", "period")), strict=True)
    ):
        flags = np.array([fast[n], straight[n], nonresponse[n]], dtype="float64")
        collected.ids.setdefault(str(version), []).append(str(rid))
        collected.values.setdefault(str(version), []).append(values[n])
        collected.flags.setdefault(str(version), []).append(flags)
        row = wide.row_bytes(values[n], flags, [str(version), *(str(v) for v in respondent)])
        collected.content_before[str(rid)] = hashlib.sha256(long_digests.get(str(rid), "").encode("ascii") + b"\x1d" + row).hexdigest()
    background = _background(batch.answers, ids)
    patterns = kanon.experience_patterns(tidy)
    background[kanon.EXPERIENCE_PATTERN] = pd.Series(patterns, dtype=object).reindex(ids).fillna("").to_numpy()
    background[kanon.ROUTING] = routing
    collected.qi.append(background.reset_index())


_FREE_TEXT: frozenset[str] = frozenset({"free_text"})
_NO_FEATURES: frozenset[str] = frozenset()


async def _read(
    registry: InstrumentRegistry, responses: pd.DataFrame, settings: ExportSettings, workdir: Path,
    progress: Callable[[int], None] | None = None,
) -> tuple[Path | None, Path | None, _Collected]:
    """Pass 1: tidy rows to a spool file (one row group per batch of whole respondents),
    free text to another, and per respondent what `_Collected` keeps."""
    spool_path, text_path = workdir / "spool.parquet", workdir / "free_text.spool.parquet"
    spool = text_spool = None
    collected = _Collected()
    indexed = responses.set_index("id")
    ids = responses["id"].tolist()
    for start in range(0, len(ids), settings.batch_respondents):
        chunk = ids[start : start + settings.batch_respondents]
        batch = await read_batch(registry, chunk, indexed)
        await _collect(registry, batch, indexed.loc[chunk], collected)
        if len(batch.tidy):
            table = pa.Table.from_pandas(batch.tidy, preserve_index=False)
            spool = spool or pq.ParquetWriter(spool_path, table.schema)
            spool.write_table(table, row_group_size=max(table.num_rows, 1))
        if settings.include_free_text and len(batch.free_text):
            text_table = pa.Table.from_pandas(batch.free_text, preserve_index=False)
            text_spool = text_spool or pq.ParquetWriter(text_path, text_table.schema)
            text_spool.write_table(text_table)
        if progress is not None:
            progress(len(chunk))
    if spool is not None:
        spool.close()
    if text_spool is not None:
        text_spool.close()
    return (spool_path if spool else None), (text_path if text_spool else None), collected


def _respondent_lookup(kept: pd.DataFrame, export_ids: dict[str, str], pattern_before: dict[str, str]) -> pa.Table:
    """One row per exported respondent: stored id, the id their rows are written with,
    what each of their rows gets from the respondent (generalised age band and gender,
    period, study), whether their experience is shown (false where k-anonymity
    generalised the pattern) and their number (export order)."""
    ids = list(export_ids)
    columns: dict[str, list[object]] = {"id": ids, "respondent": [export_ids[i] for i in ids]}
    for column in ("age_band", "gender", "period", "study"):
        values = kept[column].reindex(ids) if column in kept.columns else pd.Series([None] * len(ids))
        columns[column] = [_text_or_none(v) for v in values.tolist()]
    table = pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})
    after = kept[kanon.EXPERIENCE_PATTERN].reindex(ids).to_numpy(dtype=object)
    shown = after == np.array([pattern_before[i] for i in ids], dtype=object)
    return table.append_column("experience_shown", pa.array(shown.astype(bool), type=pa.bool_()))


def _anonymised(batch: pa.Table, lookup: pa.Table) -> tuple[pa.Table, pa.Array, int]:
    """One spooled batch after k-anonymity: suppressed respondents dropped, every row with
    its respondent's written id, generalised age band and gender, period and study, and
    no experience where the respondent's pattern was generalised. Returns the batch, each
    row's position in `lookup`, and how many rows were left out."""
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
    return batch, position, left_out


def _spool_groups(spool_path: Path | None) -> Iterable[pa.Table]:
    if spool_path is None:
        return
    spool = pq.ParquetFile(spool_path)
    for group in range(spool.num_row_groups):
        yield spool.read_row_group(group)


def _write_sorted(
    spool_path: Path | None, lookup: pa.Table, numbers: np.ndarray, bucket_size: int, workdir: Path, writers: BatchWriters
) -> int:
    """Passes 3 and 4: the anonymised rows in (respondent, item) order into `writers`,
    with bounded memory: rows go to bucket files on disk by range of export number
    (`numbers`, per row of `lookup`), then each bucket is sorted and written in turn.
    Returns the rows written."""
    buckets: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    paths: dict[int, Path] = {}
    for group in _spool_groups(spool_path):
        batch, position, _ = _anonymised(group, lookup)
        if not batch.num_rows:
            continue
        batch = batch.select(EXPORT_COLUMNS).cast(SCHEMA)
        bucket = (numbers[position.to_numpy(zero_copy_only=False)] - 1) // bucket_size
        for b in np.unique(bucket):
            part = batch.filter(pa.array(bucket == b))
            if b not in buckets:
                paths[b] = workdir / f"bucket-{b:06d}.arrow"
                buckets[b] = pa.ipc.new_file(str(paths[b]), SCHEMA)
            buckets[b].write_table(part)
    for writer in buckets.values():
        writer.close()
    rows = 0
    for b in sorted(paths):
        with pa.OSFile(str(paths[b])) as source:
            table = pa.ipc.open_file(source).read_all()
        order = pc.sort_indices(table, sort_keys=[("respondent", "ascending"), ("item", "ascending")])
        table = table.take(order)
        writers.write(table)
        rows += table.num_rows
        del table
        paths[b].unlink()
    return rows


async def _instrument_files(versions: list[str], workdir: Path, studies: list[str], sites: list[str]) -> list[Path]:
    """instruments/<hash>.json (for import) and the codebook of each version, listing the
    export's studies and sites with their per-export numbers."""
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
        codebook = build_codebook(instrument, version, studies, sites)
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


def _content_digests(
    collected: _Collected, long_digests: dict[str, str], wide_rows: dict[str, tuple[list[str], np.ndarray, np.ndarray, pd.DataFrame]],
    texts: pd.DataFrame | None,
) -> dict[str, str]:
    """Per exported respondent (stored id), a sha256 of everything the export shows of
    them except the id: long rows, wide row and, when exported, free text."""
    free: dict[str, str] = {}
    if texts is not None and len(texts):
        ordered = texts.sort_values(["respondent", "item", "text"], kind="mergesort")
        for rid, rows in ordered.groupby("respondent", sort=False):
            free[str(rid)] = "\x1e".join(f"{i}\x1f{t}" for i, t in zip(rows["item"], rows["text"], strict=True))
    out: dict[str, str] = {}
    for version, (ids, values, flags, meta) in wide_rows.items():
        columns = [meta[c].astype(str).tolist() for c in wide.RESPONDENT_COLUMNS if c != "respondent"]
        for n, rid in enumerate(ids):
            row = wide.row_bytes(values[n], flags[n], [version, *(column[n] for column in columns)])
            parts = [long_digests.get(rid, "").encode("ascii"), row, free.get(rid, "").encode("utf-8")]
            out[rid] = hashlib.sha256(b"\x1d".join(parts)).hexdigest()
    return out


def _wide_rows(
    collected: _Collected, kept: pd.DataFrame, qi: pd.DataFrame
) -> dict[str, tuple[list[str], np.ndarray, np.ndarray, pd.DataFrame]]:
    """Per version: the exported respondents (stored ids), their wide values after
    k-anonymity, their flags and their coded respondent columns (respondent still the
    stored id)."""
    studies = codes.per_export_codes(kept["study"].astype(str).tolist())
    sites = codes.per_export_codes(kept["site"].astype(str).tolist())
    settings = {k: v.numeric for k, v in codes.setting_codes().items()}
    groups = {k: v.numeric for k, v in codes.group_codes().items()}
    out = {}
    for version, layout in collected.layouts.items():
        ids = collected.ids[version]
        keep = np.array([rid in kept.index for rid in ids], dtype=bool)
        kept_ids = [rid for rid, k in zip(ids, keep, strict=True) if k]
        values = np.vstack(collected.values[version])[keep] if ids else np.empty((0, len(layout.names)))
        flags = np.vstack(collected.flags[version])[keep] if ids else np.empty((0, 3))
        # The per-respondent rows are not needed again; the stacked copy replaces them.
        collected.values[version], collected.flags[version] = [], []
        rows = kept.loc[kept_ids]
        before = qi.loc[kept_ids]
        background = {kind: rows[kind].tolist() for kind in wide.BACKGROUND_KINDS if kind in rows.columns}
        original = {kind: before[kind].tolist() for kind in wide.BACKGROUND_KINDS}
        hidden = (rows[kanon.EXPERIENCE_PATTERN].to_numpy() != before[kanon.EXPERIENCE_PATTERN].to_numpy()) if kept_ids else np.zeros(0, bool)
        values = wide.anonymise(values, layout, background, original, hidden)
        if len(values):
            # From the cells as exported (k-anonymity may have changed them), so that
            # export -> import -> export reproduces the flag (see wide.nonresponse_counts).
            flags[:, quality.FLAG_COLUMNS.index("flag_nonresponse")] = quality.nonresponse(*wide.nonresponse_counts(layout, values))
        meta = pd.DataFrame(
            {
                "respondent": kept_ids,
                "study": rows["study"].astype(str).map(studies).to_numpy(dtype="int64"),
                "site": rows["site"].astype(str).map(sites).to_numpy(dtype="int64"),
                "setting": rows["setting"].astype(str).map(settings).to_numpy(dtype="int64"),
                "group": rows["group"].astype(str).map(groups).to_numpy(dtype="int64"),
                "period": rows["period"].astype(str).to_numpy(dtype=object),
                "study_code": rows["study"].astype(str).to_numpy(dtype=object),
                "site_code": rows["site"].astype(str).to_numpy(dtype=object),
            }
        )
        out[version] = (kept_ids, values, flags, meta)
    return out


async def build_export(
    registry: InstrumentRegistry, settings: ExportSettings, out: Path, progress: Callable[[int, int], None] | None = None
) -> Manifest:
    """Write the export zip to `out` and return its manifest; `progress(done, total)` is
    called as batches of respondents are read (the long part of an export)."""
    if settings.k < MIN_K:
        raise ValueError(f"k: must be at least {MIN_K} (got {settings.k})")
    if settings.period not in PERIOD_UNITS:
        raise ValueError(f"period: must be one of {', '.join(PERIOD_UNITS)} (got {settings.period!r})")
    unknown = set(settings.formats) - set(ALL_FORMATS)
    if unknown:
        raise ValueError(f"formats: unknown {sorted(unknown)} (use {', '.join(ALL_FORMATS)})")
    responses = await submitted_responses(settings.study)
    responses["period"] = [period_of(t, settings.period) for t in responses["submitted_at"]]
    respondent_columns = pd.DataFrame(
        {
            "study": responses["study"].to_numpy(),
            "site": responses["site"].to_numpy(),
            "setting": responses["setting"].to_numpy(),
            "group": responses["group"].to_numpy(),
            "instrument_version": responses["instrument_version"].to_numpy(),
            "period": responses["period"].to_numpy(),
        },
        index=pd.Index(responses["id"].to_numpy(), name="respondent"),
    )

    with tempfile.TemporaryDirectory(prefix="leastmeans-export-") as tmp:
        workdir = Path(tmp)
        done = 0

        def read_some(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, len(responses))

        spool_path, text_path, collected = await _read(registry, responses, settings, workdir, read_some)
        qi = pd.concat(collected.qi, ignore_index=True) if collected.qi else pd.DataFrame(columns=["respondent", *_BACKGROUND, kanon.EXPERIENCE_PATTERN, kanon.ROUTING])
        qi = qi.join(respondent_columns, on="respondent")
        pattern_before = dict(zip(qi["respondent"].astype(str), qi[kanon.EXPERIENCE_PATTERN], strict=True))
        # k-anonymity breaks ties by the respondent column: it gets the stored content's
        # digest first, so its choices follow the data, never database ids or order (the
        # stored id only separates respondents whose content is identical).
        keyed = qi.assign(respondent=[f"{collected.content_before[r]}/{r}" for r in qi["respondent"].astype(str)])
        kept, report = kanon.enforce(keyed[["respondent", *kanon.QUASI_IDENTIFIERS]], settings.k)
        kept = kept.assign(respondent=[str(r).split("/", 1)[1] for r in kept["respondent"]]).set_index("respondent")
        # Columns k-anonymity does not look at (and so never changes) come from the response.
        for column in ("study", "site", "setting", "group", "period"):
            if column not in kept.columns:
                kept[column] = respondent_columns[column].reindex(kept.index)
        qi = qi.set_index("respondent")

        # Pass 2: digests of each respondent's anonymised long rows (the data hash and the
        # first part of the content digest that numbers the export ids).
        identity = _respondent_lookup(kept, {rid: rid for rid in kept.index}, pattern_before)
        long_digests: dict[str, str] = {}
        suppressed_rows = 0
        for group in _spool_groups(spool_path):
            batch, _, left_out = _anonymised(group, identity)
            suppressed_rows += left_out
            long_digests.update(respondent_digests(batch))
        texts = None
        if text_path is not None:
            texts = pq.read_table(text_path).to_pandas()
            texts = texts[texts["respondent"].isin(kept.index)]
        wide_rows = _wide_rows(collected, kept, qi)
        content = _content_digests(collected, long_digests, wide_rows, texts)
        # Ties are respondents whose exported content is identical, so either order
        # writes the same bytes.
        ordered = sorted(content, key=lambda rid: (content[rid], rid))
        export_ids = {rid: f"R{n:07d}" for n, rid in enumerate(ordered, start=1)}

        out_dir = workdir / "out"
        out_dir.mkdir()
        wanted = set(settings.formats)
        writers = BatchWriters(out_dir, csv="csv" in wanted, parquet=bool(wanted & {"parquet", "dta", "sav"}))
        lookup = _respondent_lookup(kept, export_ids, pattern_before)
        numbers = np.array([int(export_ids[i][1:]) for i in lookup["id"].to_pylist()], dtype=np.int64)
        rows = _write_sorted(spool_path, lookup, numbers, settings.batch_respondents, workdir, writers)
        writers.close()

        free_text_rows = 0
        extra: list[Path] = []
        if texts is not None:
            texts = texts.assign(respondent=texts["respondent"].map(export_ids))
            texts = texts.sort_values(["respondent", "item", "text"], kind="mergesort").reset_index(drop=True)
            free_text_rows = len(texts)
            path = out_dir / "free_text.csv"
            spreadsheet.neutralise_frame(texts).to_csv(path, index=False, lineterminator="\n")
            extra.append(path)

        data_files = []
        if "csv" in settings.formats:
            data_files.append(writers.csv_path)
        if "parquet" in settings.formats:
            data_files.append(writers.parquet_path)
        if {"dta", "sav"} & set(settings.formats):
            data_files += write_stats_files(writers.parquet_path, out_dir, settings.formats, settings.language)
        if not {"parquet"} & wanted and writers.parquet_path.exists():
            writers.parquet_path.unlink()

        wide_files, wide_entries = _write_wide(collected, wide_rows, export_ids, settings, out_dir)
        versions = Counter(kept["instrument_version"].tolist())
        instrument_codes = {
            row["content_hash"]: row["instrument"]
            for row in await InstrumentVersion.select(InstrumentVersion.content_hash, InstrumentVersion.instrument)
        }
        meta_files = await _instrument_files(
            list(versions), out_dir, sorted(set(kept["study"].astype(str))), sorted(set(kept["site"].astype(str)))
        )
        files = [*data_files, *wide_files, *extra, *meta_files]
        generalised = ", ".join(f"{field} {count}" for field, count in report.generalised.items())
        steps = [
            "respondent ids R0000001... numbered in the order of a sha256 of each respondent's exported content "
            "(long rows, wide row and any free text, without the id), so neither the id nor the row order reveals "
            "database order or time; long files sorted by respondent and item, wide files by respondent; "
            "nothing is random, so the same data give the same files",
            "timestamps coarsened to the calendar quarter of submission (column period, e.g. 2026-Q1)"
            if settings.period == "quarter"
            else "timestamps coarsened to the ISO week of submission (column period, e.g. 2026-W10)",
            "free text included (admin request)" if settings.include_free_text else "free text excluded",
            f"k-anonymity (k={settings.k}) on the full combination of {', '.join(report.quasi_identifiers)}: "
            f"respondents generalised or suppressed per field: {generalised or 'none'}; "
            f"{report.suppressed_respondents} respondents left out ({suppressed_rows} rows); "
            f"smallest group {report.smallest_group_after}",
            *(f"{loss.field}: {loss.respondents} respondents: {loss.reason}" for loss in report.losses if loss.respondents),
            "wide files: a value k-anonymity generalised carries the generalised code, a value it took carries "
            "the suppressed code (-7); where the experience pattern was generalised, every experience variable and "
            "'ever met coercion' are suppressed",
            "CSV text neutralised against spreadsheet formulas (see spreadsheet_note)",
        ]
        manifest = Manifest(
            format=EXPORT_FORMAT,
            software_version=software_version(),
            library_versions=library_versions(),
            created_on=dt.date.today().isoformat(),
            settings=settings,
            study=settings.study,
            respondents=len(export_ids),
            rows=rows,
            free_text_rows=free_text_rows,
            suppressed_rows=suppressed_rows,
            data_sha256=combine_digests(list(long_digests.values())),
            instrument_versions=[
                InstrumentEntry(instrument=instrument_codes.get(v, ""), version=v, respondents=n) for v, n in sorted(versions.items())
            ],
            anonymisation=report,
            anonymisation_steps=steps,
            files=[FileEntry(name=str(p.relative_to(out_dir)), bytes=p.stat().st_size, sha256=_sha256(p)) for p in files],
            wide=wide_entries,
        )
        manifest_path = out_dir / "manifest.json"
        manifest_path.write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in [manifest_path, *files]:
                # A fixed time in the zip entries: the same data give the same zip but
                # for the manifest's created_on.
                info = zipfile.ZipInfo(str(path.relative_to(out_dir)), date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as source, archive.open(info, "w") as target:
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        target.write(chunk)
    return manifest


def _write_wide(
    collected: _Collected,
    wide_rows: dict[str, tuple[list[str], np.ndarray, np.ndarray, pd.DataFrame]],
    export_ids: dict[str, str],
    settings: ExportSettings,
    out_dir: Path,
) -> tuple[list[Path], list[WideEntry]]:
    """wide/<instrument>-<hash12>.<format> per version with exported respondents, rows
    sorted by export id."""
    (out_dir / "wide").mkdir()
    paths: list[Path] = []
    entries: list[WideEntry] = []
    # The codebook as the export's codebook files give it: with the export's study and
    # site numbers, so the statistics files label them.
    studies = sorted({str(s) for _, _, _, meta in wide_rows.values() for s in meta["study_code"]}) if wide_rows else []
    sites = sorted({str(s) for _, _, _, meta in wide_rows.values() for s in meta["site_code"]}) if wide_rows else []
    for version in sorted(wide_rows):
        ids, values, flags, meta = wide_rows[version]
        if not ids:
            continue
        layout = collected.layouts[version]
        written = meta.drop(columns=["study_code", "site_code"]).assign(respondent=[export_ids[i] for i in ids])
        order = np.argsort(written["respondent"].to_numpy(dtype=str), kind="stable")
        frame = wide.frame(layout, written.iloc[order].reset_index(drop=True), values[order], flags[order], quality.FLAG_COLUMNS)
        stem = f"{layout.instrument.code}-{version[:12]}"
        book = build_codebook(layout.instrument, version, studies, sites)
        written_paths = wide.write_files(frame, book, out_dir / "wide", stem, settings.formats, settings.language)
        paths += written_paths
        entries.append(WideEntry(instrument=layout.instrument.code, version=version, name=f"wide/{stem}", respondents=len(ids), variables=len(layout.names)))
    return paths, entries
