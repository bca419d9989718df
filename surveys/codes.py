"""Fixed numeric codes of every categorical value in exports, defined once.

SPSS, Stata, CSV, Parquet and the codebook all number a value the same way, in every
export and every questionnaire version, from three catalogue files:

- `catalogue/codes.yaml`: option sets (by the name instruments give them), which set each
  item kind answers from, group, setting and the long file's row kinds;
- `catalogue/measures.yaml`: each measure's `number:`;
- `catalogue/generalisation.yaml`: the coarser values k-anonymity may export (21 and up).

Missing kinds are negative (`MISSING_KINDS`), so no valid value is ever mistaken for one.
Sites and studies have no fixed numbers: an export numbers them in sorted order of their
codes (`per_export_codes`) and lists them in its codebook.
"""

import functools
import msgspec

from surveys.loader import CATALOGUE_DIR, INSTRUMENTS_DIR, STRUCTURE_FILE, language_files
from surveys.model import InstrumentSource, InstrumentText, Text

CODES_FILE = CATALOGUE_DIR / "codes.yaml"
MEASURES_FILE = CATALOGUE_DIR / "measures.yaml"
GENERALISATION_FILE = CATALOGUE_DIR / "generalisation.yaml"


class MissingKind(msgspec.Struct, frozen=True):
    """One kind of missing answer: its numeric code (SPSS user-missing, CSV, Parquet),
    its Stata extended missing letter, and its label in every language."""

    code: str
    numeric: int
    stata: str
    label: Text


#: The missing kinds, the same in every variable and format. `suppressed` is written by
#: k-anonymity; `not_asked` (routing, setting, design) and `not_answered` (skipped) are
#: derived from what a respondent was shown.
MISSING_KINDS: dict[str, MissingKind] = {
    kind.code: kind
    for kind in (
        MissingKind("dont_know", -1, "d", {"da": "Ved ikke", "en": "Don't know"}),
        MissingKind("prefer_not_to_answer", -2, "p", {"da": "Vil ikke svare", "en": "Prefer not to answer"}),
        MissingKind("suppressed", -7, "s", {"da": "Udeladt af hensyn til anonymitet", "en": "Suppressed for anonymity"}),
        MissingKind("not_asked", -8, "n", {"da": "Ikke stillet", "en": "Not asked (routing, setting or design)"}),
        MissingKind("not_answered", -9, "u", {"da": "Ikke besvaret", "en": "Not answered (skipped)"}),
    )
}
#: SPSS missing range: every missing kind lies in it, no valid value does.
MISSING_RANGE: tuple[int, int] = (-9, -1)


