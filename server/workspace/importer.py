"""Import an export zip into the database, all or nothing.

The zip's `instruments/*.json` are registered as instrument versions (their hash is
checked), the data rows are validated (`analysis.tidy.validate_tidy` plus checks against
the instruments), and then every response and answer is written in one transaction: a
bad row aborts the import with its row number and reason, and nothing is stored.

A /3 export brings back every answer from its wide files (`server.workspace.import_wide`:
every codebook variable decoded through the codebook, the design slot and the timing
rebuilt so the quality flags come out the same), and its long file must hold exactly the
rows those answers give. From a /2 export (or a hand-made zip of the long file) the rows
become answers again: ratings, allowed choices, paired choices, rankings (from the rank
rows, in rank order), gender and age band (background items) and experience; items that
never reach the long file (difficulty, certainty, free text, ...) cannot come back.
Timestamps are the start of the exported period: the first day of the quarter, or the
Monday of the ISO week (exports made before the period column carry `week` instead).
Text read from data.csv loses the apostrophe that the export put in front of cells a
spreadsheet would take for formulas (`server.workspace.export.spreadsheet`), so the
import gives back exactly the exported text.

Before any row is read, every file is verified against manifest.json (size and sha256;
a file listed but absent, or present but not listed, is refused), data.csv and
data.parquet, when both are there, must hold the same rows
(`server.workspace.import_verification`), and the manifest's data_sha256 must be the
data hash (`analysis.snapshot.data_hash`) of the rows read. A zip without a manifest is imported
unverified, and the report says so.

The zip is read within `ImportLimits` (`server.workspace.import_archive`): sizes, member
count, compression ratio, rows and columns are checked before the data is loaded, and
every text cell before any row is interpreted, so a zip bomb, an oversized Parquet file,
a NUL character or an overlong code is refused with file, row and column named.
"""

import datetime as dt
import re
import uuid
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio.to_thread
import msgspec
import pandas as pd
from piccolo.engine.sqlite import SQLiteEngine

from analysis.snapshot import data_hash
from analysis.tidy import COLUMNS, TidyDataError, validate_tidy
from server.storage.database import current_engine, write_transaction
from server.storage.tables import InstrumentVersion, Response, Site, Study
from server.workspace import import_wide
from server.workspace.i18n import _
from server.workspace.import_reasons import tidy_reason
from server.workspace.export.period import period_start
from server.workspace.import_archive import (
    ImportError_,
    ImportLimits,
    check_archive,
    check_text,
    csv_frame,
    parquet_frame,
    read_member,
)
from server.workspace.import_verification import Seal, check_agreement, verify_archive
from surveys.model import Instrument
from surveys.versioning import content_hash, decode_instrument


class ImportReport(msgspec.Struct, frozen=True):
    """What an import stored; `study` lists the study codes, comma-separated.

    `verified_files` counts the files checked against manifest.json; None when the zip
    had no manifest, so nothing could be verified (a hand-made zip).
    """

    study: str
    respondents: int
    answers: int
    rows: int
    verified_files: int | None = None


#: Formats whose manifest `data_sha256` is `analysis.snapshot.data_hash` of the long file.
HASHED_FORMATS = ("leastmeans.export/2", "leastmeans.export/3")
FREE_TEXT = "free_text.csv"
#: Longest free-text answer an import takes (the questionnaires allow 1000 characters).
MAX_FREE_TEXT = 5000

#: The columns an import reads; anything else in the data file is ignored.
_KNOWN_COLUMNS = frozenset({*COLUMNS, "study", "period", "week"})


class _ZipContent(msgspec.Struct):
    """What an import reads from a zip: the long data (indexed by file line), the
    instruments by hash, and manifest.json's file list (None without a manifest)."""

    frame: pd.DataFrame
    instruments: dict[str, str]
    seal: Seal | None
    #: The file the long data was read from (data.parquet when both are there).
    data_file: str = "data.csv"
    #: The wide files of a /3 export (empty for /2 and hand-made zips).
    wide: list[import_wide.WideFile] = []
    #: free_text.csv of an admin export (respondent, item, text; indexed by file line), or None.
    free_text: pd.DataFrame | None = None


