"""Restoring every answer of a /3 export from its wide files.

A wide file (`wide/<instrument>-<hash12>.parquet` or `.csv`) holds one row per respondent
and one numeric column per codebook variable (`server.workspace.export.wide`). Each
item's cells are decoded through the codebook in the zip (`codebook/<stem>.json`; the
catalogue's codebook of the version when the zip has none):

- single choice, Likert, paired comparison: the code's value label (for a pair, the
  chosen measure, stored as the pair item's answer as the questionnaire stores it);
  generalised values (age band "18-49") are stored as given;
- multiple choice: the options flagged 1, as a list (all 0: the empty list);
- ranking: the measures by position, as an ordered list (unranked measures are -9);
- ratings and numbers: the number;
- -1 / -2 (don't know, prefer not to answer) and -7 (suppressed for anonymity): an answer
  without value carrying that missing kind, so a re-export shows the same code;
- -8 / -9 (not asked, not answered): nothing is stored.
A code without a value label, a number out of range, a missing kind the variable cannot
hold or an empty cell is refused, naming file, row (the line of the CSV file) and column.

What is not stored as an answer is rebuilt so that a re-export writes the same cells:

- the design slot (which paired comparisons a respondent was asked): a slot of the
  balanced design (`surveys.design`) that assigns every pair marked -9 (asked, not
  answered) and with which the routing marks exactly the other pairs -8 (the one
  assigning most of the answered pairs is tried first);
- the timing: `flag_fast` is 1 when a respondent took under FAST_SECONDS_PER_ANSWER
  seconds per stored answer, and the export keeps only that bit, so the import sets
  `submitted_at` to the start of the period and `started_at` to the same instant for a
  flagged respondent (0 seconds) and to an hour, or FAST_SECONDS_PER_ANSWER seconds per
  stored answer if longer, before it otherwise. The same flag then comes out again.
  `flag_straightline` and `flag_nonresponse` follow from the answers themselves; the
  straight-lining flag must agree with the row's ratings, or the file is refused.

Every decoded row is encoded again as the export encodes it (`wide.encode`, with the
questionnaire's routing), and must give back the file's row cell by cell; otherwise the
wide file is inconsistent (e.g. -9 where the routing never asked the item) and refused.
One exception: where an item's routing depends on an answer k-anonymity suppressed or
generalised (the youth questionnaire asks about sedation in danger only from age 15), the
export decided -8 or -9 on the true answer, which the zip no longer holds; there -8 and
-9 are both accepted (both store nothing), and a re-export writes what the routing gives
on the exported answers.
The long file must hold exactly the rows these answers give (`check_long_agrees`).
"""

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

import msgspec
import numpy as np
import pandas as pd

from server.gradation.snapshot import tidy_from_answers
from server.workspace.export import wide
from server.workspace.i18n import _
from server.workspace.import_archive import ImportError_, ImportLimits, check_text, csv_frame, parquet_frame, read_member
from server.workspace.import_verification import check_agreement
from surveys.codebook import Codebook, CodebookError, Variable, build_codebook, item_variables
from surveys.codes import MISSING_KINDS
from surveys.design import assigned_pairs, pair_cycle
from surveys.model import Instrument
from surveys.quality_flags import FAST_SECONDS_PER_ANSWER, is_straightline

WIDE_FILE: Final = re.compile(r"wide/(?P<stem>(?P<instrument>[\w.+\-]+)-(?P<hash>[0-9a-f]{12}))\.(?P<ext>csv|parquet|sav|dta)")
#: Missing kinds by numeric code; not asked / not answered store nothing.
_KINDS: Final = {kind.numeric: kind.code for kind in MISSING_KINDS.values()}
_NOTHING: Final = frozenset({"not_asked", "not_answered"})
NOT_ASKED: Final = MISSING_KINDS["not_asked"].numeric
NOT_ANSWERED: Final = MISSING_KINDS["not_answered"].numeric
FLAGS: Final = ("flag_fast", "flag_straightline", "flag_nonresponse")
#: The wide file's text columns (all others hold numbers).
TEXT_COLUMNS: Final = ("respondent", "period")
#: A respondent not flagged fast took at least this long (or FAST_SECONDS_PER_ANSWER per answer).
_NOT_FAST: Final = dt.timedelta(hours=1)


