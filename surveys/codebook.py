"""The codebook of an instrument version: every exported variable, its labels and codes.

Exports carry exactly this content, so a researcher's statistics package and the codebook
always agree. Numeric codes are the fixed ones of `surveys.codes` (the same in every
export and every version); value labels are this version's own wording.

Variables, in questionnaire order:
- one per item; a multiple-choice item gives one 0/1 variable per option and a ranking
  item one position variable per measure (`option` says which);
- a paired item is one variable per pair (`pair_<na>_<nb>` by measure numbers) whose
  value is the number of the measure chosen as less intrusive;
- free text is listed (type "text") but never in the numeric data files.

Names are stat-safe (`[A-Za-z][A-Za-z0-9_]{0,31}`) and derived from the stored item code
only, so the same item has the same name in every version: dots become underscores,
`background.` becomes `bg_`; the parts of a multiple-choice or ranking item end in the
option's or measure's fixed number (`bg_worked_in_3`, `ranking_core_10`); a per-measure
item whose name would be too long uses the measure's number (`rating_m11`).

`respondent_variables` (respondent, study, site, setting, group, period) come first and
`flag_variables` (the data-quality flags) last in a wide file (`wide_variables`).
"""

import csv
import hashlib
import io
import re

import msgspec

from surveys import codes
from surveys.codes import MISSING_KINDS
from surveys.model import Instrument, Item, Text
from surveys.quality_flags import FLAG_DEFINITIONS

#: Numeric codes of the missing kinds (see `surveys.codes.MISSING_KINDS`).
MISSING_VALUE_CODES: dict[str, int] = {code: kind.numeric for code, kind in MISSING_KINDS.items()}
#: Item kinds k-anonymity may suppress: background quasi-identifiers and the experience
#: pattern (its per-measure answers and the "ever met coercion" answer that implies them).
SUPPRESSIBLE_KINDS: tuple[str, ...] = ("age_band", "gender", "profession", "years_experience", "relation", "experience", "coercion_any")
#: What a valid variable name looks like in SPSS, Stata and R alike.
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
#: Longest derived name. Stata allows 32 characters, but the writer names each value label
#: set after its variable plus a running number (up to 4 digits), which must fit in 32 too.
MAX_NAME = 28

_CHOSEN: tuple[Text, Text] = ({"da": "Ikke valgt", "en": "Not chosen"}, {"da": "Valgt", "en": "Chosen"})
_NO_YES: tuple[Text, Text] = ({"da": "Nej", "en": "No"}, {"da": "Ja", "en": "Yes"})


class CodebookError(ValueError):
    """A questionnaire cannot be given a consistent codebook (the message says why)."""


class ValueLabel(msgspec.Struct, frozen=True):
    """One value: its stored code, its fixed numeric code in exports, and its label."""

    code: str
    numeric: int
    label: Text


class Variable(msgspec.Struct, frozen=True):
    """One exported column.

    `item` is the stored item code; `option` the option (multiple choice) or measure
    (ranking) this part of the item stands for. `type`: vas, numeric, likert, single,
    flag (0/1), rank, paired, text, string (respondent, period), code (study, site,
    setting, group). `value_labels` may include a negative code where an option is itself
    a missing kind (allowed: dont_know = -1); `missing_codes` are the other missing kinds
    the variable can hold. `option_set` names the coding in `surveys.codes`.
    """

    name: str
    item: str
    label: Text
    type: str
    kind: str
    measure_level: str
    measure: str | None
    measure_b: str | None
    minimum: int | None
    maximum: int | None
    value_labels: list[ValueLabel]
    missing_codes: list[ValueLabel]
    settings: list[str]
    shown_if: str
    option: str | None = None
    option_set: str | None = None
    definition: Text | None = None


class Codebook(msgspec.Struct, frozen=True):
    """All variables of one instrument version, with the respondent columns and flags."""

    instrument: str
    version: str
    group: str
    languages: list[str]
    variables: list[Variable]
    respondent_variables: list[Variable] = msgspec.field(default_factory=list)
    flag_variables: list[Variable] = msgspec.field(default_factory=list)


def _text(text: Text, languages: list[str], fallback: Text | None = None) -> Text:
    return {lang: text.get(lang) or (fallback or {}).get(lang, "") for lang in languages}


def _missing(item: Item, instrument: Instrument, taken: set[int]) -> list[ValueLabel]:
    languages = instrument.languages
    kinds = list(item.missing_options)
    if item.kind in SUPPRESSIBLE_KINDS:
        kinds.append("suppressed")
    kinds += ["not_asked", "not_answered"]
    labels = []
    for code in kinds:
        kind = MISSING_KINDS[code]
        if kind.numeric in taken:
            continue
        wording = instrument.missing_labels.get(code, {})
        labels.append(ValueLabel(code, kind.numeric, _text(wording, languages, kind.label)))
    return labels


