"""Load and validate the catalogue and the questionnaires from YAML.

Every problem becomes an `InstrumentError` naming file, path and reason; nothing
half-valid is ever returned. The same checks run at server start and in
`leastmeans check-instruments`.

Layout under `surveys/`:
    catalogue/measures.yaml            codes, legal status, settings
    catalogue/<language>.yaml          measure wording per language
    catalogue/reference_gradation.yaml the authority's current tiers
    instruments/<code>/instrument.yaml structure of one questionnaire
    instruments/<code>/<language>.yaml its wording per language
"""

import re
from pathlib import Path
from typing import TypeVar

import msgspec

from surveys.errors import InstrumentError
from surveys.expansion import expand_items
from surveys.model import (
    FEATURES,
    REQUIRED_LANGUAGES,
    SETTINGS,
    Catalogue,
    CatalogueSource,
    CatalogueText,
    Instrument,
    InstrumentSource,
    InstrumentText,
    Measure,
    ReferenceGradation,
)
from surveys.rules import check_measure_rules, check_rules

SURVEYS_DIR = Path(__file__).resolve().parent
CATALOGUE_DIR = SURVEYS_DIR / "catalogue"
CATALOGUE_FILE = CATALOGUE_DIR / "measures.yaml"
INSTRUMENTS_DIR = SURVEYS_DIR / "instruments"
REFERENCE_FILE = CATALOGUE_DIR / "reference_gradation.yaml"
STRUCTURE_FILE = "instrument.yaml"

T = TypeVar("T")

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def decode_file(path: Path, kind: type[T], name: str | None = None) -> T:
    """Decode one YAML file into `kind`, turning every failure into an InstrumentError."""
    name = name or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(name, "$", f"cannot read file ({exc.strerror})") from exc
    try:
        return msgspec.yaml.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `")
        if "got `bool`" in message:
            message += " (quote yes/no/on/off in YAML, e.g. \"yes\")"
        if kind is InstrumentSource and ("`settings`" in message or where.startswith("$.settings")):
            message += f" (list the ward settings this questionnaire is for, from: {', '.join(SETTINGS)})"
        raise InstrumentError(name, where.rstrip("`") or "$", message) from exc
    except msgspec.DecodeError as exc:
        raise InstrumentError(name, "$", f"not valid YAML ({exc})") from exc
    except (ValueError, TypeError, RecursionError) as exc:
        # PyYAML can fail outside its own error classes on odd input (e.g. a date
        # out of range); an author still deserves a file name and a reason.
        raise InstrumentError(name, "$", f"not valid YAML ({type(exc).__name__}: {exc})") from exc


def language_files(directory: Path) -> dict[str, Path]:
    """The per-language text files in a folder, keyed by language code."""
    return {path.stem: path for path in sorted(directory.glob("*.yaml")) if _LANGUAGE.match(path.stem)}


