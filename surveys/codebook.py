"""The codebook of an instrument version: every exported variable, its labels and codes.

Exports carry exactly this content, so a researcher's statistics package and the codebook
always agree. One variable per item, except that a multiple-choice item gives one 0/1
variable per option (`<item>.<option>`) and a ranking item one position variable per
measure (`<item>.<measure>`), which is how SPSS and Stata users expect them.
"""

import csv
import io

import msgspec

from surveys.model import Instrument, Item, Text

#: Numeric codes for answers that are not values; negative so they never pass as data.
MISSING_VALUE_CODES: dict[str, int] = {
    "dont_know": -1,
    "prefer_not_to_answer": -2,
    "not_asked": -8,
    "not_answered": -9,
}
_NOT_ASKED: Text = {"da": "Ikke stillet (springlogik, setting eller design)", "en": "Not asked (skip logic, setting or design)"}
_NOT_ANSWERED: Text = {"da": "Ikke besvaret", "en": "Not answered"}
_CHOSEN: tuple[Text, Text] = ({"da": "Ikke valgt", "en": "Not chosen"}, {"da": "Valgt", "en": "Chosen"})


class ValueLabel(msgspec.Struct, frozen=True):
    """One allowed value: its stored code, its numeric code in exports, and its label."""

    code: str
    numeric: int
    label: Text


class Variable(msgspec.Struct, frozen=True):
    """One exported column."""

    name: str
    item: str
    label: Text
    type: str
    kind: str
    measure: str | None
    measure_b: str | None
    minimum: int | None
    maximum: int | None
    value_labels: list[ValueLabel]
    missing_codes: list[ValueLabel]
    settings: list[str]
    shown_if: str


class Codebook(msgspec.Struct, frozen=True):
    """All variables of one instrument version."""

    instrument: str
    version: str
    group: str
    languages: list[str]
    variables: list[Variable]


def _text(text: Text, languages: list[str], fallback: Text | None = None) -> Text:
    return {lang: text.get(lang) or (fallback or {}).get(lang, "") for lang in languages}


def _missing(item: Item, instrument: Instrument) -> list[ValueLabel]:
    languages = instrument.languages
    codes = [ValueLabel(code, MISSING_VALUE_CODES[code], _text(instrument.missing_labels.get(code, {}), languages)) for code in item.missing_options]
    codes.append(ValueLabel("not_asked", MISSING_VALUE_CODES["not_asked"], _text(_NOT_ASKED, languages, _NOT_ASKED)))
    codes.append(ValueLabel("not_answered", MISSING_VALUE_CODES["not_answered"], _text(_NOT_ANSWERED, languages, _NOT_ANSWERED)))
    return codes


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


def _variables(item: Item, instrument: Instrument) -> list[Variable]:
    languages = instrument.languages
    common = {
        "item": item.code,
        "kind": item.kind,
        "missing_codes": _missing(item, instrument),
        "settings": list(item.settings),
        "shown_if": _shown_if(item),
    }
    label = _text(item.prompt, languages)
    options = [ValueLabel(o.code, n, _text(o.label, languages)) for n, o in enumerate(item.options, start=1)]
    if item.type == "multiple":
        flags = [ValueLabel("0", 0, _text(_CHOSEN[0], languages, _CHOSEN[0])), ValueLabel("1", 1, _text(_CHOSEN[1], languages, _CHOSEN[1]))]
        return [
            Variable(
                name=f"{item.code}.{o.code}",
                label={lang: f"{label[lang]} – {o.label[lang]}" for lang in languages},
                type="flag", measure=None, measure_b=None, minimum=0, maximum=1, value_labels=flags, **common,  # type: ignore[arg-type]
            )
            for o in options
        ]
    if item.type == "ranking":
        return [
            Variable(
                name=f"{item.code}.{o.code}",
                label={lang: f"{label[lang]} – {o.label[lang]}" for lang in languages},
                type="rank", measure=o.code, measure_b=None, minimum=1, maximum=len(options), value_labels=[], **common,  # type: ignore[arg-type]
            )
            for o in options
        ]
    numeric = item.type in ("vas", "numeric")
    return [
        Variable(
            name=item.code,
            label=label,
            type=item.type,
            measure=item.measure,
            measure_b=item.measure_b,
            minimum=item.minimum if numeric else None,
            maximum=item.maximum if numeric else None,
            value_labels=options,
            **common,  # type: ignore[arg-type]
        )
    ]


def build_codebook(instrument: Instrument, version: str) -> Codebook:
    """The codebook of one instrument version (`version` is its content hash)."""
    variables = [variable for item in instrument.items for variable in _variables(item, instrument)]
    return Codebook(instrument=instrument.code, version=version, group=instrument.group, languages=list(instrument.languages), variables=variables)


def codebook_json(codebook: Codebook) -> bytes:
    """The codebook as indented JSON."""
    return msgspec.json.format(msgspec.json.encode(codebook), indent=2)


def codebook_csv(codebook: Codebook) -> str:
    """The codebook as CSV, one row per variable; value labels as `numeric=code=label; ...`."""
    buffer = io.StringIO()
    languages = codebook.languages
    header = ["instrument", "version", "variable", "item", *[f"label_{lang}" for lang in languages], "type", "kind",
              "measure", "measure_b", "minimum", "maximum", *[f"value_labels_{lang}" for lang in languages],
              "missing_codes", "settings", "shown_if"]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for v in codebook.variables:
        writer.writerow([
            codebook.instrument, codebook.version, v.name, v.item, *[v.label[lang] for lang in languages], v.type, v.kind,
            v.measure or "", v.measure_b or "", "" if v.minimum is None else v.minimum, "" if v.maximum is None else v.maximum,
            *["; ".join(f"{x.numeric}={x.code}={x.label[lang]}" for x in v.value_labels) for lang in languages],
            "; ".join(f"{x.numeric}={x.code}" for x in v.missing_codes), " ".join(v.settings), v.shown_if,
        ])
    return buffer.getvalue()