class WideFile(NamedTuple):
    """One questionnaire version's wide data as read from the zip."""

    stem: str
    #: The file messages name (the Parquet file when both are there).
    file: str
    version: str
    frame: pd.DataFrame
    codebook: Codebook


class Decoded(NamedTuple):
    """What the wide files give: one row per respondent (index: export id; columns
    study, site, setting, group, period, instrument_version, design_slot, flag_fast,
    file, line) and every answer to store (export id, item, value, missing)."""

    people: pd.DataFrame
    answers: list[tuple[str, str, object, str | None]]


def wide_members(names: set[str]) -> dict[str, dict[str, str]]:
    """The wide files of the zip by stem, each with its members by format."""
    out: dict[str, dict[str, str]] = {}
    for name in sorted(names):
        match = WIDE_FILE.fullmatch(name)
        if match:
            out.setdefault(match["stem"], {})[match["ext"]] = name
        elif name.startswith("wide/"):
            raise ImportError_(_("%(file)s: not a wide file of an export (wide/<questionnaire>-<12-digit version>.csv|parquet|sav|dta)") % {"file": name})
    return out


def _version_of(stem: str, file: str, instruments: Mapping[str, Instrument]) -> str:
    match = WIDE_FILE.fullmatch(f"wide/{stem}.csv")
    assert match is not None
    found = [v for v, inst in instruments.items() if v.startswith(match["hash"]) and inst.code == match["instrument"]]
    if len(found) != 1:
        raise ImportError_(
            _("%(file)s: no questionnaire version %(instrument)s %(version)s among the zip's instruments/")
            % {"file": file, "instrument": match["instrument"], "version": match["hash"]}
        )
    return found[0]


def _codebook(archive: zipfile.ZipFile, names: set[str], stem: str, instrument: Instrument, version: str, limits: ImportLimits) -> Codebook:
    """The codebook the wide file was written with: the zip's, else the catalogue's."""
    member = f"codebook/{stem}.json"
    if member not in names:
        return build_codebook(instrument, version)
    try:
        book = msgspec.json.decode(read_member(archive, member, limits.max_instrument_bytes), type=Codebook)
    except msgspec.DecodeError as exc:
        raise ImportError_(_("%(file)s: not a codebook of this system (%(detail)s)") % {"file": member, "detail": exc}) from None
    if book.version != version or book.instrument != instrument.code:
        raise ImportError_(
            _("%(file)s: describes %(instrument)s %(version)s, not %(expected_instrument)s %(expected_version)s")
            % {"file": member, "instrument": book.instrument, "version": book.version[:12], "expected_instrument": instrument.code, "expected_version": version[:12]}
        )
    return book


def read_wide(
    archive: zipfile.ZipFile, names: set[str], instruments: Mapping[str, Instrument], limits: ImportLimits
) -> list[WideFile]:
    """Every wide file in the zip, read within `limits` (columns: `max_wide_columns`); when a
    version has both a CSV and a Parquet file they must agree (`check_agreement`).
    Versions with only .sav / .dta files are not read (the long file serves them)."""
    wide_limits = msgspec.structs.replace(limits, max_columns=limits.max_wide_columns)
    out = []
    for stem, members in wide_members(names).items():
        frames: dict[str, pd.DataFrame] = {}
        if "parquet" in members:
            data = read_member(archive, members["parquet"], limits.max_member_bytes)
            frames[members["parquet"]] = parquet_frame(data, members["parquet"], None, wide_limits)
        if "csv" in members:
            frames[members["csv"]] = csv_frame(archive, members["csv"], wide_limits)
        if not frames:
            continue
        for file, frame in frames.items():
            frame.index = pd.RangeIndex(2, len(frame) + 2)
            # Only the id and the period are text; every other cell must be a number, which
            # decoding checks cell by cell.
            check_text(frame[[c for c in TEXT_COLUMNS if c in frame.columns]], file, limits)
        if len(frames) == 2:
            check_agreement(frames[members["csv"]], frames[members["parquet"]], members["csv"], members["parquet"])
        file = members.get("parquet", members.get("csv"))
        assert file is not None
        version = _version_of(stem, file, instruments)
        codebook = _codebook(archive, names, stem, instruments[version], version, limits)
        out.append(WideFile(stem, file, version, frames[file], codebook))
    return out


