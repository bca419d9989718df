"""The wide files: one row per respondent, one column per codebook variable, per questionnaire version.

Columns: respondent, study, site, setting, group, period, then every codebook variable of
the version except free text, in codebook order, then the quality flags
(`server.workspace.export.quality`). Every cell is a number:

- single choice and Likert: the option's fixed code (`surveys.codes`), generalised values
  (k-anonymity) their own code;
- multiple choice: one 0/1 variable per option;
- ranking: one variable per measure, its position (1 = least intrusive);
- paired comparison: the chosen measure's fixed number;
- 0-100 ratings and numeric answers: the number;
- missing kinds as their negative codes (`surveys.codes.MISSING_KINDS`): don't know and
  prefer not to answer as stored; suppressed where k-anonymity took the value; not asked
  where setting, study features, the paired design or skip logic (`surveys.routing`, on the
  respondent's own answers) did not show the item; not answered where it was shown and
  nothing was saved. A stored answer always wins over routing: it was given.

study, site, setting and group are numbered too: group and setting by their fixed codes,
study and site 1.. in sorted order of their codes within the export (the codebook lists them).
The period stays text (2026-Q1), as in the long file.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from server.workspace.export.labelled import ColumnSpec, write_labelled
from surveys import codes
from surveys.codebook import Codebook, wide_variables
from surveys.model import Instrument, Item
from surveys.routing import Context, RouteStep, route_plan, visible_codes

#: Numeric code of each missing kind.
MISSING: Final = {kind.code: kind.numeric for kind in codes.MISSING_KINDS.values()}
DONT_KNOW: Final = MISSING["dont_know"]
SUPPRESSED: Final = MISSING["suppressed"]
NOT_ASKED: Final = MISSING["not_asked"]
NOT_ANSWERED: Final = MISSING["not_answered"]

#: Respondent columns that open every wide row.
RESPONDENT_COLUMNS: Final = ("respondent", "study", "site", "setting", "group", "period")
#: Item kinds whose answer is a background quasi-identifier (k-anonymity).
BACKGROUND_KINDS: Final = ("age_band", "gender", "profession", "years_experience", "relation")
#: Item kinds hidden with the experience pattern: "never met coercion" implies none of
#: every measure, so the one answer tells the whole pattern.
EXPERIENCE_KINDS: Final = ("experience", "coercion_any")
#: Item types without a wide variable (free text never leaves as a number).
SKIPPED_TYPES: Final = ("text",)


class WideError(ValueError):
    """A stored answer has no code in the codebook (the message names item and value)."""


@dataclass(frozen=True)
class _ItemColumns:
    """Where one item's answer goes: its columns and how its value becomes numbers."""

    item: Item
    columns: list[int]
    #: single/likert/paired: stored code -> number.
    coding: dict[str, int] = field(default_factory=dict)
    #: multiple/ranking: option (measure) code -> offset in `columns`.
    offsets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WideLayout:
    """The wide columns of one questionnaire version and how to fill them."""

    instrument: Instrument
    version: str
    names: list[str]
    items: list[_ItemColumns]
    #: Columns of background items by kind (k-anonymity), with their item's coding.
    background: dict[str, _ItemColumns]
    #: Columns hidden when the experience pattern is generalised.
    experience_columns: list[int]
    #: `items` by item code.
    by_code: dict[str, _ItemColumns] = field(default_factory=dict)
    #: Items whose answer a skip rule reads, in a fixed order.
    controlling: tuple[str, ...] = ()
    #: Items asked, by plan and answers to `controlling` (see `encode`).
    visible_cache: dict[tuple[Any, ...], list[str]] = field(default_factory=dict)
    #: The plans named in `visible_cache`, kept alive so their ids stay theirs.
    plans: dict[int, Any] = field(default_factory=dict)
    #: First column of each item a skip rule on a background answer can hide: its "not
    #: asked" tells that answer, so k-anonymity must see it (see `background_routing`).
    background_routed: dict[str, int] = field(default_factory=dict)
    #: The codes of the background items (their answers are what `background_routed` tells).
    background_items: frozenset[str] = frozenset()
    #: The steps of each plan in `plans` that are in `background_routed`, by the plan's id.
    routed_steps: dict[int, list[RouteStep]] = field(default_factory=dict)


