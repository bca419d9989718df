"""Turn authored item sources into the items respondents see.

Per-measure items repeat once per catalogue measure, a paired item becomes one item per
pair of measures, and every text is looked up in every language. Item codes derive from
stable codes only (authored codes and measure codes), never from positions, so adding or
removing an item never changes another item's code.
"""

import itertools
import re

import msgspec

from surveys.errors import InstrumentError
from surveys.model import (
    CHOICE_TYPES,
    Anchors,
    Catalogue,
    InstrumentSource,
    InstrumentText,
    Item,
    ItemSource,
    Measure,
    Option,
    Text,
)

_TEMPLATE = re.compile(r"^[a-z][a-z0-9_]*(\.([a-z0-9_]+|\{measure\}))*$")
DEFAULT_TEXT_LENGTH = 1000
MAX_TEXT_LENGTH = 5000


def _text(texts: dict[str, InstrumentText], folder: str, code: str, field: str, label: Text | None) -> Text | None:
    """One item text in every language, with `{label}` filled in; None if absent in all."""
    values: Text = {}
    for language, text in texts.items():
        item_text = text.items.get(code)
        if item_text is None:
            raise InstrumentError(f"{folder}/{language}.yaml", f"items.{code}", "missing translation for this item")
        value = getattr(item_text, field)
        if value is None:
            continue
        if not value.strip():
            raise InstrumentError(f"{folder}/{language}.yaml", f"items.{code}.{field}", "missing translation (empty text)")
        values[language] = value.replace("{label}", label[language]) if label else value
    if values and len(values) != len(texts):
        absent = sorted(set(texts) - set(values))[0]
        raise InstrumentError(f"{folder}/{absent}.yaml", f"items.{code}.{field}", "missing translation (given in other languages)")
    return values or None


def _anchors(texts: dict[str, InstrumentText], folder: str, code: str, required: bool) -> Anchors | None:
    present = {language: text.items[code].anchors for language, text in texts.items()}
    if not required and all(a is None for a in present.values()):
        return None
    for language, anchors in present.items():
        file, where = f"{folder}/{language}.yaml", f"items.{code}.anchors"
        if anchors is None:
            raise InstrumentError(file, where, "a scale item needs low and high anchors in every language")
        if not anchors.low.strip() or not anchors.high.strip():
            raise InstrumentError(file, where, "missing translation (empty anchor)")
    return Anchors(
        low={language: a.low for language, a in present.items() if a},
        high={language: a.high for language, a in present.items() if a},
    )


def _measure(catalogue: Catalogue, code: str, file: str, where: str) -> Measure:
    try:
        return catalogue.measure(code)
    except KeyError:
        raise InstrumentError(file, where, f"unknown measure code '{code}'") from None


def _measure_help(measure: Measure, voice: str, catalogue: Catalogue, languages: list[str]) -> Text:
    # A measure that is not legal today is hypothetical for the respondent, so it is
    # explained (and said to be hypothetical) before it is rated.
    described = measure.description if voice == "second_person" else measure.description_third
    return {
        language: described[language] + ("" if measure.legal_today else f" {catalogue.hypothetical_note[language]}")
        for language in languages
    }


def _check_shape(source: ItemSource, structure: str, where: str, option_sets: dict[str, list[str]]) -> None:
    """Refuse fields that make no sense for the item's type."""
    if not _TEMPLATE.match(source.code):
        raise InstrumentError(structure, f"{where}.code", f"'{source.code}' is not a dotted snake_case code")
    has_placeholder = "{measure}" in source.code
    if source.for_each_measure is not None and not has_placeholder:
        raise InstrumentError(structure, f"{where}.code", "a for_each_measure item code must contain {measure}")
    if has_placeholder and source.for_each_measure is None:
        raise InstrumentError(structure, f"{where}.code", "{measure} is only allowed with for_each_measure")
    if source.type in CHOICE_TYPES:
        if source.options is None:
            raise InstrumentError(structure, f"{where}.options", f"a {source.type} item needs an option set")
        if source.options not in option_sets:
            raise InstrumentError(structure, f"{where}.options", f"unknown option set '{source.options}'")
    elif source.options is not None:
        raise InstrumentError(structure, f"{where}.options", f"a {source.type} item takes no options")
    if source.type in ("paired", "ranking"):
        if source.for_each_measure is not None:
            raise InstrumentError(structure, f"{where}.for_each_measure", f"a {source.type} item is not repeated per measure")
    elif source.measures is not None:
        raise InstrumentError(structure, f"{where}.measures", f"a {source.type} item takes no measure list")
    if source.type == "ranking" and (source.measures is None or len(source.measures) < 2):
        raise InstrumentError(structure, f"{where}.measures", "a ranking item needs at least two measures")
    if source.measures is not None and len(set(source.measures)) != len(source.measures):
        raise InstrumentError(structure, f"{where}.measures", "lists a measure twice")
    if source.type != "numeric" and (source.minimum is not None or source.maximum is not None):
        raise InstrumentError(structure, f"{where}.minimum", "only numeric items set their own range (a VAS is always 0–100)")
    if source.type == "numeric":
        low, high = source.minimum or 0, 10 if source.maximum is None else source.maximum
        if low >= high:
            raise InstrumentError(structure, f"{where}.maximum", f"must be greater than minimum ({low})")
    if source.max_length is not None:
        if source.type != "text":
            raise InstrumentError(structure, f"{where}.max_length", "only text items have a maximum length")
        if not 1 <= source.max_length <= MAX_TEXT_LENGTH:
            raise InstrumentError(structure, f"{where}.max_length", f"must be between 1 and {MAX_TEXT_LENGTH}")
    if len(set(source.missing)) != len(source.missing):
        raise InstrumentError(structure, f"{where}.missing", "lists a missing code twice")


