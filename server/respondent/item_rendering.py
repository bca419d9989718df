"""Items rendered for a respondent (`ItemOut`), cached per instrument version and language.

Every start and every read of a session returns all the items it asks; rendering each
item anew (texts looked up per language, options and labels copied) was a visible share
of a worker's CPU. An instrument version never changes, so each item is rendered once
per language, in both option orders for paired items. The cached `ItemOut`s are shared
between responses and must not be mutated.
"""

from dataclasses import dataclass

from server.respondent.schemas import AnchorsOut, ItemOut, OptionOut
from surveys.instrument_cache import InstrumentCache
from surveys.model import Instrument, Item
from surveys.routing import as_shown


def item_out(item: Item, language: str, missing_labels: dict[str, dict[str, str]]) -> ItemOut:
    """An item rendered in one language."""
    return ItemOut(
        code=item.code,
        type=item.type,
        kind=item.kind,
        prompt=item.prompt[language],
        measure=item.measure,
        measure_b=item.measure_b,
        help=item.help[language] if item.help else None,
        anchors=AnchorsOut(low=item.anchors.low[language], high=item.anchors.high[language]) if item.anchors else None,
        minimum=item.minimum,
        maximum=item.maximum,
        options=[OptionOut(code=o.code, label=o.label[language]) for o in item.options],
        missing_options=list(item.missing_options),
        missing_labels={code: missing_labels.get(code, {}).get(language, code) for code in item.missing_options},
        max_length=item.max_length,
        hypothetical=item.hypothetical,
    )


@dataclass(frozen=True)
class RenderedItems:
    """One instrument version's items in one language, by item code."""

    #: Options in stored order.
    plain: dict[str, ItemOut]
    #: Paired items only, options reversed (the design shows measure_b first).
    swapped: dict[str, ItemOut]


def _render(instrument: Instrument, language: str) -> RenderedItems:
    labels = instrument.missing_labels
    return RenderedItems(
        plain={item.code: item_out(item, language, labels) for item in instrument.items},
        swapped={
            item.code: item_out(as_shown(item, True), language, labels) for item in instrument.items if item.type == "paired"
        },
    )


_RENDERED: InstrumentCache[str, RenderedItems] = InstrumentCache(_render)


def rendered_items(instrument: Instrument, language: str, entries: list[tuple[Item, bool]]) -> list[ItemOut]:
    """`entries` (from `surveys.routing.visible_entries`) rendered in `language`."""
    rendered = _RENDERED.get(instrument, language)
    return [rendered.swapped[item.code] if swapped else rendered.plain[item.code] for item, swapped in entries]