def _shown_if(item: Item) -> str:
    rules = [
        f"{c.item} in ({', '.join(c.any_of)})" if c.any_of else f"{c.item} not in ({', '.join(c.none_of)}) or not answered"
        for c in item.show_if
    ]
    if item.requires:
        rules.append(f"study feature {item.requires}")
    if item.type == "paired":
        rules.append("pair assigned by the balanced design")
    return " and ".join(rules)


def _base_name(item_code: str) -> str:
    code = item_code.removeprefix("background.")
    prefix = "bg_" if code != item_code else ""
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", code)


def _fit(name: str, fallback: str, item_code: str) -> str:
    """`name` if it fits, else `fallback`, else a shortened name with a hash of the item code."""
    for candidate in (name, fallback):
        if len(candidate) <= MAX_NAME:
            return candidate
    digest = hashlib.sha256(item_code.encode()).hexdigest()[:6]
    return f"{fallback[: MAX_NAME - 7]}_{digest}"


def variable_name(item: Item, part_number: int | None = None) -> str:
    """The stat-safe name of an item's variable, or of the part of a multiple-choice or
    ranking item for the option or measure with this fixed number (`bg_worked_in_3`)."""
    if item.type == "paired" and item.measure and item.measure_b:
        return f"pair_{codes.measure_number(item.measure)}_{codes.measure_number(item.measure_b)}"
    base = _base_name(item.code)
    if item.measure and "." in item.code:
        # Per-measure items ("rating.belt_long"): the measure's number if the code is too long.
        head = _base_name(item.code.rsplit(".", 1)[0])
        base = _fit(base, f"{head}_m{codes.measure_number(item.measure)}", item.code)
    if part_number is None:
        return _fit(base, base, item.code)
    # Parts are numbered by the option's (or measure's) fixed code, never by its text, so
    # every part of an item follows one pattern and fits whatever the option is called.
    return _fit(f"{base}_{part_number}", f"{base}_{part_number}", f"{item.code}.{part_number}")


def _level(item: Item, option_set: str | None) -> str:
    if item.type in ("vas", "numeric"):
        return "scale"
    if item.type in ("likert", "ranking"):
        return "ordinal"
    if option_set is not None and codes.is_ordinal(option_set):
        return "ordinal"
    return "nominal"


def _option_labels(item: Item, option_set: str, languages: list[str]) -> list[ValueLabel]:
    labels = [ValueLabel(o.code, codes.option_code(option_set, o.code), _text(o.label, languages)) for o in item.options]
    offered = {o.code for o in item.options}
    for value, generalised in codes.generalised_values(option_set).items():
        # A generalised value only where this version offers what it stands for.
        if offered & set(generalised.members):
            labels.append(ValueLabel(value, generalised.numeric, _text(generalised.label(), languages)))
    return labels


def _variables(item: Item, instrument: Instrument) -> list[Variable]:
    languages = instrument.languages
    option_set = codes.option_set_for_kind(item.kind) if item.type in ("single", "likert", "multiple") else None
    if item.type in ("single", "likert", "multiple") and option_set is None:
        raise CodebookError(f"{instrument.code}: item '{item.code}' (kind '{item.kind}') has no option set in codes.yaml")
    common = {
        "item": item.code,
        "kind": item.kind,
        "settings": list(item.settings),
        "shown_if": _shown_if(item),
    }
    label = _text(item.prompt, languages)
    if item.type == "multiple":
        assert option_set is not None
        flags = [ValueLabel(str(n), n, _text(_CHOSEN[n], languages, _CHOSEN[n])) for n in (0, 1)]
        return [
            Variable(
                name=variable_name(item, codes.option_code(option_set, o.code)),
                label={lang: f"{label[lang]} – {o.label.get(lang, o.code)}" for lang in languages},
                type="flag", measure_level="nominal", measure=None, measure_b=None, minimum=0, maximum=1,
                value_labels=flags, missing_codes=_missing(item, instrument, set()), option=o.code, option_set=option_set,
                **common,  # type: ignore[arg-type]
            )
            for o in item.options
        ]
    if item.type == "ranking":
        return [
            Variable(
                name=variable_name(item, codes.measure_number(o.code)),
                label={lang: f"{label[lang]} – {o.label.get(lang, o.code)}" for lang in languages},
                type="rank", measure_level="ordinal", measure=o.code, measure_b=None, minimum=1, maximum=len(item.options),
                value_labels=[], missing_codes=_missing(item, instrument, set()), option=o.code,
                **common,  # type: ignore[arg-type]
            )
            for o in item.options
        ]
    if item.type == "paired":
        values = [ValueLabel(o.code, codes.measure_number(o.code), _text(o.label, languages)) for o in item.options]
        option_set = "measure"
    elif option_set is not None:
        values = _option_labels(item, option_set, languages)
    else:
        values = []
    numeric = item.type in ("vas", "numeric")
    return [
        Variable(
            name=variable_name(item),
            label=label,
            type=item.type,
            measure_level=_level(item, option_set),
            measure=item.measure,
            measure_b=item.measure_b,
            minimum=item.minimum if numeric else None,
            maximum=item.maximum if numeric else None,
            value_labels=values,
            missing_codes=_missing(item, instrument, {v.numeric for v in values}) if item.type != "text" else [],
            option_set=option_set,
            **common,  # type: ignore[arg-type]
        )
    ]