def _options(source: ItemSource, option_sets: dict[str, list[str]], texts: dict[str, InstrumentText]) -> list[Option]:
    if source.options is None:
        return []
    return [
        Option(code=code, label={language: text.options[source.options][code] for language, text in texts.items()})
        for code in option_sets[source.options]
    ]


def expand_items(source: InstrumentSource, texts: dict[str, InstrumentText], catalogue: Catalogue, folder: str) -> list[Item]:
    """Every item of the questionnaire, in order, with texts in every language."""
    structure = f"{folder}/instrument.yaml"
    languages = sorted(texts)
    items: list[Item] = []
    for index, item_source in enumerate(source.items):
        where = f"items[{index}]"
        _check_shape(item_source, structure, where, source.option_sets)
        common = {
            "type": item_source.type,
            "kind": item_source.kind,
            "options": _options(item_source, source.option_sets, texts),
            "missing_options": list(item_source.missing),
            "requires": item_source.requires,
        }
        if item_source.type == "numeric":
            common["minimum"] = item_source.minimum or 0
            common["maximum"] = 10 if item_source.maximum is None else item_source.maximum
        if item_source.type == "text":
            common["max_length"] = item_source.max_length or DEFAULT_TEXT_LENGTH
        needs_anchors = item_source.type in ("vas", "numeric")
        if item_source.for_each_measure is not None:
            wanted = item_source.for_each_measure
            for measure in catalogue.measures:
                if wanted.legal_today is not None and measure.legal_today != wanted.legal_today:
                    continue
                code = item_source.code.replace("{measure}", measure.code)
                items.append(
                    Item(
                        code=code,
                        prompt=_text(texts, folder, item_source.code, "prompt", measure.label),  # type: ignore[arg-type]
                        measure=measure.code,
                        help=_measure_help(measure, source.voice, catalogue, languages),
                        anchors=_anchors(texts, folder, item_source.code, needs_anchors),
                        settings=list(measure.settings),
                        show_if=[
                            *(msgspec.structs.replace(c, item=c.item.replace("{measure}", measure.code)) for c in item_source.show_if),
                            *source.measure_show_if.get(measure.code, []),
                        ],
                        hypothetical=not measure.legal_today,
                        **common,  # type: ignore[arg-type]
                    )
                )
            continue
        prompt = _text(texts, folder, item_source.code, "prompt", None)
        help_text = _text(texts, folder, item_source.code, "help", None)
        anchors = _anchors(texts, folder, item_source.code, needs_anchors)
        if prompt is None:
            raise InstrumentError(f"{folder}/{languages[0]}.yaml", f"items.{item_source.code}.prompt", "missing translation")
        if item_source.type in ("paired", "ranking"):
            codes = item_source.measures if item_source.measures is not None else [m.code for m in catalogue.measures]
            measures = [_measure(catalogue, code, structure, f"{where}.measures[{i}]") for i, code in enumerate(codes)]
            if item_source.type == "ranking":
                settings = [s for s in measures[0].settings if all(s in m.settings for m in measures)]
                if not settings:
                    raise InstrumentError(structure, f"{where}.measures", "no setting uses all of these measures")
                common["options"] = [Option(code=m.code, label=dict(m.label)) for m in measures]
                items.append(Item(code=item_source.code, prompt=prompt, help=help_text, settings=settings, show_if=list(item_source.show_if), **common))  # type: ignore[arg-type]
                continue
            # One item per pair, in catalogue order, coded by both measures so the code
            # of a pair never depends on which other measures are in the design.
            order = {m.code: i for i, m in enumerate(catalogue.measures)}
            measures.sort(key=lambda m: order[m.code])
            for a, b in itertools.combinations(measures, 2):
                settings = [s for s in a.settings if s in b.settings]
                if not settings:
                    continue
                common["options"] = [Option(code=a.code, label=dict(a.label)), Option(code=b.code, label=dict(b.label))]
                items.append(
                    Item(
                        code=f"{item_source.code}.{a.code}.{b.code}",
                        prompt=prompt,
                        help=help_text,
                        measure=a.code,
                        measure_b=b.code,
                        settings=settings,
                        # A pair about a measure that is not asked is not asked either.
                        show_if=[
                            *item_source.show_if,
                            *source.measure_show_if.get(a.code, []),
                            *source.measure_show_if.get(b.code, []),
                        ],
                        **common,  # type: ignore[arg-type]
                    )
                )
            continue
        items.append(
            Item(
                code=item_source.code,
                prompt=prompt,
                help=help_text,
                anchors=anchors,
                show_if=list(item_source.show_if),
                **common,  # type: ignore[arg-type]
            )
        )
    return items
