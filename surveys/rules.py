"""Whole-questionnaire checks made after expansion: unique codes and skip rules that point somewhere."""

from surveys.errors import InstrumentError
from surveys.model import InstrumentSource, Item


def check_rules(items: list[Item], source: InstrumentSource, structure: str) -> None:
    """Refuse duplicate item codes, dangling skip rules and an unusable paired design."""
    position: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.code in position:
            raise InstrumentError(structure, "items", f"duplicate item code '{item.code}'")
        position[item.code] = index
    for index, item in enumerate(items):
        for c, condition in enumerate(item.show_if):
            where = f"items.{item.code}.show_if[{c}]"
            target_index = position.get(condition.item)
            if target_index is None:
                raise InstrumentError(structure, where, f"skip rule points to no item: '{condition.item}'")
            if target_index >= index:
                raise InstrumentError(structure, where, f"skip rule must depend on an earlier item, not '{condition.item}'")
            target = items[target_index]
            codes = target.option_codes()
            if not codes:
                raise InstrumentError(structure, where, f"'{condition.item}' is a {target.type} item; skip rules need a choice item")
            if not condition.any_of:
                raise InstrumentError(structure, where, "any_of must list at least one answer")
            for value in condition.any_of:
                if value not in codes:
                    raise InstrumentError(structure, where, f"'{value}' is not an answer of '{condition.item}' (answers: {', '.join(codes)})")
    paired = [item for item in items if item.type == "paired"]
    if paired and source.pairs_per_respondent < 1:
        raise InstrumentError(structure, "pairs_per_respondent", "a questionnaire with paired items must ask at least one pair")
    if source.pairs_per_respondent and not paired:
        raise InstrumentError(structure, "pairs_per_respondent", "there are no paired items to ask")