def _coding(item: Item, labels: Sequence[Any]) -> dict[str, int]:
    if item.type == "paired":
        return {m: codes.measure_number(m) for m in (item.measure, item.measure_b) if m is not None}
    option_set = codes.option_set_for_kind(item.kind)
    if option_set is not None:
        return codes.option_codes(option_set)
    # A kind without a catalogue set: the codebook's own numbering is the coding.
    return {label.code: label.numeric for label in labels}


def layout_for(instrument: Instrument, codebook: Codebook) -> WideLayout:
    """The wide layout of a version: one column per codebook variable (free text aside),
    in codebook order. Raises WideError when codebook and instrument disagree."""
    by_item: dict[str, list[int]] = {}
    names: list[str] = []
    labels: dict[str, Sequence[Any]] = {}
    parts: dict[str, list[str | None]] = {}
    for variable in codebook.variables:
        if variable.type in SKIPPED_TYPES:
            continue
        by_item.setdefault(variable.item, []).append(len(names))
        parts.setdefault(variable.item, []).append(getattr(variable, "option", None))
        labels.setdefault(variable.item, variable.value_labels)
        names.append(variable.name)
    items: list[_ItemColumns] = []
    background: dict[str, _ItemColumns] = {}
    experience: list[int] = []
    for item in instrument.items:
        if item.type in SKIPPED_TYPES:
            continue
        columns = by_item.get(item.code)
        if columns is None:
            raise WideError(f"codebook {codebook.instrument}-{codebook.version[:12]}: no variable for item '{item.code}'")
        expected = len(item.options) if item.type in ("multiple", "ranking") else 1
        if len(columns) != expected:
            raise WideError(f"codebook: item '{item.code}' has {len(columns)} variables, expected {expected}")
        if expected > 1 and any(p is not None and p != o.code for p, o in zip(parts[item.code], item.options, strict=True)):
            raise WideError(f"codebook: the variables of item '{item.code}' are not in the order of its options")
        spec = _ItemColumns(
            item=item,
            columns=columns,
            coding=_coding(item, labels[item.code]) if item.type in ("single", "likert", "paired") else {},
            offsets={o.code: n for n, o in enumerate(item.options)} if item.type in ("multiple", "ranking") else {},
        )
        items.append(spec)
        if item.kind in BACKGROUND_KINDS:
            background.setdefault(item.kind, spec)
        if item.kind in EXPERIENCE_KINDS:
            experience.extend(columns)
    controlling = tuple(sorted({c.item for item in instrument.items for c in item.show_if}))
    background_items = {item.code for item in instrument.items if item.kind in BACKGROUND_KINDS}
    routed = {spec.item.code: spec.columns[0] for spec in items if any(c.item in background_items for c in spec.item.show_if)}
    return WideLayout(
        instrument, codebook.version, names, items, background, experience, {spec.item.code: spec for spec in items}, controlling,
        background_routed=routed, background_items=frozenset(background_items),
    )




@dataclass(frozen=True)
class Encoded:
    """One respondent's wide values, and what the non-response flag needs."""

    values: np.ndarray
    shown: int
    without_value: int
    #: The items the setting and design gave this respondent but a skip rule on a
    #: background answer hid, joined by ";": a quasi-identifier, since "not asked" there
    #: gives the background answer back (items the design did not assign tell nothing).
    background_routing: str = ""