def _data_frame(archive: zipfile.ZipFile, names: set[str], limits: ImportLimits) -> tuple[pd.DataFrame, str]:
    """The long data and the file it is named by in messages: data.parquet and data.csv
    must agree when both are present (`check_agreement`), else the one present is read."""
    frames: dict[str, pd.DataFrame] = {}
    if "data.parquet" in names:
        data = read_member(archive, "data.parquet", limits.max_member_bytes)
        # All columns when data.csv is there too, so every column is compared.
        wanted = None if "data.csv" in names else _KNOWN_COLUMNS
        frames["data.parquet"] = parquet_frame(data, "data.parquet", wanted, limits)
    if "data.csv" in names:
        frames["data.csv"] = csv_frame(archive, "data.csv", limits)
    if not frames:
        raise ImportError_(_("the zip holds neither data.parquet nor data.csv"))
    for frame in frames.values():
        # Row n of the data is line n + 2 of data.csv (line 1 is the header), and the same
        # number is used for Parquet so messages agree whichever file was read.
        frame.index = pd.RangeIndex(2, len(frame) + 2)
    file = "data.parquet" if "data.parquet" in frames else "data.csv"
    frame = frames[file]
    # The text of the file read is checked; the other must agree with it cell by cell.
    check_text(frame, file, limits)
    if len(frames) == 2:
        check_agreement(frames["data.csv"], frames["data.parquet"], "data.csv", "data.parquet")
    frame = frame[[c for c in frame.columns if c in _KNOWN_COLUMNS]]
    if file == "data.csv" and "value" in frame.columns:
        # Keep text that is not a number, so validate_tidy names the row.
        numbers = pd.to_numeric(frame["value"].replace("", None), errors="coerce")
        frame = frame.assign(value=numbers.where(numbers.notna() | (frame["value"] == ""), frame["value"]))
    return frame, file


def _read_zip(path: Path, limits: ImportLimits) -> _ZipContent:
    """Read and verify the zip at `path` (checksums first, then instruments and data)."""
    with zipfile.ZipFile(path) as archive:
        check_archive(archive, path.name, limits)
        seal = verify_archive(archive, limits)
        names = set(archive.namelist())
        instruments = {}
        for name in sorted(names):
            if name.startswith("instruments/") and name.endswith(".json"):
                stem = Path(name).stem
                if not re.fullmatch(r"[0-9a-f]{64}", stem):
                    raise ImportError_(_("%(file)s: not a questionnaire version (the name must be its 64-digit hash)") % {"file": name})
                instruments[stem] = read_member(archive, name, limits.max_instrument_bytes).decode("utf-8")
        frame, data_file = _data_frame(archive, names, limits)
        wide_files: list[import_wide.WideFile] = []
        if import_wide.wide_members(names):
            decoded = {version: _instrument(version, text) for version, text in instruments.items()}
            wide_files = import_wide.read_wide(archive, names, decoded, limits)
        free_text = csv_frame(archive, FREE_TEXT, limits) if FREE_TEXT in names else None
    return _ZipContent(frame=frame, instruments=instruments, seal=seal, data_file=data_file, wide=wide_files, free_text=free_text)


def _instrument(version: str, content: str) -> Instrument:
    """The questionnaire version in instruments/<version>.json, or a refusal saying why not."""
    file = f"instruments/{version}.json"
    try:
        instrument = decode_instrument(content)
    except msgspec.DecodeError as exc:
        raise ImportError_(_("%(file)s: not a questionnaire version of this system (%(detail)s)") % {"file": file, "detail": exc}) from None
    if content_hash(instrument) != version:
        raise ImportError_(_("%(file)s: content does not match its hash") % {"file": file})
    codes = [("code", instrument.code, 64), *(("items", item.code, 128) for item in instrument.items)]
    for field, code, longest in codes:
        if not (0 < len(code) <= longest and re.fullmatch(r"[\w.+\-]+", code)):
            raise ImportError_(
                _("%(file)s: %(field)s: %(code)s is not a code (1-%(longest)s letters, digits, - _ . +)")
                % {"file": file, "field": field, "code": repr(code[:40]), "longest": longest}
            )
    return instrument


def _fail(rows: pd.Index | list, reason: str) -> None:
    shown = ", ".join(str(r) for r in list(rows)[:5])
    raise ImportError_(_("row %(rows)s: %(reason)s") % {"rows": shown, "reason": reason})


