"""Counts as they may be shown to others: a count of 1-4 people is a small cell."""


def shown_count(count: int, min_cell: int) -> int | None:
    """`count`, or None (shown as "<min_cell") when 0 < count < min_cell.

    Zero stays visible: "nobody" identifies no one, and hiding it would hide that a site
    sent nothing.
    """
    return None if 0 < count < min_cell else count
