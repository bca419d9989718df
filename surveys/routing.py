"""Skip logic, evaluated in one place: which items a respondent is asked, in which order.

An item is shown when all of these hold:
- it is used in the respondent's setting (per-measure items follow the measure's settings);
- the study feature it `requires` (e.g. free_text) is switched on for the study;
- a paired item is one of the pairs the balanced design assigns to this respondent;
- each `show_if` condition holds: for `any_of`, the earlier item was answered (not with a
  missing code) with one of the listed answers (for a multiple-choice item: any of them
  chosen); for `none_of`, it was not, so an unanswered, missing-coded or hidden earlier
  item keeps the item shown (asking is the safe default, e.g. for an age that was skipped).
  `measure_show_if` rules arrive here as ordinary conditions of the items about a measure.
Hidden items are not asked; the server refuses answers to them and drops answers that
become hidden when an earlier answer changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from surveys.design import assigned_pairs
from surveys.instrument_cache import InstrumentCache
from surveys.model import Condition, Instrument, Item

# `Instrument.items_for` builds a new list on every call; skip logic runs on every save
# (twice) and every read, for a handful of instrument versions.
_ITEMS_FOR: InstrumentCache[str, list[Item]] = InstrumentCache(lambda instrument, setting: instrument.items_for(setting))


@dataclass(frozen=True)
class Context:
    """What visibility depends on besides the instrument."""

    setting: str
    slot: int = 0
    features: frozenset[str] = frozenset()
    #: Saved answers by item code: (value, missing code).
    answers: Mapping[str, tuple[Any, str | None]] = field(default_factory=dict)


def _chosen(value: Any, codes: list[str]) -> bool:
    if isinstance(value, list):
        return any(v in codes for v in value)
    return value in codes


def _holds(condition: Condition, visible: set[str], answers: Mapping[str, tuple[Any, str | None]]) -> bool:
    # An answer to a hidden item does not count (it is about to be dropped), so chains
    # of rules stay consistent.
    saved = answers.get(condition.item) if condition.item in visible else None
    answered = saved is not None and saved[1] is None
    if condition.none_of:
        return not (answered and _chosen(saved[0], condition.none_of))  # type: ignore[index]
    return answered and _chosen(saved[0], condition.any_of)  # type: ignore[index]


def visible_entries(instrument: Instrument, context: Context) -> list[tuple[Item, bool]]:
    """The items to ask now, in order, as stored in the instrument, each with whether its
    options are shown reversed (a paired item whose design shows measure_b first)."""
    pairs = {item.code: swap for item, swap in assigned_pairs(instrument, context.setting, context.slot)}
    shown: list[tuple[Item, bool]] = []
    visible: set[str] = set()
    for item in _ITEMS_FOR.get(instrument, context.setting):
        if item.requires is not None and item.requires not in context.features:
            continue
        swapped = False
        if item.type == "paired":
            if item.code not in pairs:
                continue
            swapped = pairs[item.code]
        if item.show_if and not all(_holds(c, visible, context.answers) for c in item.show_if):
            continue
        shown.append((item, swapped))
        visible.add(item.code)
    return shown


def _controlling_items(instrument: Instrument, _: None) -> frozenset[str]:
    return frozenset(condition.item for item in instrument.items for condition in item.show_if or ())


_CONTROLLING: InstrumentCache[None, frozenset[str]] = InstrumentCache(_controlling_items)


def controls_visibility(instrument: Instrument, item_code: str) -> bool:
    """Whether any skip rule reads the answer to `item_code`; if none does, answering it
    changes nothing about which items are asked."""
    return item_code in _CONTROLLING.get(instrument, None)


def as_shown(item: Item, swapped: bool) -> Item:
    """The item with its options in display order."""
    return msgspec.structs.replace(item, options=list(reversed(item.options))) if swapped else item


def visible_items(instrument: Instrument, context: Context) -> list[Item]:
    """The items to ask now, in order; paired items carry their display order in `options`."""
    return [as_shown(item, swapped) for item, swapped in visible_entries(instrument, context)]