def _answers_for(tidy: pd.DataFrame, instruments: dict[str, Instrument]) -> list[tuple[str, str, object, str | None]]:
    """(respondent, item, value, missing) per answer to store; refuses rows the instrument cannot hold."""
    out: list[tuple[str, str, object, str | None]] = []
    item_codes = {v: {i.code: i for i in inst.items} for v, inst in instruments.items()}
    by_kind = {v: defaultdict(dict) for v in instruments}
    for version, instrument in instruments.items():
        for item in instrument.items:
            by_kind[version][item.kind][item.measure] = item.code
    unknown_version = ~tidy["instrument_version"].isin(list(instruments))
    if unknown_version.any():
        _fail(tidy.index[unknown_version.to_numpy()], _("%(column)s: not among the zip's instruments/") % {"column": "instrument_version"})
    ranks: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    experience: dict[tuple[str, str], str] = {}
    for line, row in zip(tidy.index, tidy.itertuples(index=False), strict=True):
        codes = item_codes[row.instrument_version]
        missing = None if pd.isna(row.missing) else row.missing
        if row.kind == "rank":
            base = row.item[: -(len(row.measure) + 1)] if isinstance(row.measure, str) else ""
            if base not in codes:
                _fail([line], _("item '%(item)s' is not a ranking item of this questionnaire") % {"item": row.item})
            ranks[(row.respondent, base)].append((row.value, row.measure))
        else:
            if row.item not in codes:
                _fail([line], _("item '%(item)s' is not in questionnaire version %(version)s") % {"item": row.item, "version": row.instrument_version[:12]})
            if codes[row.item].kind != row.kind:
                # A wrong kind would store a choice where a number belongs (or fail unclearly).
                _fail(
                    [line],
                    _("kind: '%(kind)s' does not match item '%(item)s', whose kind is '%(expected)s'")
                    % {"kind": row.kind, "item": row.item, "expected": codes[row.item].kind},
                )
            if row.kind == "rating":
                value = None if missing else int(round(row.value))
            else:
                value = None if missing else row.choice
            out.append((row.respondent, row.item, value, missing))
        if isinstance(row.experience, str) and isinstance(row.measure, str):
            experience[(row.respondent, row.measure, row.instrument_version)] = row.experience  # type: ignore[index]
    for (respondent, base), entries in ranks.items():
        out.append((respondent, base, [m for _rank, m in sorted(entries)], None))
    first = tidy.drop_duplicates("respondent")
    for row in first.itertuples(index=False):
        for kind in ("gender", "age_band"):
            value = getattr(row, kind)
            code = by_kind[row.instrument_version][kind].get(None)
            if isinstance(value, str):
                if code is None:
                    _fail([first.index[0]], _("%(column)s: the questionnaire has no %(column)s item") % {"column": kind})
                out.append((row.respondent, code, value, None))
    # "Never met coercion" shows as experience "none" on every measure row; the answer
    # that says so is what brings it back, also for measures without an experience item.
    rows_with_measure = tidy[tidy["measure"].notna() & (tidy["kind"] != "paired")]
    # Empty experience (not given, or generalised by the export) is not "none".
    all_none = rows_with_measure.groupby("respondent")["experience"].agg(lambda s: bool(s.notna().all() and (s == "none").all()))
    for row in first.itertuples(index=False):
        code = by_kind[row.instrument_version]["coercion_any"].get(None)
        if code is not None and all_none.get(row.respondent, False):
            out.append((row.respondent, code, "no", None))
    for (respondent, measure, version), value in experience.items():  # type: ignore[misc]
        code = by_kind[version]["experience"].get(measure)
        if code is not None:
            out.append((respondent, code, value, None))
    return out