def _where(wide_file: WideFile, lines: np.ndarray, column: str) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    if len(lines) == 1:
        return _("%(file)s, row %(rows)s, column '%(column)s'") % {"file": wide_file.file, "rows": shown, "column": column}
    return _("%(file)s, rows %(rows)s, column '%(column)s'") % {"file": wide_file.file, "rows": shown, "column": column}


def _numbers(wide_file: WideFile, column: str) -> np.ndarray:
    """A variable's cells as floats; an empty or non-numeric cell is refused."""
    values = pd.to_numeric(wide_file.frame[column].replace("", None), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    empty = np.isnan(values)
    if empty.any():
        raise ImportError_(
            _("%(where)s: empty or not a number; every cell holds a value or a missing code")
            % {"where": _where(wide_file, wide_file.frame.index[empty].to_numpy(), column)}
        )
    return values


def _no_label(where: str, code: float) -> str:
    return _("%(where)s: code %(code)s has no value label in the codebook") % {"where": where, "code": f"{code:g}"}


def _missing_kinds(variable: Variable, wide_file: WideFile, cells: np.ndarray, lines: np.ndarray) -> list[str]:
    """The missing kind of each negative cell, refusing kinds the variable cannot hold."""
    allowed = {label.numeric for label in variable.missing_codes} | {NOT_ASKED, NOT_ANSWERED}
    bad = ~np.isin(cells, list(allowed))
    if bad.any():
        raise ImportError_(
            _("%(where)s: %(value)s is no missing code of this variable (allowed: %(allowed)s)")
            % {"where": _where(wide_file, lines[bad], variable.name), "value": f"{cells[bad][0]:g}", "allowed": ", ".join(str(n) for n in sorted(allowed))}
        )
    return [_KINDS[int(c)] for c in cells]


def _decode_item(variables: list[Variable], wide_file: WideFile, block: np.ndarray, lines: np.ndarray) -> list[tuple[object, str | None]]:
    """(value, missing) per row of one item's cells; (None, None) stores nothing."""
    first = variables[0]
    out: list[tuple[object, str | None]] = [(None, None)] * len(block)
    if first.type in ("flag", "rank"):
        negative = block < 0
        whole_missing = negative.all(axis=1) & (block == block[:, :1]).all(axis=1)
        if whole_missing.any():
            kinds = _missing_kinds(first, wide_file, block[whole_missing, 0], lines[whole_missing])
            for row, kind in zip(np.flatnonzero(whole_missing), kinds, strict=True):
                out[row] = (None, None if kind in _NOTHING else kind)
        for row in np.flatnonzero(~whole_missing):
            cells = block[row]
            if first.type == "flag":
                if not np.isin(cells, (0, 1)).all():
                    column = variables[int(np.flatnonzero(~np.isin(cells, (0, 1)))[0])].name
                    raise ImportError_(
                        _("%(where)s: a multiple-choice part is 0 or 1, or all parts carry the same missing code") % {"where": _where(wide_file, lines[[row]], column)}
                    )
                out[row] = ([v.option for v, c in zip(variables, cells, strict=True) if c == 1], None)
                continue
            ranked = cells > 0
            positions = np.sort(cells[ranked])
            if not ((cells[~ranked] == NOT_ANSWERED).all() and np.array_equal(positions, np.arange(1, ranked.sum() + 1))):
                raise ImportError_(
                    _("%(where)s: a ranking holds the positions 1, 2, ... once each and -9 for measures not ranked")
                    % {"where": _where(wide_file, lines[[row]], first.name)}
                )
            order = sorted((c, v.option) for v, c in zip(variables, cells, strict=True) if c > 0)
            out[row] = ([option for _position, option in order], None)
        return out
    cells = block[:, 0]
    labelled = {label.numeric: label.code for label in first.value_labels}
    if first.type in ("vas", "numeric"):
        valid = cells >= 0
        low = first.minimum if first.minimum is not None else -np.inf
        high = first.maximum if first.maximum is not None else np.inf
        outside = valid & ((cells < low) | (cells > high))
        if outside.any():
            raise ImportError_(
                _("%(where)s: %(value)s is outside %(minimum)s-%(maximum)s")
                % {"where": _where(wide_file, lines[outside], first.name), "value": f"{cells[outside][0]:g}", "minimum": first.minimum, "maximum": first.maximum}
            )
        for row in np.flatnonzero(valid):
            number = float(cells[row])
            out[row] = (int(number) if number.is_integer() else number, None)
    else:
        valid = np.isin(cells, list(labelled))
        unknown = ~valid & (cells >= 0)
        if unknown.any():
            raise ImportError_(_no_label(_where(wide_file, lines[unknown], first.name), cells[unknown][0]))
        for row in np.flatnonzero(valid):
            out[row] = (labelled[int(cells[row])], None)
    rest = ~valid
    if rest.any():
        kinds = _missing_kinds(first, wide_file, cells[rest], lines[rest])
        for row, kind in zip(np.flatnonzero(rest), kinds, strict=True):
            out[row] = (None, None if kind in _NOTHING else kind)
    return out


def _respondent_codes(wide_file: WideFile, column: str, fallback: pd.Series | None) -> pd.Series:
    """study / site / setting / group of each row as stored text, decoded by the codebook
    (study and site are numbered per export; without their labels the long file tells)."""
    variable = next((v for v in wide_file.codebook.respondent_variables if v.name == column), None)
    labels = {label.numeric: label.code for label in variable.value_labels} if variable is not None else {}
    cells = _numbers(wide_file, column)
    if not labels:
        if fallback is None:
            raise ImportError_(_("%(file)s, column '%(column)s': the codebook lists no labels for it") % {"file": wide_file.file, "column": column})
        return fallback
    unknown = ~np.isin(cells, list(labels))
    if unknown.any():
        raise ImportError_(_no_label(_where(wide_file, wide_file.frame.index[unknown].to_numpy(), column), cells[unknown][0]))
    return pd.Series([labels[int(c)] for c in cells], index=wide_file.frame.index, dtype=object)


def _slots(
    instrument: Instrument,
    setting: str,
    shown: frozenset[str],
    answered: frozenset[str],
    cache: dict[tuple[str, frozenset[str], frozenset[str]], list[int]],
) -> list[int]:
    """The design slots (one design cycle) that assign every pair in `shown` (cells -9:
    asked, not answered), those assigning most of the `answered` pairs first. A pair
    marked -8 may be assigned and still not asked (routing on the answers hides it), and
    an answered pair is exported whether or not the design assigned it, so only the
    export's own encoding (`decode`) tells which candidate is right."""
    key = (setting, shown, answered)
    if key not in cache:
        cycle = pair_cycle(instrument, setting)
        scored = []
        for slot in range(max(len(cycle), 1)):
            assigned = frozenset(item.code for item, _ in assigned_pairs(instrument, setting, slot))
            if shown <= assigned:
                scored.append((-len(answered & assigned), slot))
        cache[key] = [slot for _score, slot in sorted(scored)]
    return cache[key]


def decode(wide_file: WideFile, instrument: Instrument, long_people: pd.DataFrame) -> Decoded:
    """Every answer and respondent of one wide file (see the module docstring).

    `long_people` (index: export id) gives study and site where the codebook does not list them.
    """
    frame, book = wide_file.frame, wide_file.codebook
    names = [v.name for v in [*book.respondent_variables, *(v for v in book.variables if v.type != "text"), *book.flag_variables]]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ImportError_(_("%(file)s: column '%(column)s' missing (the codebook lists it)") % {"file": wide_file.file, "column": missing[0]})
    extra = [str(c) for c in frame.columns if c not in names]
    if extra:
        raise ImportError_(_("%(file)s: column '%(column)s' is not in the codebook") % {"file": wide_file.file, "column": extra[0]})
    lines = frame.index.to_numpy()
    ids = frame["respondent"].astype(object)
    bad_id = ids.isna() | (ids.astype(str) == "") | ids.duplicated()
    if bad_id.any():
        raise ImportError_(_("%(where)s: empty or repeated") % {"where": _where(wide_file, lines[bad_id.to_numpy()], "respondent")})
    ids = ids.astype(str)
    known = ids.isin(long_people.index)
    people = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="respondent"))
    for column in ("study", "site", "setting", "group"):
        fallback = long_people[column].reindex(ids).set_axis(frame.index) if known.all() else None
        people[column] = _respondent_codes(wide_file, column, fallback).to_numpy()
    people["period"] = frame["period"].astype(str).to_numpy()
    people["instrument_version"] = wide_file.version
    flags = {}
    for flag in FLAGS:
        cells = _numbers(wide_file, flag)
        if not np.isin(cells, (0, 1)).all():
            raise ImportError_(_("%(where)s: a quality flag is 0 or 1") % {"where": _where(wide_file, lines[~np.isin(cells, (0, 1))], flag)})
        flags[flag] = cells.astype(int)
    groups = {g for g in people["group"]}
    if groups - {instrument.group}:
        raise ImportError_(
            _("%(file)s, column 'group': %(group)s does not answer %(instrument)s")
            % {"file": wide_file.file, "group": sorted(groups - {instrument.group})[0], "instrument": instrument.code}
        )

    per_item = item_variables(book)
    numbers = {v.name: _numbers(wide_file, v.name) for v in book.variables if v.type != "text"}
    stored: list[dict[str, tuple[Any, str | None]]] = [{} for _row in range(len(frame))]
    for item in instrument.items:
        variables = per_item.get(item.code)
        if item.type == "text" or variables is None:
            continue
        block = np.column_stack([numbers[v.name] for v in variables])
        for row, (value, kind) in enumerate(_decode_item(variables, wide_file, block, lines)):
            if value is not None or kind is not None:
                stored[row][item.code] = (value, kind)

    # Ratings are never anonymised, so the straight-lining flag must follow from them.
    rating_items = [item.code for item in instrument.items if item.kind == "rating"]
    for row in range(len(frame)):
        ratings = [float(stored[row][code][0]) for code in rating_items if code in stored[row] and stored[row][code][1] is None]
        if int(is_straightline(ratings)) != flags["flag_straightline"][row]:
            raise ImportError_(
                _("%(where)s: %(value)s, but the row's %(count)s ratings give %(expected)s")
                % {
                    "where": _where(wide_file, lines[[row]], "flag_straightline"),
                    "value": flags["flag_straightline"][row],
                    "count": len(ratings),
                    "expected": int(is_straightline(ratings)),
                }
            )

    # Rebuild the design slot from the pairs asked, then check that the export's own
    # encoding of the decoded answers gives back every cell of the row.
    try:
        layout = wide.layout_for(instrument, book)
    except (wide.WideError, CodebookError) as exc:
        raise ImportError_(
            _("%(file)s: does not fit questionnaire %(instrument)s (%(detail)s)")
            % {"file": f"codebook/{wide_file.stem}.json", "instrument": instrument.code, "detail": exc}
        ) from None
    values = np.column_stack([numbers[name] for name in layout.names]) if layout.names else np.empty((len(frame), 0))
    pairs = [(item.code, per_item[item.code][0].name) for item in instrument.items if item.type == "paired" and item.code in per_item]
    settings = people["setting"].astype(str).to_numpy()
    cache: dict[tuple[str, frozenset[str], frozenset[str]], list[int]] = {}
    columns_of = {spec.item.code: spec.columns for spec in layout.items}
    options_of = {item.code: {option.code for option in item.options} for item in instrument.items}
    depends = {item.code: {c.item for c in item.show_if} for item in instrument.items if item.show_if}
    slots = []
    for row in range(len(frame)):
        setting = settings[row]
        # Routing on an answer k-anonymity coarsened (suppressed, or generalised to a value
        # the question does not offer) cannot be replayed: the export decided "not asked" or
        # "not answered" on the true answer, so there either cell stores the same (nothing).
        coarse = {code for code, (value, kind) in stored[row].items() if kind == "suppressed" or (isinstance(value, str) and options_of.get(code) and value not in options_of[code])}
        loose = np.zeros(len(layout.names), dtype=bool)
        for code, on in depends.items():
            if on & coarse and code in columns_of:
                loose[columns_of[code]] = True
        shown = frozenset(code for code, name in pairs if numbers[name][row] == NOT_ANSWERED)
        answered = frozenset(code for code, name in pairs if numbers[name][row] not in (NOT_ASKED, NOT_ANSWERED))
        candidates = _slots(instrument, setting, shown, answered, cache)
        encoded = None
        for slot in candidates:
            try:
                attempt = wide.encode(layout, stored[row], setting, slot, frozenset())
            except wide.WideError as exc:
                # A value the zip's codebook decoded but the catalogue has no code for.
                raise ImportError_(f"{_where(wide_file, lines[[row]], 'respondent')}: {exc}") from None
            differs = attempt.values != values[row]
            unasked = np.isin(attempt.values, (NOT_ASKED, NOT_ANSWERED)) & np.isin(values[row], (NOT_ASKED, NOT_ANSWERED))
            if not (differs & ~(loose & unasked)).any():
                encoded = attempt
                slots.append(slot)
                break
        if encoded is None:
            if not candidates:
                raise ImportError_(
                    _("%(where)s: the paired comparisons asked but not answered (-9) fit no slot of the design")
                    % {"where": _where(wide_file, lines[[row]], "respondent")}
                )
            attempt = wide.encode(layout, stored[row], setting, candidates[0], frozenset())
            differs = np.flatnonzero((attempt.values != values[row]) & ~loose)
            differs = differs if len(differs) else np.flatnonzero(attempt.values != values[row])
            column = layout.names[int(differs[0])]
            raise ImportError_(
                _("%(where)s: %(value)s in the file, but the answers decoded from the row give %(expected)s under the questionnaire's coding and routing")
                % {"where": _where(wide_file, lines[[row]], column), "value": f"{values[row][differs[0]]:g}", "expected": f"{attempt.values[differs[0]]:g}"}
            )
    people["design_slot"] = slots
    people["flag_fast"] = flags["flag_fast"].astype(bool)
    people["answers"] = [len(s) for s in stored]
    people["file"] = wide_file.file
    people["line"] = lines
    answers = [(rid, item, value, kind) for rid, row in zip(people.index, stored, strict=True) for item, (value, kind) in row.items()]
    return Decoded(people, answers)


