"""Load and validate the catalogue and the questionnaires from YAML.

Every problem becomes an `InstrumentError` naming file, path and reason; nothing
half-valid is ever returned.
"""

import re
from pathlib import Path
from typing import TypeVar

import msgspec

from surveys.errors import InstrumentError
from surveys.model import (
    Catalogue,
    Instrument,
    InstrumentSource,
    Item,
    ItemSource,
    Measure,
    ReferenceGradation,
    Text,
)

SURVEYS_DIR = Path(__file__).resolve().parent
CATALOGUE_FILE = SURVEYS_DIR / "catalogue" / "measures.yaml"
INSTRUMENTS_DIR = SURVEYS_DIR / "instruments"
REFERENCE_FILE = SURVEYS_DIR / "catalogue" / "reference_gradation.yaml"

T = TypeVar("T")

_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def _decode(path: Path, kind: type[T]) -> T:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(path.name, "$", f"cannot read file ({exc.strerror})") from exc
    try:
        return msgspec.yaml.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `")
        raise InstrumentError(path.name, where.rstrip("`") or "$", message) from exc
    except msgspec.DecodeError as exc:
        raise InstrumentError(path.name, "$", f"not valid YAML ({exc})") from exc


def _check_text(file: str, path: str, text: Text, languages: list[str]) -> None:
    for language in languages:
        if not text.get(language, "").strip():
            raise InstrumentError(file, path, f"missing translation '{language}'")


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Load the measure catalogue, refusing duplicate or malformed codes."""
    catalogue = _decode(path, Catalogue)
    seen: set[str] = set()
    for index, measure in enumerate(catalogue.measures):
        where = f"measures[{index}]"
        if not _CODE.match(measure.code):
            raise InstrumentError(path.name, f"{where}.code", f"'{measure.code}' is not snake_case")
        if measure.code in seen:
            raise InstrumentError(path.name, f"{where}.code", f"duplicate measure code '{measure.code}'")
        seen.add(measure.code)
        _check_text(path.name, f"{where}.label", measure.label, ["da", "en"])
        _check_text(path.name, f"{where}.description", measure.description, ["da", "en"])
        if not measure.settings:
            raise InstrumentError(path.name, f"{where}.settings", "must name at least one setting")
    return catalogue


def _expand(source: ItemSource, measure: Measure, languages: list[str]) -> Item:
    return Item(
        code=source.code.replace("{measure}", measure.code),
        type=source.type,
        kind=source.kind,
        prompt={lang: source.prompt[lang].replace("{label}", measure.label[lang]) for lang in languages},
        measure=measure.code,
        help={lang: measure.description[lang] for lang in languages},
        anchors=source.anchors,
        missing_options=list(source.missing_options),
        settings=list(measure.settings),
    )


def compile_instrument(source: InstrumentSource, catalogue: Catalogue, file: str) -> Instrument:
    """Expand and check an authored questionnaire against the catalogue."""
    languages = source.languages
    if not languages:
        raise InstrumentError(file, "languages", "must list at least one language")
    _check_text(file, "title", source.title, languages)
    _check_text(file, "intro", source.intro, languages)
    items: list[Item] = []
    for index, item_source in enumerate(source.items):
        where = f"items[{index}]"
        _check_text(file, f"{where}.prompt", item_source.prompt, languages)
        if item_source.type == "vas" and item_source.anchors is None:
            raise InstrumentError(file, f"{where}.anchors", "a VAS item needs low and high anchors")
        if item_source.anchors is not None:
            _check_text(file, f"{where}.anchors.low", item_source.anchors.low, languages)
            _check_text(file, f"{where}.anchors.high", item_source.anchors.high, languages)
        if item_source.for_each_measure:
            if "{measure}" not in item_source.code:
                raise InstrumentError(file, f"{where}.code", "a for_each_measure item code must contain {measure}")
            items.extend(_expand(item_source, m, languages) for m in catalogue.measures)
            continue
        if item_source.measure is not None:
            try:
                measure = catalogue.measure(item_source.measure)
            except KeyError:
                raise InstrumentError(file, f"{where}.measure", f"unknown measure code '{item_source.measure}'") from None
            items.append(_expand(item_source, measure, languages))
            continue
        items.append(
            Item(
                code=item_source.code,
                type=item_source.type,
                kind=item_source.kind,
                prompt={lang: item_source.prompt[lang] for lang in languages},
                anchors=item_source.anchors,
                missing_options=list(item_source.missing_options),
            )
        )
    seen: set[str] = set()
    for item in items:
        if not _CODE.match(item.code):
            raise InstrumentError(file, "items", f"item code '{item.code}' is not a dotted snake_case code")
        if item.code in seen:
            raise InstrumentError(file, "items", f"duplicate item code '{item.code}'")
        seen.add(item.code)
    return Instrument(
        code=source.code,
        group=source.group,
        languages=languages,
        title={lang: source.title[lang] for lang in languages},
        intro={lang: source.intro[lang] for lang in languages},
        items=items,
    )


def load_instrument(path: Path, catalogue: Catalogue | None = None) -> Instrument:
    """Load one questionnaire file and compile it against the catalogue."""
    source = _decode(path, InstrumentSource)
    if source.code != path.stem:
        raise InstrumentError(path.name, "code", f"'{source.code}' must match the file name '{path.stem}'")
    return compile_instrument(source, catalogue or load_catalogue(), path.name)


def load_instruments(directory: Path = INSTRUMENTS_DIR, catalogue: Catalogue | None = None) -> dict[str, Instrument]:
    """Load every questionnaire in a directory, keyed by instrument code."""
    catalogue = catalogue or load_catalogue()
    return {path.stem: load_instrument(path, catalogue) for path in sorted(directory.glob("*.yaml"))}


def load_reference_gradation(path: Path = REFERENCE_FILE, catalogue: Catalogue | None = None) -> ReferenceGradation:
    """Load the authority's reference gradation, refusing unknown or repeated measures."""
    reference = _decode(path, ReferenceGradation)
    known = {m.code for m in (catalogue or load_catalogue()).measures}
    for setting, tiers in reference.settings.items():
        seen: set[str] = set()
        for t, tier in enumerate(tiers):
            for m, code in enumerate(tier):
                where = f"settings.{setting}[{t}][{m}]"
                if code not in known:
                    raise InstrumentError(path.name, where, f"unknown measure code '{code}'")
                if code in seen:
                    raise InstrumentError(path.name, where, f"measure '{code}' appears twice")
                seen.add(code)
    return reference
