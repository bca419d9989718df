"""Check one answer against its item: the one place that knows what a valid answer is."""

from typing import Any

from surveys.errors import AnswerError
from surveys.model import Item


def check_answer(item: Item, value: Any, missing: str | None) -> tuple[Any, str | None]:
    """Return the (value, missing) pair to store, or raise AnswerError naming the field.

    An answer is either a value or a missing code ("don't know", "prefer not to answer"),
    never both, so a missing code can never be averaged as a number.
    """
    if missing is not None:
        if value is not None:
            raise AnswerError("value", "give either a value or a missing code, not both")
        if missing not in item.missing_options:
            allowed = ", ".join(item.missing_options) or "none"
            raise AnswerError("missing", f"'{missing}' is not allowed for this item (allowed: {allowed})")
        return None, missing
    if value is None:
        raise AnswerError("value", "is required unless a missing code is given")
    if item.type == "vas":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AnswerError("value", f"must be a number from {item.minimum} to {item.maximum}")
        if value != value or not item.minimum <= value <= item.maximum:
            raise AnswerError("value", f"must be between {item.minimum} and {item.maximum}, got {value}")
        return int(round(value)), None
    raise AnswerError("value", f"unsupported item type '{item.type}'")