def _fill(spec: _ItemColumns, raw: Any, row: list[float]) -> bool:
    """Write an answered item's value; False when it carries none (an empty ranking, or
    an option that is a missing kind in the data: allowed "don't know")."""
    item, columns = spec.item, spec.columns
    kind = item.type
    if kind in ("vas", "numeric"):
        row[columns[0]] = float(raw)
        return True
    if kind == "multiple":
        for column in columns:
            row[column] = 0.0
        for code in raw if isinstance(raw, list) else [raw]:
            if code not in spec.offsets:
                raise WideError(f"item '{item.code}': stored option '{code}' is not an option of the item")
            row[columns[spec.offsets[code]]] = 1.0
        return True
    if kind == "ranking":
        ranked = raw if isinstance(raw, list) else [raw]
        for column in columns:
            row[column] = NOT_ANSWERED
        for position, code in enumerate(ranked, start=1):
            if code not in spec.offsets:
                raise WideError(f"item '{item.code}': ranked measure '{code}' is not an option of the item")
            row[columns[spec.offsets[code]]] = position
        return bool(ranked)
    try:
        number = spec.coding[str(raw)]
    except KeyError:
        raise WideError(f"item '{item.code}': stored value '{raw}' has no code in the codebook") from None
    row[columns[0]] = number
    return number >= 0


#: Distinct (plan, skip-rule answers) combinations remembered per layout.
_VISIBLE_CACHE_SIZE: Final = 20_000


def _frozen(saved: tuple[Any, str | None] | None) -> Any:
    if saved is None:
        return None
    value, missing = saved
    return (tuple(value) if isinstance(value, list) else value, missing)


def encode(
    layout: WideLayout, answers: Mapping[str, tuple[Any, str | None]], setting: str, slot: int, features: frozenset[str]
) -> Encoded:
    """One respondent's wide values (before k-anonymity) from their stored answers
    (item -> (decoded value, missing code)) and the session's setting, design slot and
    study features."""
    plan = route_plan(layout.instrument, Context(setting=setting, slot=slot, features=features))
    # What is asked depends on the plan and on the answers that skip rules read, which
    # most respondents share: cache it by those (plans are cached and shared, so `id`
    # names one for as long as the layout lives).
    key = (id(plan), *(_frozen(answers.get(code)) for code in layout.controlling))
    visible = layout.visible_cache.get(key)
    if visible is None:
        visible = visible_codes(plan, answers)
        if len(layout.visible_cache) < _VISIBLE_CACHE_SIZE:
            layout.visible_cache[key] = visible
    # Kept alive with the layout, so its id keeps naming it in the caches keyed by plan id.
    layout.plans.setdefault(id(plan), plan)
    by_code = layout.by_code
    # A list, not an array: setting Python floats one by one is several times faster.
    row: list[float] = [float(NOT_ASKED)] * len(layout.names)
    shown = 0
    for code in visible:
        spec = by_code.get(code)
        if spec is None:  # free text
            continue
        shown += 1
        for column in spec.columns:
            row[column] = NOT_ANSWERED
    without = shown
    asked = set(visible)
    for code, (raw, missing) in answers.items():
        spec = by_code.get(code)
        if spec is None:
            continue
        if missing is not None:
            if missing not in MISSING:
                raise WideError(f"item '{code}': unknown missing code '{missing}'")
            for column in spec.columns:
                row[column] = MISSING[missing]
        elif _fill(spec, raw, row) and code in asked:
            without -= 1
    routing = ""
    if layout.background_routed:
        steps = layout.routed_steps.get(id(plan))
        if steps is None:
            steps = layout.routed_steps[id(plan)] = [step for step in plan if step.code in layout.background_routed]
        routing = ";".join(step.code for step in steps if _hidden_by_background(step, layout.background_items, answers))
    return Encoded(np.array(row, dtype="float64"), shown, without, routing)


def _hidden_by_background(step: RouteStep, background_items: frozenset[str], answers: Mapping[str, tuple[Any, str | None]]) -> bool:
    """Whether a condition of `step` on a background answer fails (as surveys.routing reads
    it: background items come first and are always asked); conditions on other answers,
    such as "ever met coercion", tell nothing about the background and are not read."""
    for condition in step.show_if:
        if condition.item not in background_items:
            continue
        saved = answers.get(condition.item)
        answered = saved is not None and saved[1] is None
        value = saved[0] if answered else None  # type: ignore[index]
        values = value if isinstance(value, list) else [value]
        if condition.none_of:
            holds = not (answered and any(v in condition.none_of for v in values))
        else:
            holds = answered and any(v in condition.any_of for v in values)
        if not holds:
            return True
    return False


