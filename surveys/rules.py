"""Whole-questionnaire checks made after expansion: unique codes and skip rules that point somewhere."""

from surveys.errors import InstrumentError
from surveys.model import Catalogue, Condition, InstrumentSource, Item


def _check_condition(condition: Condition, items: list[Item], position: dict[str, int], index: int, structure: str, where: str) -> None:
    """Refuse a condition of the item at `index` that cannot work as a skip rule."""
    target_index = position.get(condition.item)
    if target_index is None:
        raise InstrumentError(structure, where, f"skip rule points to no item: '{condition.item}'")
    if target_index >= index:
        raise InstrumentError(structure, where, f"skip rule must depend on an earlier item, not '{condition.item}'")
    target = items[target_index]
    codes = target.option_codes()
    if not codes:
        raise InstrumentError(structure, where, f"'{condition.item}' is a {target.type} item; skip rules need a choice item")
    if bool(condition.any_of) == bool(condition.none_of):
        raise InstrumentError(structure, where, "give exactly one of any_of or none_of, listing at least one answer")
    for value in condition.any_of or condition.none_of:
        if value not in codes:
            raise InstrumentError(structure, where, f"'{value}' is not an answer of '{condition.item}' (answers: {', '.join(codes)})")


def check_measure_rules(items: list[Item], source: InstrumentSource, catalogue: Catalogue, structure: str) -> None:
    """Refuse `measure_show_if` entries that name an unknown measure or cannot apply to its items.

    Run before `check_rules` so a broken entry is reported where the author wrote it
    (`measure_show_if.<measure>[i]`), not on each item it was copied to.
    """
    position = {item.code: index for index, item in enumerate(items)}
    known = {measure.code for measure in catalogue.measures}
    for code, conditions in source.measure_show_if.items():
        where = f"measure_show_if.{code}"
        if code not in known:
            raise InstrumentError(structure, where, f"unknown measure code '{code}'")
        if not conditions:
            raise InstrumentError(structure, where, "must list at least one condition")
        for item in items:
            # A ranking orders all its measures on one screen; it cannot leave one out.
            if item.type == "ranking" and code in item.option_codes():
                raise InstrumentError(structure, where, f"ranking item '{item.code}' lists '{code}', and a ranking cannot leave one measure out")
        about = [index for index, item in enumerate(items) if code in (item.measure, item.measure_b)]
        if not about:
            raise InstrumentError(structure, where, f"no item of this questionnaire is about measure '{code}'")
        for c, condition in enumerate(conditions):
            # The earliest item about the measure is the strictest test of "depends on an earlier item".
            _check_condition(condition, items, position, about[0], structure, f"{where}[{c}]")
            if position[condition.item] in about:
                raise InstrumentError(structure, f"{where}[{c}]", f"'{condition.item}' is itself about '{code}'")


def check_rules(items: list[Item], source: InstrumentSource, structure: str) -> None:
    """Refuse duplicate item codes, dangling skip rules and an unusable paired design."""
    position: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.code in position:
            raise InstrumentError(structure, "items", f"duplicate item code '{item.code}'")
        position[item.code] = index
    for index, item in enumerate(items):
        for c, condition in enumerate(item.show_if):
            _check_condition(condition, items, position, index, structure, f"items.{item.code}.show_if[{c}]")
    paired = [item for item in items if item.type == "paired"]
    if paired and source.pairs_per_respondent < 1:
        raise InstrumentError(structure, "pairs_per_respondent", "a questionnaire with paired items must ask at least one pair")
    if source.pairs_per_respondent and not paired:
        raise InstrumentError(structure, "pairs_per_respondent", "there are no paired items to ask")
