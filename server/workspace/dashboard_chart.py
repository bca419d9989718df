"""Small charts of the fieldwork dashboard as inline SVG, drawn on the server.

Only SVG presentation attributes (width, fill, ...) are used, never `style=`, so the
workspace's content security policy (no inline styles or scripts) holds. Each chart has a
text equivalent (role="img" with a label, and the numbers are in the page's tables).
"""

from html import escape

from server.workspace.dashboard import MIN_CELL, count_text
from server.publication.counts import shown_count

BAR_WIDTH = 160
BAR_HEIGHT = 12
TRACK = "#e5e7eb"
FILL = "#1d4ed8"
DONE = "#15803d"


def progress_bar(fraction: float | None, label: str) -> str:
    """A horizontal bar: the share of the target reached (capped at the full width)."""
    filled = 0 if fraction is None else round(BAR_WIDTH * min(max(fraction, 0.0), 1.0))
    colour = DONE if fraction is not None and fraction >= 1 else FILL
    return (
        f'<svg class="bar" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">'
        f'<rect width="{BAR_WIDTH}" height="{BAR_HEIGHT}" fill="{TRACK}"/>'
        f'<rect width="{filled}" height="{BAR_HEIGHT}" fill="{colour}"/></svg>'
    )


def week_columns(weeks: list[tuple[str, int]], height: int = 120, column: int = 28, gap: int = 6) -> str:
    """Completed questionnaires per ISO week as columns; a week under 5 gets no column, only '< 5'."""
    if not weeks:
        return ""
    top = max((n for _, n in weeks if shown_count(n, MIN_CELL) is not None), default=0) or 1
    label_space = 28
    width = len(weeks) * (column + gap) + gap
    parts = [
        f'<svg class="weeks" width="{width}" height="{height + label_space * 2}" '
        f'viewBox="0 0 {width} {height + label_space * 2}" role="img" '
        f'aria-label="Completed questionnaires per ISO week (numbers in the table below)">'
    ]
    for i, (week, count) in enumerate(weeks):
        x = gap + i * (column + gap)
        shown = shown_count(count, MIN_CELL)
        bar = 0 if shown is None else round(height * shown / top)
        y = label_space + height - bar
        parts.append(f'<g><title>{escape(week)}: {escape(count_text(count))}</title>')
        if bar:
            parts.append(f'<rect x="{x}" y="{y}" width="{column}" height="{bar}" fill="{FILL}"/>')
        parts.append(
            f'<text x="{x + column / 2:g}" y="{y - 4}" font-size="11" text-anchor="middle" fill="#111827">'
            f"{escape(count_text(count))}</text>"
        )
        parts.append(
            f'<text x="{x + column / 2:g}" y="{label_space + height + 14}" font-size="9" text-anchor="middle" '
            f'fill="#374151">{escape(week[-3:])}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
