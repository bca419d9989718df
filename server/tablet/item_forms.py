"""Turning a posted item screen into an answer, for every item type.

Field names per type (what the partials in templates/items/ post):
    vas            value + vas_set=1 once the line was touched (no preset handle)
    numeric        value (one of the number buttons)
    likert/single  value (an option code)
    paired         value (the code of the measure chosen as less intrusive)
    multiple       value.<option code>=1 per ticked box
    ranking        rank.<measure code>=<position>, 1 = least intrusive (ties and gaps
                   are refused with ScreenRefused)
    text           value (the comment)
Returns None when the screen holds no answer (the respondent skipped it).
"""

from server.respondent.errors import InvalidInput
from server.respondent.schemas import AnswerIn
from server.tablet.refusals import ScreenRefused


def _whole_number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("value", "must be a whole number") from None


def _ranking(data: dict[str, str]) -> AnswerIn | None:
    # Ties are refused, not broken: an order the respondent did not give must never be
    # stored. No position at all is a skip; some but not all is refused, keeping what was
    # chosen on the same screen.
    positions: dict[str, int] = {}
    blank = False
    for key, raw in data.items():
        if not key.startswith("rank."):
            continue
        if not raw.strip():
            blank = True
            continue
        try:
            positions[key.removeprefix("rank.")] = int(raw)
        except ValueError:
            raise ScreenRefused(key, "must be a position number", "ranking_incomplete") from None
    if not positions:
        return None
    if blank:
        raise ScreenRefused("value", "some measures have no position", "ranking_incomplete")
    if len(set(positions.values())) != len(positions):
        raise ScreenRefused("value", "two measures share a position", "ranking_tie")
    return AnswerIn(value=sorted(positions, key=lambda code: positions[code]))


def parse_item_form(item_type: str, data: dict[str, str]) -> AnswerIn | None:
    """The answer a posted screen holds, or None if it holds none."""
    if item_type == "vas":
        if data.get("vas_set") != "1" or not data.get("value", "").strip():
            return None
        return AnswerIn(value=_whole_number(data["value"]))
    if item_type == "numeric":
        raw = data.get("value", "").strip()
        return AnswerIn(value=_whole_number(raw)) if raw else None
    if item_type == "multiple":
        chosen = [key.removeprefix("value.") for key, raw in data.items() if key.startswith("value.") and raw == "1"]
        return AnswerIn(value=chosen) if chosen else None
    if item_type == "ranking":
        return _ranking(data)
    if item_type == "text":
        raw = data.get("value", "")
        return AnswerIn(value=raw) if raw.strip() else None
    raw = data.get("value", "").strip()
    return AnswerIn(value=raw) if raw else None