def _free_text_answers(
    texts: pd.DataFrame, people: pd.DataFrame, instruments: dict[str, Instrument], limits: ImportLimits
) -> list[tuple[str, str, object, str | None]]:
    """The free-text answers of free_text.csv (an admin export), checked: known respondent,
    a free-text item of their questionnaire, once each, within the item's length, no
    control characters but line breaks and tabs."""
    texts = texts.copy()
    texts.index = pd.RangeIndex(2, len(texts) + 2)
    if list(texts.columns) != ["respondent", "item", "text"]:
        raise ImportError_(_("%(file)s, header: expected the columns respondent, item, text") % {"file": FREE_TEXT})
    check_text(texts[["respondent", "item"]], FREE_TEXT, limits)
    out: list[tuple[str, str, object, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for line, rid, item, text in texts.itertuples():
        where = _("%(file)s, row %(row)s") % {"file": FREE_TEXT, "row": line}
        if rid not in people.index:
            raise ImportError_(_("%(where)s, column 'respondent': %(value)s is no respondent of the data files") % {"where": where, "value": repr(rid)})
        found = next((i for i in instruments[people.loc[rid, "instrument_version"]].items if i.code == item), None)
        if found is None or found.type != "text":
            raise ImportError_(
                _("%(where)s, column 'item': %(value)s is no free-text item of the respondent's questionnaire") % {"where": where, "value": repr(item)}
            )
        longest = min(found.max_length or MAX_FREE_TEXT, MAX_FREE_TEXT)
        if len(text) > longest:
            raise ImportError_(_("%(where)s, column 'text': longer than %(longest)s characters") % {"where": where, "longest": longest})
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
            raise ImportError_(_("%(where)s, column 'text': control characters (such as NUL) are not allowed") % {"where": where})
        if (rid, item) in seen:
            raise ImportError_(_("%(where)s: respondent %(respondent)s answers %(item)s twice") % {"where": where, "respondent": rid, "item": item})
        seen.add((rid, item))
        out.append((rid, item, text, None))
    return out


#: One statement per engine for `executemany`; the columns are those of `Answer`.
_INSERT_ANSWERS_SQLITE = 'INSERT INTO "answer" ("response", "item", "value", "missing", "answered_at") VALUES (?, ?, ?, ?, ?)'
_INSERT_ANSWERS_POSTGRES = "INSERT INTO answer (response, item, value, missing, answered_at) VALUES ($1, $2, $3, $4, $5)"


async def _insert_answers(transaction: Any, rows: list[tuple[uuid.UUID, str, str | None, str | None, dt.datetime]]) -> None:
    """Insert answers on the transaction's own connection with one prepared statement.

    Building a Piccolo row object per answer costs about half a millisecond (a minute
    for a hundred thousand answers). The values are those Piccolo would bind: on SQLite,
    Piccolo's adapters (registered with the sqlite3 module) turn UUIDs and timestamps
    into the same text either way; on PostgreSQL asyncpg takes them as they are and the
    JSON as text.
    """
    connection = transaction.connection
    if isinstance(current_engine(), SQLiteEngine):
        for start in range(0, len(rows), 10_000):
            await connection.executemany(_INSERT_ANSWERS_SQLITE, rows[start : start + 10_000])
    else:
        await connection.executemany(_INSERT_ANSWERS_POSTGRES, rows)


def _datetime(value: object) -> dt.datetime:
    """A timestamp as the database driver takes it (pandas keeps them as its own type)."""
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]


def _from_wide(
    read: "_ZipContent", tidy: pd.DataFrame, long_people: pd.DataFrame, instruments: dict[str, Instrument], limits: ImportLimits
) -> tuple[pd.DataFrame, list[tuple[str, str, object, str | None]]]:
    """Respondents and answers of a /3 export from its wide files, checked against the long file."""
    parts = [import_wide.decode(wide_file, instruments[wide_file.version], long_people) for wide_file in read.wide]
    people = pd.concat([part.people for part in parts])
    repeated = people.index.duplicated()
    if repeated.any():
        rid = people.index[repeated][0]
        raise ImportError_(
            _("respondent %(respondent)s: in more than one wide file (%(files)s)") % {"respondent": rid, "files": ", ".join(people.loc[[rid], "file"])}
        )
    decoded = import_wide.Decoded(people, [answer for part in parts for answer in part.answers])
    import_wide.check_long_agrees(tidy, read.data_file, decoded, instruments)
    # tidy_from_answers has no study or period, so the long file's are compared here.
    shared = long_people.index.intersection(people.index)
    for column in ("study", "period"):
        differs = long_people.loc[shared, column].astype(str) != people.loc[shared, column].astype(str)
        if differs.any():
            rid = differs.index[differs.to_numpy()][0]
            raise ImportError_(
                _(
                    "%(long_file)s and %(wide_file)s disagree: respondent %(respondent)s, column '%(column)s': "
                    "%(in_long)s in %(long_file)s, %(in_wide)s in %(wide_file)s (row %(row)s)"
                )
                % {
                    "long_file": read.data_file,
                    "wide_file": people.loc[rid, "file"],
                    "respondent": rid,
                    "column": column,
                    "in_long": repr(long_people.loc[rid, column]),
                    "in_wide": repr(people.loc[rid, column]),
                    "row": people.loc[rid, "line"],
                }
            )
    starts = {}
    for period in people["period"].unique():
        try:
            starts[period] = period_start(str(period))
        except ValueError:
            rows = people.loc[people["period"] == period, "line"]
            raise ImportError_(
                _("%(file)s, row %(row)s, column 'period': expected YYYY-Qn (quarter) or YYYY-Www (ISO week)")
                % {"file": people.loc[rows.index[0], "file"], "row": rows.iloc[0]}
            ) from None
    answers = decoded.answers
    if read.free_text is not None:
        # Free text counts among the stored answers that flag_fast divides by.
        texts = _free_text_answers(read.free_text, people, instruments, limits)
        people["answers"] = people["answers"] + pd.Series([t[0] for t in texts], dtype=object).value_counts().reindex(people.index, fill_value=0)
        answers = [*answers, *texts]
    people["submitted_at"] = people["period"].map(starts)
    people["started_at"] = [
        import_wide.started_at(at, bool(fast), int(n)) for at, fast, n in zip(people["submitted_at"], people["flag_fast"], people["answers"], strict=True)
    ]
    return people, answers


class _Checked(msgspec.Struct):
    """Everything an import writes, read and checked: what `read_and_check` hands to the
    transaction."""

    read: _ZipContent
    instruments: dict[str, Instrument]
    tidy: pd.DataFrame
    people: pd.DataFrame
    answers: list[tuple[str, str, object, str | None]]
    studies: list[str]


async def import_export(path: Path, limits: ImportLimits = ImportLimits()) -> ImportReport:
    """Import the export zip at `path` within `limits`; raise ImportError_ naming file, row and reason.

    Reading and checking the zip is CPU work that takes seconds for a large export, so it
    runs in a worker thread (`read_and_check` touches no database); the event loop keeps
    answering other requests meanwhile, and only the writing runs on it, on the app's own
    database connections.
    """
    checked = await anyio.to_thread.run_sync(read_and_check, path, limits)
    return await _write(checked)


def read_and_check(path: Path, limits: ImportLimits = ImportLimits()) -> _Checked:
    """Read and check the export zip at `path` within `limits`, storing nothing; raise
    ImportError_ naming file, row and reason."""
    try:
        read = _read_zip(path, limits)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        if isinstance(exc, ImportError_):
            raise
        raise ImportError_(_("%(file)s: not a readable export (%(detail)s)") % {"file": path.name, "detail": exc}) from None
    frame, contents = read.frame, read.instruments
    instruments = {version: _instrument(version, text) for version, text in contents.items()}
    # Exports before the period column carried the ISO week as `week`.
    time = "period" if "period" in frame.columns or "week" not in frame.columns else "week"
    for column in ("study", time, "respondent"):
        if column not in frame.columns:
            raise ImportError_(_("column '%(column)s': missing") % {"column": column})
    empty_period = frame[time].isna() | (frame[time].astype(str) == "")
    if empty_period.any():
        _fail(frame.index[empty_period.to_numpy()], _("%(column)s: must not be empty") % {"column": time})
    extra = frame[["study", time]].rename(columns={time: "period"})
    try:
        tidy = validate_tidy(frame)
    except TidyDataError as exc:
        raise ImportError_(tidy_reason(exc)) from None
    tidy.index = frame.index
    seal = read.seal
    if seal is not None and seal.data_sha256 and seal.format in HASHED_FORMATS:
        # The files match their checksums; this catches a manifest whose data hash was
        # not written from these rows (edited by hand, or another export's manifest).
        actual = data_hash(tidy)
        if actual != seal.data_sha256:
            raise ImportError_(
                _("manifest.json: data_sha256 (%(listed)s…) is not the hash of the rows of %(file)s (%(actual)s…)")
                % {"listed": seal.data_sha256[:12], "file": read.data_file, "actual": actual[:12]}
            )
    for column in ("study", "period"):
        varies = extra.groupby(tidy["respondent"])[column].nunique() > 1
        if varies.any():
            name = time if column == "period" else column
            _fail(
                frame.index[tidy["respondent"].isin(varies.index[varies]).to_numpy()],
                _("%(column)s: must be the same on all rows of a respondent") % {"column": name},
            )
    starts: dict[object, dt.datetime] = {}
    for period in extra["period"].unique():
        try:
            starts[period] = period_start(str(period))
        except ValueError:
            _fail(
                frame.index[(extra["period"] == period).to_numpy()],
                _("%(column)s: expected YYYY-Qn (quarter) or YYYY-Www (ISO week)") % {"column": time},
            )
    empty_study = extra["study"].isna() | (extra["study"].astype(str) == "")
    if empty_study.any():
        _fail(frame.index[empty_study.to_numpy()], _("%(column)s: must not be empty") % {"column": "study"})
    long_people = (
        tidy.assign(study=extra["study"].astype(str), period=extra["period"].astype(str))
        .drop_duplicates("respondent")
        .set_index("respondent")[["study", "site", "setting", "group", "instrument_version", "period"]]
    )
    if read.wide:
        people, answers = _from_wide(read, tidy, long_people, instruments, limits)
    else:
        # A /2 export (or a hand-made zip): what the long file holds comes back.
        answers = _answers_for(tidy, instruments)
        people = long_people.assign(design_slot=0)
        people["submitted_at"] = people["period"].map(starts)
        people["started_at"] = people["submitted_at"]
        if read.free_text is not None:
            answers += _free_text_answers(read.free_text, people, instruments, limits)
    studies = sorted(set(people["study"]))
    return _Checked(read=read, instruments=instruments, tidy=tidy, people=people, answers=answers, studies=studies)


async def _write(checked: _Checked) -> ImportReport:
    """Store a checked import in one transaction (nothing if any part is refused)."""
    read, instruments, people, answers, studies = checked.read, checked.instruments, checked.people, checked.answers, checked.studies
    contents = read.instruments
    async with write_transaction() as transaction:
        for study_code in studies:
            if await Study.exists().where(Study.code == study_code):
                raise ImportError_(_("study '%(study)s' already exists: import into a database without it") % {"study": study_code})
        version_ids = {}
        for version, content in contents.items():
            await InstrumentVersion.insert(
                InstrumentVersion(instrument=instruments[version].code, content_hash=version, content=content)
            ).on_conflict(target=InstrumentVersion.content_hash, action="DO NOTHING").run()
            row = await InstrumentVersion.select(InstrumentVersion.id).where(InstrumentVersion.content_hash == version).first()
            version_ids[version] = row["id"]  # type: ignore[index]
        # Imported studies start closed: they hold past data, not a running fieldwork.
        study_ids = {
            code: (await Study.insert(Study(code=code, name=code, is_open=False)).returning(Study.id))[0]["id"] for code in studies
        }
        site_ids = {}
        for study_code, site, setting in people[["study", "site", "setting"]].drop_duplicates(["study", "site"]).itertuples(index=False):
            site_ids[(study_code, site)] = (
                await Site.insert(Site(study=study_ids[study_code], code=site, name=site, setting=setting)).returning(Site.id)
            )[0]["id"]
        new_ids = {r: uuid.uuid4() for r in people.index}
        submitted = {rid: _datetime(at) for rid, at in people["submitted_at"].items()}
        language = {v: (inst.languages[0] if inst.languages else "da") for v, inst in instruments.items()}
        response_rows = [
            Response(
                id=new_ids[row.Index],
                study=study_ids[row.study],
                site=site_ids[(row.study, row.site)],
                instrument_version=version_ids[row.instrument_version],
                respondent_group=row.group,
                setting=row.setting,
                language=language[row.instrument_version],
                design_slot=int(row.design_slot),
                started_at=_datetime(row.started_at),
                submitted_at=_datetime(row.submitted_at),
            )
            for row in people.itertuples()
        ]
        for start in range(0, len(response_rows), 500):
            await Response.insert(*response_rows[start : start + 500]).run()
        answer_rows = [
            (new_ids[respondent], item, None if value is None else msgspec.json.encode(value).decode(), missing, submitted[respondent])
            for respondent, item, value, missing in answers
        ]
        await _insert_answers(transaction, answer_rows)
    return ImportReport(
        study=", ".join(studies),
        respondents=len(new_ids),
        answers=len(answer_rows),
        rows=len(checked.tidy),
        verified_files=None if read.seal is None else len(read.seal.files),
    )