def started_at(submitted: dt.datetime, fast: bool, answers: int) -> dt.datetime:
    """A start time that gives `flag_fast` again for this many stored answers."""
    if fast:
        return submitted
    return submitted - max(_NOT_FAST, dt.timedelta(seconds=FAST_SECONDS_PER_ANSWER * answers + 1))


def _shown(value: object) -> str:
    """A long-file cell as a refusal quotes it."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return _("empty")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(str(value))


def check_long_agrees(long: pd.DataFrame, long_file: str, decoded: Decoded, instruments: Mapping[str, Instrument]) -> None:
    """Refuse unless the long file holds exactly the rows the decoded answers give.

    `long` is the validated long data (tidy columns; row labels are the file's lines).
    The expected rows come from the same `tidy_from_answers` the export uses.
    """
    people = decoded.people
    files = ", ".join(sorted(set(people["file"])))
    both = _("%(long_file)s and %(wide_files)s disagree") % {"long_file": long_file, "wide_files": files}
    meta = {
        (version, item.code): (item.kind, item.type, item.measure, item.measure_b)
        for version, instrument in instruments.items()
        for item in instrument.items
    }
    version_of = people["instrument_version"].to_dict()
    rows = []
    for rid, item, value, kind in decoded.answers:
        version = version_of[rid]
        item_kind, item_type, measure, measure_b = meta[(version, item)]
        rows.append((rid, item, value, kind, item_kind, item_type, measure, measure_b))
    answers = pd.DataFrame.from_records(rows, columns=["respondent", "item", "raw", "missing", "kind", "type", "measure", "measure_b"])
    answers = answers.join(people[["group", "setting", "site", "instrument_version"]], on="respondent")
    expected = tidy_from_answers(answers) if len(answers) else long.iloc[0:0]
    columns = list(expected.columns)
    expected = expected.sort_values(["respondent", "item"], kind="mergesort").reset_index(drop=True)
    actual = long[columns].assign(line=long.index).sort_values(["respondent", "item"], kind="mergesort").reset_index(drop=True)
    unknown = ~actual["respondent"].isin(people.index)
    if unknown.any():
        raise ImportError_(
            _("%(both)s: respondent %(respondent)s (row %(row)s of %(file)s) is in no wide file")
            % {"both": both, "respondent": actual["respondent"][unknown].iloc[0], "row": actual["line"][unknown].iloc[0], "file": long_file}
        )
    keys_expected = expected["respondent"].astype(str) + "\x1f" + expected["item"].astype(str)
    keys_actual = actual["respondent"].astype(str) + "\x1f" + actual["item"].astype(str)
    if len(expected) != len(actual) or not (keys_expected.to_numpy() == keys_actual.to_numpy()).all():
        only_long = sorted(set(keys_actual) - set(keys_expected))
        only_wide = sorted(set(keys_expected) - set(keys_actual))
        if only_long:
            rid, item = only_long[0].split("\x1f")
            line = actual["line"][(keys_actual == only_long[0]).to_numpy()].iloc[0]
            where = _("row %(row)s of %(file)s (respondent %(respondent)s, item %(item)s): the wide file holds no such answer") % {
                "row": line,
                "file": long_file,
                "respondent": rid,
                "item": item,
            }
        elif only_wide:
            rid, item = only_wide[0].split("\x1f")
            line = people.loc[rid, "line"]
            where = _("respondent %(respondent)s, item %(item)s: answered in the wide file (row %(row)s) but no row in %(file)s") % {
                "respondent": rid,
                "item": item,
                "row": line,
                "file": long_file,
            }
        else:
            repeated = actual["line"][keys_actual.duplicated().to_numpy()]
            where = (
                _("row %(row)s of %(file)s repeats an earlier row") % {"row": repeated.iloc[0], "file": long_file}
                if len(repeated)
                else _("a row is repeated")
            )
        raise ImportError_(f"{both}: {where}")
    for column in columns:
        left, right = expected[column], actual[column]
        if column == "value":
            same = (left.to_numpy(dtype="float64", na_value=np.nan) == right.to_numpy(dtype="float64", na_value=np.nan)) | (left.isna() & right.isna()).to_numpy()
        else:
            same = (left.astype(object).where(left.notna(), "") == right.astype(object).where(right.notna(), "")).to_numpy()
        if not same.all():
            at = int(np.flatnonzero(~same)[0])
            rid = expected["respondent"].iloc[at]
            shown_long, shown_wide = _shown(right.iloc[at]), _shown(left.iloc[at])
            raise ImportError_(
                _(
                    "%(both)s: row %(row)s of %(file)s (respondent %(respondent)s, item %(item)s), column '%(column)s': "
                    "%(in_long)s in %(file)s, %(in_wide)s from the wide file (row %(wide_row)s)"
                )
                % {
                    "both": both,
                    "row": actual["line"].iloc[at],
                    "file": long_file,
                    "respondent": rid,
                    "item": expected["item"].iloc[at],
                    "column": column,
                    "in_long": shown_long,
                    "in_wide": shown_wide,
                    "wide_row": people.loc[rid, "line"],
                }
            )