def _coded(name: str, label: Text, entries: dict[str, codes.Labelled] | dict[str, int], languages: list[str]) -> Variable:
    values = [
        ValueLabel(code, e.numeric, _text(e.label(), languages)) if isinstance(e, codes.Labelled) else ValueLabel(code, e, {lang: code for lang in languages})
        for code, e in entries.items()
    ]
    return Variable(
        name=name, item=name, label=_text(label, languages), type="code", kind="respondent", measure_level="nominal",
        measure=None, measure_b=None, minimum=None, maximum=None, value_labels=values, missing_codes=[], settings=[], shown_if="",
    )


def _string(name: str, label: Text, languages: list[str], level: str) -> Variable:
    return Variable(
        name=name, item=name, label=_text(label, languages), type="string", kind="respondent", measure_level=level,
        measure=None, measure_b=None, minimum=None, maximum=None, value_labels=[], missing_codes=[], settings=[], shown_if="",
    )


def respondent_variables(languages: list[str], studies: list[str] = (), sites: list[str] = ()) -> list[Variable]:  # type: ignore[assignment]
    """The respondent columns of a wide file. Study and site numbers are per export
    (sorted order of their codes, `surveys.codes.per_export_codes`): pass the export's
    studies and sites to list them; group and setting numbers are fixed."""
    return [
        _string("respondent", {"da": "Respondent (id udstedt kun til denne udtrækning)", "en": "Respondent (id issued for this export only)"}, languages, "nominal"),
        _coded("study", {"da": "Undersøgelse (nummereret pr. udtrækning)", "en": "Study (numbered per export)"}, codes.per_export_codes(list(studies)), languages),
        _coded("site", {"da": "Afsnit (nummereret pr. udtrækning)", "en": "Site (ward; numbered per export)"}, codes.per_export_codes(list(sites)), languages),
        _coded("setting", {"da": "Psykiatrisk område", "en": "Psychiatric setting"}, codes.setting_codes(), languages),
        _coded("group", {"da": "Respondentgruppe", "en": "Respondent group"}, codes.group_codes(), languages),
        _string("period", {"da": "Periode for indsendelse (kvartal eller ISO-uge)", "en": "Period of submission (quarter or ISO week)"}, languages, "ordinal"),
    ]


def flag_variables(languages: list[str]) -> list[Variable]:
    """The data-quality flags (0/1) with their definitions (`surveys.quality_flags`)."""
    values = [ValueLabel(str(n), n, _text(_NO_YES[n], languages, _NO_YES[n])) for n in (0, 1)]
    return [
        Variable(
            name=name, item=name, label=_text(label, languages, label), type="flag", kind="quality_flag", measure_level="nominal",
            measure=None, measure_b=None, minimum=0, maximum=1, value_labels=values, missing_codes=[], settings=[], shown_if="",
            definition=_text(definition, languages, definition),
        )
        for name, (label, definition) in FLAG_DEFINITIONS.items()
    ]


def build_codebook(instrument: Instrument, version: str, studies: list[str] = (), sites: list[str] = ()) -> Codebook:  # type: ignore[assignment]
    """The codebook of one instrument version (`version` is its content hash).

    `studies` and `sites`: the export's, to list their per-export numbers. Raises
    CodebookError when two variables would share a name or a name is not stat-safe.
    """
    languages = list(instrument.languages)
    variables = [variable for item in instrument.items for variable in _variables(item, instrument)]
    book = Codebook(
        instrument=instrument.code, version=version, group=instrument.group, languages=languages, variables=variables,
        respondent_variables=respondent_variables(languages, studies, sites), flag_variables=flag_variables(languages),
    )
    seen: dict[str, str] = {}
    for v in wide_variables(book, include_text=True):
        if not NAME_PATTERN.match(v.name):
            raise CodebookError(f"{instrument.code}: variable name '{v.name}' (item '{v.item}') is not stat-safe")
        if v.name in seen:
            raise CodebookError(f"{instrument.code}: items '{seen[v.name]}' and '{v.item}' both give variable '{v.name}'")
        seen[v.name] = v.item
    return book


