"""The ladder figure as structured SVG, drawn like the authority's own figures.

Tiers are stacked least intrusive at the bottom to most intrusive at the top; measures in
one tier stand side by side (equally intrusive); a measure not legal today has a dashed
outline; a boundary the data do not settle is a dashed line marked "?". Two panels (the
measured ladder and the authority's reference) may stand side by side, with measures
whose order differs highlighted in both.

Stable classes and data attributes (`panel`, `tier`, `measure`, `not-legal`, `differs`,
`boundary undetermined`, `data-measure`, `data-tier`) let tests and stylesheets address
every part. Styling is in attributes, not CSS, so every renderer (browsers, cairosvg,
WeasyPrint) draws the same picture.
"""

import math
from html import escape
from textwrap import wrap

import msgspec

from server.publication.wording import word

BOX_W = 150
BOX_H = 58
GAP_X = 14
ROW_H = 84
AXIS_W = 70
PANEL_GAP = 40
TITLE_H = 46
LEGEND_H = 70
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
INK = "#1f2937"
FILL_LEGAL = "#dbeafe"
FILL_NOT_LEGAL = "#ffffff"
STROKE = "#1e3a8a"
DIFFERS = "#ea580c"
DASH = "6 4"


class MeasureBox(msgspec.Struct, frozen=True):
    """One measure as drawn."""

    code: str
    label: str
    legal: bool
    differs: bool = False


class TierRow(msgspec.Struct, frozen=True):
    """One tier; `boundary_above` is "separated", "undetermined" or None (top, or reference).

    `status` is the tier's own: "tie", "single", or "undetermined" when the data do not
    settle the order of its measures (drawn with a dashed outline); None for reference tiers.
    """

    measures: list[MeasureBox]
    boundary_above: str | None = None
    status: str | None = None


class Panel(msgspec.Struct, frozen=True):
    """One ladder, least intrusive tier first; `kind` is "measured" or "reference"."""

    kind: str
    title: str
    tiers: list[TierRow]


def _text_lines(x: float, y: float, lines: list[str], size: int, anchor: str = "middle", weight: str = "normal", cls: str = "") -> str:
    attrs = f'x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" fill="{INK}" font-weight="{weight}"'
    if cls:
        attrs += f' class="{cls}"'
    if len(lines) == 1:
        return f"<text {attrs}>{escape(lines[0])}</text>"
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if k == 0 else size * 1.15:.1f}">{escape(line)}</tspan>' for k, line in enumerate(lines)
    )
    return f"<text {attrs}>{spans}</text>"


def _box(m: MeasureBox, x: float, y: float) -> str:
    classes = ["measure", "legal" if m.legal else "not-legal"] + (["differs"] if m.differs else [])
    stroke = DIFFERS if m.differs else STROKE
    dash = f' stroke-dasharray="{DASH}"' if not m.legal else ""
    lines = wrap(m.label, 22)[:4] or [m.code]
    text_y = y + BOX_H / 2 - (len(lines) - 1) * 6.3 + 4
    return (
        f'<g class="{" ".join(classes)}" data-measure="{escape(m.code)}">'
        f"<title>{escape(m.label)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="22" ry="22" '
        f'fill="{FILL_LEGAL if m.legal else FILL_NOT_LEGAL}" stroke="{stroke}" stroke-width="{3 if m.differs else 1.6}"{dash}/>'
        + _text_lines(x + BOX_W / 2, text_y, lines, 11)
        + "</g>"
    )


def panel_width(panel: Panel) -> float:
    """Width of a panel: the widest tier decides."""
    widest = max((len(t.measures) for t in panel.tiers), default=1)
    return AXIS_W + max(widest, 1) * (BOX_W + GAP_X) + GAP_X


