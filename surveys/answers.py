"""Check one answer against its item: the one place that knows what a valid answer is.

Stored values per item type:
    vas, numeric      whole number in [minimum, maximum]
    likert, single    one option code
    multiple          list of distinct option codes (at least one), in option order
    paired            the code of the measure chosen as less intrusive
    ranking           every listed measure code once, least intrusive first
    text              non-empty text of at most max_length characters
"""

from typing import Any

from surveys.errors import AnswerError
from surveys.model import Item


def _number(item: Item, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerError("value", f"must be a number from {item.minimum} to {item.maximum}")
    if value != value or not item.minimum <= value <= item.maximum:
        raise AnswerError("value", f"must be between {item.minimum} and {item.maximum}, got {value}")
    return int(round(value))


def _code(item: Item, value: Any, allowed: list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise AnswerError("value", f"must be one of: {', '.join(allowed)}")
    return value


def _codes(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError("value", "must be a list of option codes")
    return value


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
    if item.type in ("vas", "numeric"):
        return _number(item, value), None
    if item.type in ("likert", "single"):
        return _code(item, value, item.option_codes()), None
    if item.type == "paired":
        return _code(item, value, [item.measure or "", item.measure_b or ""]), None
    if item.type == "multiple":
        chosen = _codes(value)
        codes = item.option_codes()
        unknown = [v for v in chosen if v not in codes]
        if unknown:
            raise AnswerError("value", f"'{unknown[0]}' is not an option (options: {', '.join(codes)})")
        if not chosen:
            raise AnswerError("value", "choose at least one option, or give a missing code")
        if len(set(chosen)) != len(chosen):
            raise AnswerError("value", "lists an option twice")
        return [c for c in codes if c in chosen], None
    if item.type == "ranking":
        order = _codes(value)
        codes = item.option_codes()
        if sorted(order) != sorted(codes):
            raise AnswerError("value", f"must list each of these once, least intrusive first: {', '.join(codes)}")
        return list(order), None
    if item.type == "text":
        if not isinstance(value, str) or not value.strip():
            raise AnswerError("value", "must be non-empty text")
        if len(value) > item.max_length:
            raise AnswerError("value", f"must be at most {item.max_length} characters, got {len(value)}")
        return value.strip(), None
    raise AnswerError("value", f"unsupported item type '{item.type}'")
