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

The first three depend only on the session, not on its answers: `route_plan` applies them
and gives the session's candidate items in order, each with its `show_if` conditions.
`visible_codes` applies the conditions to the answers. A device that holds the plan can
therefore decide what to ask next without the server (server/tablet/static/routing.js is
the same rule in JavaScript; tests/vectors/routing_cases.json holds the cases both must
agree on).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from surveys.design import assigned_pairs
from surveys.instrument_cache import InstrumentCache
from surveys.model import Condition, Instrument, Item

#: Saved answers by item code: (value, missing code). A value is a string (one option
#: code, or text), a number, or a list of option codes (a multiple-choice item).
Answers = Mapping[str, tuple[Any, str | None]]

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
    answers: Answers = field(default_factory=dict)


class RouteCondition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One `show_if` condition: exactly one of `any_of` / `none_of` is non-empty (if
    both are, `none_of` decides; if neither is, the condition never holds)."""

    item: str
    any_of: list[str]
    none_of: list[str]


class RouteStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A candidate item of a session: asked when every condition in `show_if` holds.
    `swapped`: a paired item whose options are shown in reverse (measure_b first)."""

    code: str
    swapped: bool
    show_if: list[RouteCondition]


def _route_condition(condition: Condition) -> RouteCondition:
    return RouteCondition(item=condition.item, any_of=list(condition.any_of), none_of=list(condition.none_of))


def _steps(instrument: Instrument, _: None) -> dict[str, tuple[RouteStep, RouteStep]]:
    """Each item's step, as shown and swapped, built once so plans share them."""
    steps: dict[str, tuple[RouteStep, RouteStep]] = {}
    for item in instrument.items:
        show_if = [_route_condition(c) for c in item.show_if]
        steps[item.code] = (RouteStep(item.code, False, show_if), RouteStep(item.code, True, show_if))
    return steps


_STEPS: InstrumentCache[None, dict[str, tuple[RouteStep, RouteStep]]] = InstrumentCache(_steps)


@dataclass(frozen=True)
class _Plan:
    steps: list[RouteStep]
    #: The item of each step, at the same position.
    items: list[Item]


#: (setting, features, the assigned pairs with their swaps). Keyed by the assigned pairs
#: rather than the slot: slots repeat the same pairs every design cycle, so the number of
#: plans per instrument stays bounded while slots grow without end.
_PlanKey = tuple[str, frozenset[str], tuple[tuple[str, bool], ...]]


def _build_plan(instrument: Instrument, key: _PlanKey) -> _Plan:
    setting, features, assigned = key
    pairs = dict(assigned)
    steps = _STEPS.get(instrument, None)
    plan = _Plan(steps=[], items=[])
    for item in _ITEMS_FOR.get(instrument, setting):
        if item.requires is not None and item.requires not in features:
            continue
        swapped = False
        if item.type == "paired":
            if item.code not in pairs:
                continue
            swapped = pairs[item.code]
        plan.steps.append(steps[item.code][swapped])
        plan.items.append(item)
    return plan


# A few instruments x settings x features x one design cycle of slots (up to a few
# hundred pair assignments for the largest setting).
_PLANS: InstrumentCache[_PlanKey, _Plan] = InstrumentCache(_build_plan, limit=4096)


def _plan(instrument: Instrument, context: Context) -> _Plan:
    assigned = tuple((item.code, swapped) for item, swapped in assigned_pairs(instrument, context.setting, context.slot))
    return _PLANS.get(instrument, (context.setting, context.features, assigned))


def route_plan(instrument: Instrument, context: Context) -> list[RouteStep]:
    """The session's candidate items in order, with setting, required features and the
    assigned pairs applied, each with the conditions on earlier answers that decide
    whether it is asked (`context.answers` is not read). Cached: do not mutate."""
    return _plan(instrument, context).steps


def _holds(condition: RouteCondition, visible: set[str], answers: Answers) -> bool:
    # An answer to a hidden item does not count (it is about to be dropped), so chains
    # of rules stay consistent.
    saved = answers.get(condition.item) if condition.item in visible else None
    answered = saved is not None and saved[1] is None
    if condition.none_of:
        return not (answered and _chosen(saved[0], condition.none_of))  # type: ignore[index]
    return answered and _chosen(saved[0], condition.any_of)  # type: ignore[index]


def _chosen(value: Any, codes: list[str]) -> bool:
    if isinstance(value, list):
        return any(v in codes for v in value)
    return value in codes


def _visible_positions(plan: Sequence[RouteStep], answers: Answers) -> list[int]:
    """The positions in `plan` of the steps asked with these answers: the one
    implementation of the conditions (routing.js mirrors it for the device)."""
    visible: set[str] = set()
    positions: list[int] = []
    for position, step in enumerate(plan):
        if step.show_if and not all(_holds(c, visible, answers) for c in step.show_if):
            continue
        positions.append(position)
        visible.add(step.code)
    return positions


def visible_codes(plan: Sequence[RouteStep], answers: Answers) -> list[str]:
    """The codes of the items asked with these answers, in order: `plan` filtered by its
    conditions, earlier items first, an answer to an item that is not asked counting as
    no answer."""
    return [plan[position].code for position in _visible_positions(plan, answers)]


def visible_entries(instrument: Instrument, context: Context) -> list[tuple[Item, bool]]:
    """The items to ask now, in order, as stored in the instrument, each with whether its
    options are shown reversed (a paired item whose design shows measure_b first)."""
    plan = _plan(instrument, context)
    return [(plan.items[p], plan.steps[p].swapped) for p in _visible_positions(plan.steps, context.answers)]


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