def _panel(panel: Panel, x0: float, rows: int, language: str) -> str:
    width = panel_width(panel)
    top = TITLE_H
    height = rows * ROW_H
    inner_left = x0 + AXIS_W
    inner_w = width - AXIS_W
    parts = [f'<g class="panel {panel.kind}" data-tiers="{len(panel.tiers)}">']
    parts.append(_text_lines(x0 + width / 2, 28, [panel.title], 15, weight="bold", cls="panel-title"))
    # The axis: an arrow pointing up to "more intrusive", as in the authority's figures.
    ax = x0 + 22
    parts.append(
        f'<g class="axis"><line x1="{ax}" y1="{top + height - 4}" x2="{ax}" y2="{top + 12}" stroke="{INK}" stroke-width="2"/>'
        f'<polygon points="{ax - 6},{top + 14} {ax + 6},{top + 14} {ax},{top + 2}" fill="{INK}"/>'
        + _text_lines(ax + 12, top + 10, [word("more", language)], 10, anchor="start", cls="axis-more")
        + _text_lines(ax + 12, top + height - 2, [word("less", language)], 10, anchor="start", cls="axis-less")
        + "</g>"
    )
    for k, tier in enumerate(panel.tiers):
        # Tier 0 (least intrusive) at the bottom.
        row_top = top + (rows - 1 - k) * ROW_H
        y = row_top + (ROW_H - BOX_H) / 2
        total = len(tier.measures) * BOX_W + (len(tier.measures) - 1) * GAP_X
        x = inner_left + (inner_w - total) / 2
        unsettled = tier.status == "undetermined"
        parts.append(f'<g class="tier{" undetermined" if unsettled else ""}" data-tier="{k}" data-size="{len(tier.measures)}">')
        if unsettled:
            parts.append(
                f'<rect class="unsettled" x="{x - GAP_X / 2:.1f}" y="{y - 6:.1f}" width="{total + GAP_X:.1f}" height="{BOX_H + 12}" '
                f'rx="26" ry="26" fill="none" stroke="{DIFFERS}" stroke-width="2" stroke-dasharray="{DASH}"/>'
            )
        for m in tier.measures:
            parts.append(_box(m, x, y))
            x += BOX_W + GAP_X
        parts.append("</g>")
        if k < len(panel.tiers) - 1 and tier.boundary_above is not None:
            line_y = row_top
            status = tier.boundary_above
            if status == "undetermined":
                parts.append(
                    f'<g class="boundary undetermined" data-between="{k}-{k + 1}">'
                    f'<line x1="{inner_left:.1f}" y1="{line_y:.1f}" x2="{x0 + width - GAP_X:.1f}" y2="{line_y:.1f}" '
                    f'stroke="{DIFFERS}" stroke-width="2" stroke-dasharray="{DASH}"/>'
                    + _text_lines(x0 + width - GAP_X, line_y - 4, [f"? {word('undetermined', language)}"], 10, anchor="end")
                    + "</g>"
                )
            else:
                parts.append(
                    f'<g class="boundary {escape(status)}" data-between="{k}-{k + 1}">'
                    f'<line x1="{inner_left:.1f}" y1="{line_y:.1f}" x2="{x0 + width - GAP_X:.1f}" y2="{line_y:.1f}" '
                    f'stroke="#9ca3af" stroke-width="1"/></g>'
                )
    parts.append("</g>")
    return "".join(parts)


def _legend(y: float, width: float, language: str, show_differs: bool) -> str:
    items = [
        f'<rect x="12" y="{y + 6}" width="34" height="18" rx="8" fill="{FILL_NOT_LEGAL}" stroke="{STROKE}" stroke-dasharray="{DASH}"/>'
        + _text_lines(54, y + 19, [word("not_legal", language)], 10, anchor="start"),
        f'<line x1="12" y1="{y + 42}" x2="46" y2="{y + 42}" stroke="{DIFFERS}" stroke-width="2" stroke-dasharray="{DASH}"/>'
        + _text_lines(54, y + 46, [word("undetermined_legend", language)], 10, anchor="start"),
    ]
    half = width / 2
    items.append(_text_lines(half, y + 19, [word("side_by_side", language)], 10, anchor="start"))
    if show_differs:
        items.append(
            f'<rect x="{half - 42}" y="{y + 33}" width="34" height="18" rx="8" fill="{FILL_LEGAL}" stroke="{DIFFERS}" stroke-width="3"/>'
            + _text_lines(half, y + 46, [word("differs", language)], 10, anchor="start")
        )
    return f'<g class="legend">{"".join(items)}</g>'


def watermark_svg(width: float, height: float, text: str) -> str:
    """A large, faint, diagonal text across a figure (simulated data): drawn with SVG
    attributes only, so it survives PNG export and pages whose policy forbids inline CSS."""
    # Along the diagonal, sized so the text (about 0.62 em per character) stays inside.
    angle = math.degrees(math.atan2(height, width))
    size = max(10.0, min(0.8 * math.hypot(width, height) / (0.62 * max(len(text), 1)), height / 3))
    cx, cy = width / 2, height / 2
    return (
        f'<text class="watermark" aria-hidden="true" x="{cx:.1f}" y="{cy:.1f}" transform="rotate({-angle:.1f} {cx:.1f} {cy:.1f})" '
        f'font-family="{FONT}" font-size="{size:.0f}" font-weight="bold" text-anchor="middle" fill="#b91c1c" fill-opacity="0.2">{escape(text)}</text>'
    )


def ladder_svg(panels: list[Panel], language: str, title: str, figure_id: str = "ladder", description: str = "", watermark: str = "") -> str:
    """One figure of one or more ladders side by side, as an SVG document string.

    `watermark` (simulated data) is written across the figure. `description` (the tiers in words) joins the title as the figure's text alternative:
    the SVG's <title> is what a tagged PDF gives as the figure's /Alt, and its
    aria-label what a screen reader reads in the browser."""
    label = f"{title}. {description}" if description else title
    rows = max((len(p.tiers) for p in panels), default=1) or 1
    widths = [panel_width(p) for p in panels]
    width = sum(widths) + PANEL_GAP * (len(panels) - 1)
    height = TITLE_H + rows * ROW_H + LEGEND_H + 24
    body = []
    x = 0.0
    for panel, w in zip(panels, widths, strict=True):
        body.append(_panel(panel, x, rows, language))
        x += w + PANEL_GAP
    show_differs = any(m.differs for p in panels for t in p.tiers for m in t.measures)
    legend_y = TITLE_H + rows * ROW_H + 16
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" id="{escape(figure_id)}" lang="{language}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<rect class="background" x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>'
        + "".join(body)
        + _legend(legend_y, width, language, show_differs)
        + (watermark_svg(width, height, watermark) if watermark else "")
        + "</svg>"
    )