def _nonblank(file: str, path: str, text: str | None) -> None:
    if text is None or not text.strip():
        raise InstrumentError(file, path, "missing translation (empty text)")


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Load the measure catalogue and its wording, refusing duplicate codes or missing texts."""
    source = decode_file(directory / "measures.yaml", CatalogueSource)
    seen: set[str] = set()
    for index, measure in enumerate(source.measures):
        where = f"measures[{index}]"
        if not CODE.match(measure.code):
            raise InstrumentError("measures.yaml", f"{where}.code", f"'{measure.code}' is not snake_case")
        if measure.code in seen:
            raise InstrumentError("measures.yaml", f"{where}.code", f"duplicate measure code '{measure.code}'")
        seen.add(measure.code)
        if not measure.settings:
            raise InstrumentError("measures.yaml", f"{where}.settings", "must name at least one setting")
        if len(set(measure.settings)) != len(measure.settings):
            raise InstrumentError("measures.yaml", f"{where}.settings", "names a setting twice")
    texts = {language: decode_file(path, CatalogueText) for language, path in language_files(directory).items()}
    for language in REQUIRED_LANGUAGES:
        if language not in texts:
            raise InstrumentError(f"{language}.yaml", "$", f"the catalogue needs a '{language}' text file")
    for language, text in texts.items():
        file = f"{language}.yaml"
        for code in text.measures:
            if code not in seen:
                raise InstrumentError(file, f"measures.{code}", f"unknown measure code '{code}'")
        for code in seen:
            if code not in text.measures:
                raise InstrumentError(file, f"measures.{code}", "missing translation for this measure")
            for field in ("label", "description", "description_third", "legal_note"):
                _nonblank(file, f"measures.{code}.{field}", getattr(text.measures[code], field))
        for code in ("dont_know", "prefer_not_to_answer"):
            _nonblank(file, f"missing.{code}", text.missing.get(code))
        _nonblank(file, "hypothetical", text.hypothetical)
    languages = sorted(texts)
    measures = [
        Measure(
            code=m.code,
            label={lang: texts[lang].measures[m.code].label for lang in languages},
            description={lang: texts[lang].measures[m.code].description for lang in languages},
            description_third={lang: texts[lang].measures[m.code].description_third for lang in languages},
            legal_note={lang: texts[lang].measures[m.code].legal_note for lang in languages},
            legal_today=m.legal_today,
            settings=list(m.settings),
        )
        for m in source.measures
    ]
    return Catalogue(
        measures=measures,
        languages=languages,
        missing_labels={code: {lang: texts[lang].missing[code] for lang in languages} for code in ("dont_know", "prefer_not_to_answer")},
        hypothetical_note={lang: texts[lang].hypothetical for lang in languages},
    )


def load_instrument(directory: Path, catalogue: Catalogue | None = None) -> Instrument:
    """Load one questionnaire folder (structure + one file per language) and compile it."""
    catalogue = catalogue or load_catalogue()
    folder = directory.name
    structure_name = f"{folder}/{STRUCTURE_FILE}"
    source = decode_file(directory / STRUCTURE_FILE, InstrumentSource, structure_name)
    if source.code != folder:
        raise InstrumentError(structure_name, "code", f"'{source.code}' must match the folder name '{folder}'")
    texts = {
        language: decode_file(path, InstrumentText, f"{folder}/{path.name}")
        for language, path in language_files(directory).items()
    }
    return compile_instrument(source, texts, catalogue, folder)


def compile_instrument(
    source: InstrumentSource, texts: dict[str, InstrumentText], catalogue: Catalogue, folder: str
) -> Instrument:
    """Check an authored questionnaire against the catalogue and expand it into items."""
    structure = f"{folder}/{STRUCTURE_FILE}"
    for language in REQUIRED_LANGUAGES:
        if language not in texts:
            raise InstrumentError(f"{folder}/{language}.yaml", "$", f"missing translation: no '{language}' text file")
    for language in texts:
        if language not in catalogue.languages:
            raise InstrumentError(f"{folder}/{language}.yaml", "$", f"the catalogue has no '{language}' wording")
    check_served_settings(source, structure)
    if source.pairs_per_respondent < 0:
        raise InstrumentError(structure, "pairs_per_respondent", "must not be negative")
    for name, options in source.option_sets.items():
        if not options:
            raise InstrumentError(structure, f"option_sets.{name}", "must list at least one option")
        for index, option in enumerate(options):
            if not re.match(r"^[a-z0-9][a-z0-9_+\-]*$", option):
                raise InstrumentError(structure, f"option_sets.{name}[{index}]", f"'{option}' is not a valid option code")
        if len(set(options)) != len(options):
            raise InstrumentError(structure, f"option_sets.{name}", "lists an option twice")
    for language, text in texts.items():
        file = f"{folder}/{language}.yaml"
        for field in ("title", "information", "consent"):
            _nonblank(file, field, getattr(text, field))
        for name, options in source.option_sets.items():
            labels = text.options.get(name)
            if labels is None:
                raise InstrumentError(file, f"options.{name}", "missing translation for this option set")
            for option in options:
                if not (labels.get(option) or "").strip():
                    raise InstrumentError(file, f"options.{name}.{option}", f"label missing for value '{option}'")
            for option in labels:
                if option not in options:
                    raise InstrumentError(file, f"options.{name}.{option}", f"'{option}' is not an option of set '{name}'")
        for name in text.options:
            if name not in source.option_sets:
                raise InstrumentError(file, f"options.{name}", f"unknown option set '{name}'")
        authored = {item.code for item in source.items}
        for code in text.items:
            if code not in authored:
                raise InstrumentError(file, f"items.{code}", f"no item '{code}' in {STRUCTURE_FILE}")
    for index, item in enumerate(source.items):
        if item.requires is not None and item.requires not in FEATURES:
            raise InstrumentError(structure, f"items[{index}].requires", f"unknown study feature '{item.requires}' (known: {', '.join(FEATURES)})")
    languages = sorted(texts)
    items = expand_items(source, texts, catalogue, folder)
    check_measure_rules(items, source, catalogue, structure)
    check_rules(items, source, structure)
    return Instrument(
        code=source.code,
        group=source.group,
        languages=languages,
        title={lang: texts[lang].title for lang in languages},
        information={lang: texts[lang].information for lang in languages},
        consent={lang: texts[lang].consent for lang in languages},
        items=items,
        pairs_per_respondent=source.pairs_per_respondent,
        missing_labels={code: {lang: labels[lang] for lang in languages} for code, labels in catalogue.missing_labels.items()},
    )


def load_instruments(directory: Path = INSTRUMENTS_DIR, catalogue: Catalogue | None = None) -> dict[str, Instrument]:
    """Load every questionnaire folder in a directory, keyed by instrument code."""
    catalogue = catalogue or load_catalogue()
    instruments: dict[str, Instrument] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if not path.is_dir():
            raise InstrumentError(path.name, "$", f"expected a folder per questionnaire with {STRUCTURE_FILE} and one file per language")
        instruments[path.name] = load_instrument(path, catalogue)
    return instruments


def check_served_settings(source: InstrumentSource, structure: str) -> None:
    """Refuse an instrument that serves no setting or names one twice (unknown names are
    refused when the file is decoded)."""
    if not source.settings:
        raise InstrumentError(structure, "settings", f"must name at least one ward setting it is for ({', '.join(SETTINGS)})")
    for index, setting in enumerate(source.settings):
        if setting in source.settings[:index]:
            raise InstrumentError(structure, f"settings[{index}]", f"names the setting '{setting}' twice")


def load_instrument_settings(directory: Path = INSTRUMENTS_DIR) -> dict[str, tuple[str, ...]]:
    """The ward settings each questionnaire folder serves, keyed by instrument code.

    Read from the structure files alone: where a questionnaire is offered is routing, kept
    apart from the compiled, hashed `Instrument` (see `InstrumentSource.settings`).
    """
    served: dict[str, tuple[str, ...]] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "_")) or not path.is_dir():
            continue
        structure = f"{path.name}/{STRUCTURE_FILE}"
        source = decode_file(path / STRUCTURE_FILE, InstrumentSource, structure)
        check_served_settings(source, structure)
        served[source.code] = tuple(source.settings)
    return served


def load_reference_gradation(path: Path = REFERENCE_FILE, catalogue: Catalogue | None = None) -> ReferenceGradation:
    """Load the authority's reference gradation, refusing unknown or repeated measures."""
    reference = decode_file(path, ReferenceGradation)
    catalogue = catalogue or load_catalogue()
    for setting, tiers in reference.settings.items():
        seen: set[str] = set()
        for t, tier in enumerate(tiers):
            if not tier:
                raise InstrumentError(path.name, f"settings.{setting}[{t}]", "a tier needs at least one measure")
            for m, code in enumerate(tier):
                where = f"settings.{setting}[{t}][{m}]"
                try:
                    measure = catalogue.measure(code)
                except KeyError:
                    raise InstrumentError(path.name, where, f"unknown measure code '{code}'") from None
                if setting not in measure.settings:
                    raise InstrumentError(path.name, where, f"measure '{code}' is not used in setting '{setting}'")
                if code in seen:
                    raise InstrumentError(path.name, where, f"measure '{code}' appears twice")
                seen.add(code)
    return reference