def wide_variables(codebook: Codebook, include_text: bool = False) -> list[Variable]:
    """The columns of a wide file in order: respondent columns, item variables (free text
    only if asked), quality flags."""
    items = [v for v in codebook.variables if include_text or v.type != "text"]
    return [*codebook.respondent_variables, *items, *codebook.flag_variables]


# --- coding answers -------------------------------------------------------------------


def item_variables(codebook: Codebook) -> dict[str, list[Variable]]:
    """The variables of each item code, in order (one, or one per option/measure)."""
    grouped: dict[str, list[Variable]] = {}
    for v in codebook.variables:
        grouped.setdefault(v.item, []).append(v)
    return grouped


def encode_answer(variables: list[Variable], value: object, missing: str | None) -> dict[str, float]:
    """The cells of one item's variables for a stored answer (value as stored, missing
    kind or None). No answer at all is `missing="not_answered"` (or "not_asked")."""
    if missing is not None:
        numeric = MISSING_KINDS[missing].numeric
        return {v.name: float(numeric) for v in variables}
    first = variables[0]
    if first.type == "flag":
        chosen = set(value)  # type: ignore[call-overload]
        return {v.name: float(v.option in chosen) for v in variables}
    if first.type == "rank":
        order = list(value)  # type: ignore[call-overload]
        return {v.name: float(order.index(v.option) + 1) for v in variables}
    if first.type in ("vas", "numeric"):
        return {first.name: float(value)}  # type: ignore[arg-type]
    for label in first.value_labels:
        if label.code == value:
            return {first.name: float(label.numeric)}
    raise CodebookError(f"variable '{first.name}': value '{value}' has no code in the codebook")


def decode_answer(variables: list[Variable], cells: dict[str, float]) -> tuple[object, str | None]:
    """The stored (value, missing) of one item from its cells; (None, None) when the
    item was not asked or not answered (nothing to store). Inverse of `encode_answer`."""
    numbers = [cells[v.name] for v in variables]
    first = variables[0]
    if any(n != n for n in numbers):
        raise CodebookError(f"variable '{first.name}': empty cell; every cell has a value or a missing code")
    coded = {label.numeric: label.code for label in first.value_labels}
    if first.type not in ("flag", "rank") and numbers[0] in coded:
        return coded[int(numbers[0])], None
    if numbers[0] < 0:
        kinds = {k.numeric: k.code for k in MISSING_KINDS.values()}
        kind = kinds.get(int(numbers[0]))
        if kind is None or any(n != numbers[0] for n in numbers):
            raise CodebookError(f"variable '{first.name}': unknown or inconsistent missing code {numbers[0]:g}")
        return (None, None) if kind in ("not_asked", "not_answered") else (None, kind)
    if first.type == "flag":
        return [v.option for v, n in zip(variables, numbers, strict=True) if n == 1], None
    if first.type == "rank":
        return [v.option for _, v in sorted(zip(numbers, variables, strict=True), key=lambda pair: pair[0])], None
    if first.type in ("vas", "numeric"):
        return int(numbers[0]), None
    raise CodebookError(f"variable '{first.name}': code {numbers[0]:g} has no value label")


# --- files ------------------------------------------------------------------------------


def codebook_json(codebook: Codebook) -> bytes:
    """The codebook as indented JSON."""
    return msgspec.json.format(msgspec.json.encode(codebook), indent=2)


def _labels(values: list[ValueLabel], lang: str) -> str:
    # Code first: a cell starting with a negative number would look like a formula to a
    # spreadsheet and be neutralised with an apostrophe.
    return "; ".join(f"{x.code}={x.numeric}={x.label.get(lang, '')}" for x in values)


def codebook_csv(codebook: Codebook) -> str:
    """The codebook as CSV, one row per variable (respondent columns, items, flags) with
    both languages; value labels and missing codes as `code=numeric=label; ...`."""
    buffer = io.StringIO()
    languages = codebook.languages
    header = ["instrument", "version", "variable", "item", "option", *[f"label_{lang}" for lang in languages], "type", "kind",
              "measure_level", "measure", "measure_b", "minimum", "maximum", *[f"value_labels_{lang}" for lang in languages],
              *[f"missing_codes_{lang}" for lang in languages], "settings", "shown_if", *[f"definition_{lang}" for lang in languages]]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for v in wide_variables(codebook, include_text=True):
        writer.writerow([
            codebook.instrument, codebook.version, v.name, v.item, v.option or "", *[v.label.get(lang, "") for lang in languages],
            v.type, v.kind, v.measure_level, v.measure or "", v.measure_b or "",
            "" if v.minimum is None else v.minimum, "" if v.maximum is None else v.maximum,
            *[_labels(v.value_labels, lang) for lang in languages], *[_labels(v.missing_codes, lang) for lang in languages],
            " ".join(v.settings), v.shown_if, *[(v.definition or {}).get(lang, "") for lang in languages],
        ])
    return buffer.getvalue()
