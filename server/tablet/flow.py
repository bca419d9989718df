"""Which screen comes next: one item per screen, in the order the service gives them.

The service applies skip logic: `ResponseOut.items` holds only the items asked now, and
an item's visibility depends only on earlier answers, so positions up to the current one
stay stable while later ones may appear or vanish after an answer.
"""

from server.respondent.schemas import ResponseOut


def next_index(response: ResponseOut, index: int) -> int:
    """The item after `index`, or len(items) for the end screen."""
    return min(index + 1, len(response.items))


def previous_index(response: ResponseOut, index: int) -> int:
    """The item before `index` (0 at the start)."""
    return max(min(index, len(response.items)) - 1, 0)


def first_open_index(response: ResponseOut) -> int:
    """Where a resumed respondent continues: the first unanswered item (or the end)."""
    for index, item in enumerate(response.items):
        if item.code not in response.answers:
            return index
    return len(response.items)


def is_shown(response: ResponseOut, index: int) -> bool:
    """Every listed item is asked (the service already dropped the hidden ones)."""
    return 0 <= index < len(response.items)


def shown_position(response: ResponseOut, index: int) -> tuple[int, int]:
    """(n, total) for "question n of total"."""
    return index + 1, max(len(response.items), 1)