def anonymise(
    values: np.ndarray,
    layout: WideLayout,
    background: Mapping[str, Sequence[Any]],
    original: Mapping[str, Sequence[Any]],
    experience_hidden: np.ndarray,
) -> np.ndarray:
    """The wide values after k-anonymity (a copy; rows as in `values`).

    `background[kind]` is each respondent's exported value of a background kind and
    `original[kind]` the stored one: where they differ the cell becomes the generalised
    value's code, or suppressed when the exported value is empty or has no code. Where
    `experience_hidden`, every experience variable and "ever met coercion" are suppressed.
    """
    out = values.copy()
    for kind, spec in layout.background.items():
        if kind not in background:
            continue
        column = spec.columns[0]
        for row, (after, before) in enumerate(zip(background[kind], original[kind], strict=True)):
            after = None if after is None or after is pd.NA or (isinstance(after, float) and np.isnan(after)) else str(after)
            before = None if before is None or before is pd.NA or (isinstance(before, float) and np.isnan(before)) else str(before)
            if after == before:
                continue
            out[row, column] = spec.coding.get(after, SUPPRESSED) if after is not None else SUPPRESSED
    if layout.experience_columns and experience_hidden.any():
        rows = np.flatnonzero(experience_hidden)
        out[np.ix_(rows, layout.experience_columns)] = SUPPRESSED
    return out


def nonresponse_counts(layout: WideLayout, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of exported wide values: items asked (a cell other than not asked) and, of
    those, items without a value (not answered, don't know, prefer not to answer; a
    suppressed cell held a value). Read from the cells the export shows, so an import
    that restores the cells gives the same flag_nonresponse."""
    shown = np.zeros(len(values), dtype=np.int64)
    without = np.zeros(len(values), dtype=np.int64)
    for spec in layout.items:
        cells = values[:, spec.columns]
        asked = ~(cells == NOT_ASKED).all(axis=1)
        has_value = ((cells >= 0) | (cells == SUPPRESSED)).any(axis=1)
        shown += asked
        without += asked & ~has_value
    return shown, without


def frame(
    layout: WideLayout, respondent: pd.DataFrame, values: np.ndarray, flags: np.ndarray, flag_names: Sequence[str]
) -> pd.DataFrame:
    """The wide frame: `respondent` holds RESPONDENT_COLUMNS (already coded), one row per
    row of `values` and `flags`."""
    data: dict[str, Any] = {c: respondent[c].to_numpy() for c in RESPONDENT_COLUMNS}
    for n, name in enumerate(layout.names):
        column = values[:, n] if len(values) else np.empty(0)
        # Whole numbers (codes, positions, most ratings) as integers; a column with a
        # fractional number stays float.
        data[name] = column.astype("int64") if np.array_equal(column, np.round(column)) else column
    for n, name in enumerate(flag_names):
        data[name] = flags[:, n].astype("int64") if len(flags) else np.empty(0, dtype="int64")
    return pd.DataFrame(data)


def row_bytes(values: np.ndarray, flags: np.ndarray, respondent: Sequence[str]) -> bytes:
    """A respondent's wide row as bytes for their content digest (without the id): the
    respondent columns as text, the values and flags as little-endian float64."""
    head = "\x1f".join(respondent).encode("utf-8")
    return head + b"\x1e" + np.asarray(values, dtype="<f8").tobytes() + np.asarray(flags, dtype="<f8").tobytes()


def write_files(
    data: pd.DataFrame, codebook: Codebook, directory: Path, stem: str, formats: Sequence[str], language: str
) -> list[Path]:
    """`<stem>.<format>` for each requested format (csv, parquet, sav, dta), with the
    codebook's variable and value labels in `language` in the statistics files."""
    variables = wide_variables(codebook)
    names = [v.name for v in variables]
    if list(data.columns) != names:
        raise WideError(f"{stem}: columns {list(data.columns)[:8]}... are not the codebook's {names[:8]}...")
    paths = []
    for fmt in ("csv", "parquet", "sav", "dta"):
        if fmt not in formats:
            continue
        path = directory / f"{stem}.{fmt}"
        write_labelled(data, [ColumnSpec.from_variable(v) for v in variables], path, fmt, language)
        paths.append(path)
    return paths