class Labelled(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A value with a fixed number and its label in every language (codes.yaml)."""

    numeric: int
    da: str
    en: str

    def label(self) -> Text:
        """The label keyed by language."""
        return {"da": self.da, "en": self.en}


class Generalised(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A generalised value (generalisation.yaml): its number, the options it stands for, labels."""

    numeric: int
    members: list[str]
    da: str
    en: str

    def label(self) -> Text:
        """The label keyed by language."""
        return {"da": self.da, "en": self.en}


class CodesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`catalogue/codes.yaml`."""

    option_sets: dict[str, dict[str, int]]
    kinds: dict[str, str]
    ordinal: list[str]
    group: dict[str, Labelled]
    setting: dict[str, Labelled]
    row_kind: dict[str, Labelled]


class _NumberedMeasure(msgspec.Struct, frozen=True):
    code: str
    number: int | None = None


class _MeasuresFile(msgspec.Struct, frozen=True):
    measures: list[_NumberedMeasure]


class CodesError(ValueError):
    """A value has no fixed code, or the catalogue's codes contradict each other."""


@functools.cache
def codes_file() -> CodesFile:
    """codes.yaml, decoded (read once)."""
    return msgspec.yaml.decode(CODES_FILE.read_bytes(), type=CodesFile)


@functools.cache
def generalisations() -> dict[str, dict[str, Generalised]]:
    """generalisation.yaml: per option set, each generalised value (read once)."""
    return msgspec.yaml.decode(GENERALISATION_FILE.read_bytes(), type=dict[str, dict[str, Generalised]])


@functools.cache
def measure_numbers() -> dict[str, int]:
    """Every catalogue measure's fixed number, in catalogue order."""
    measures = msgspec.yaml.decode(MEASURES_FILE.read_bytes(), type=_MeasuresFile).measures
    missing = [m.code for m in measures if m.number is None]
    if missing:
        raise CodesError(f"measures.yaml: measure '{missing[0]}' has no number")
    return {m.code: m.number for m in measures if m.number is not None}


def measure_number(code: str) -> int:
    """The fixed number of a measure (measures.yaml `number:`)."""
    try:
        return measure_numbers()[code]
    except KeyError:
        raise CodesError(f"measure '{code}' has no number in measures.yaml") from None


def option_set_for_kind(kind: str) -> str | None:
    """The option set an item of this kind answers from (None: the kind has no options)."""
    return codes_file().kinds.get(kind)


def option_codes(option_set: str) -> dict[str, int]:
    """Every value of an option set with its fixed number: the options, then the
    generalised values of its k-anonymity hierarchy."""
    try:
        codes = dict(codes_file().option_sets[option_set])
    except KeyError:
        raise CodesError(f"option set '{option_set}' has no codes in codes.yaml") from None
    codes.update({value: g.numeric for value, g in generalisations().get(option_set, {}).items()})
    return codes


def option_code(option_set: str, code: str) -> int:
    """The fixed number of one value (option or generalised value) of an option set."""
    try:
        return option_codes(option_set)[code]
    except KeyError:
        raise CodesError(f"option set '{option_set}' has no code for value '{code}' in codes.yaml") from None


def generalised_values(option_set: str) -> dict[str, Generalised]:
    """The generalised values of an option set (empty: no hierarchy)."""
    return dict(generalisations().get(option_set, {}))


def is_ordinal(option_set: str) -> bool:
    """Whether the values of this option set are ordered (age bands, years, difficulty)."""
    return option_set in codes_file().ordinal


@functools.cache
def _shipped_option_labels() -> dict[str, dict[str, Text]]:
    # The wording of the shipped questionnaires; the first instrument (sorted by folder)
    # that words an option gives its label, adult wording before the youth version's.
    labels: dict[str, dict[str, Text]] = {}
    folders = sorted(p for p in INSTRUMENTS_DIR.iterdir() if (p / STRUCTURE_FILE).is_file())
    for folder in folders:
        source = msgspec.yaml.decode((folder / STRUCTURE_FILE).read_bytes(), type=InstrumentSource)
        texts = {lang: msgspec.yaml.decode(path.read_bytes(), type=InstrumentText) for lang, path in language_files(folder).items()}
        for name, values in source.option_sets.items():
            for value in values:
                current = labels.setdefault(name, {}).setdefault(value, {})
                for lang, text in texts.items():
                    current.setdefault(lang, text.options.get(name, {}).get(value, value))
    return labels


def option_labels(option_set: str) -> dict[str, Text]:
    """A label in every language for each value of an option set (generalised values
    included), for files that mix questionnaires (the long file). Per-version files use
    that version's own wording (surveys.codebook)."""
    labels = {value: dict(text) for value, text in _shipped_option_labels().get(option_set, {}).items()}
    labels.update({value: g.label() for value, g in generalisations().get(option_set, {}).items()})
    return labels


def group_codes() -> dict[str, Labelled]:
    """Respondent groups: fixed number and labels."""
    return dict(codes_file().group)


def setting_codes() -> dict[str, Labelled]:
    """Ward settings: fixed number and labels."""
    return dict(codes_file().setting)


def row_kind_codes() -> dict[str, Labelled]:
    """Row kinds of the long file (rating, allowed, paired, rank): fixed number and labels."""
    return dict(codes_file().row_kind)


def missing_kind_codes() -> dict[str, int]:
    """The `missing` column of the long file as a variable of its own: each kind numbered
    by the size of its missing code (dont_know 1, ..., not_answered 9), positive because
    there the kind is the value, not a missing answer."""
    return {code: -kind.numeric for code, kind in MISSING_KINDS.items()}


def per_export_codes(values: list[str] | set[str]) -> dict[str, int]:
    """Numbers for sites or studies: 1.. in sorted order of their codes. Per export, not
    fixed: the export's codebook lists them."""
    return {value: number for number, value in enumerate(sorted(set(values)), start=1)}


def check_codes() -> list[str]:
    """Every contradiction in the catalogue's codes (empty: consistent): two values of one
    set sharing a number, a negative number other than dont_know's, measures sharing a
    number, a kind pointing at an unknown set."""
    problems: list[str] = []
    data = codes_file()
    for name in data.option_sets:
        seen: dict[int, str] = {}
        for value, number in option_codes(name).items():
            if number in seen:
                problems.append(f"option set '{name}': '{value}' and '{seen[number]}' share code {number}")
            seen[number] = value
            if number < 1 and not (value == "dont_know" and number == MISSING_KINDS["dont_know"].numeric):
                problems.append(f"option set '{name}': '{value}' has code {number}; valid values are positive")
    for name in generalisations():
        if name not in data.option_sets:
            problems.append(f"generalisation.yaml: option set '{name}' has no codes in codes.yaml")
    for kind, name in data.kinds.items():
        if name not in data.option_sets:
            problems.append(f"kinds.{kind}: unknown option set '{name}'")
    for table, entries in (("group", data.group), ("setting", data.setting), ("row_kind", data.row_kind)):
        numbers = [e.numeric for e in entries.values()]
        if len(set(numbers)) != len(numbers) or min(numbers, default=1) < 1:
            problems.append(f"{table}: numbers must be distinct and positive, got {numbers}")
    numbers = list(measure_numbers().values())
    if len(set(numbers)) != len(numbers) or min(numbers, default=1) < 1:
        problems.append(f"measures.yaml: numbers must be distinct and positive, got {numbers}")
    return problems

