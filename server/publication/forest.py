"""The forest figure of one group x setting: each measure's mean with its confidence
interval, on the 0-100 scale, in tier order, with the tier boundaries marked.

It stands beside the ladder so a reader sees how far apart two tiers are and how wide
the intervals are (a ladder alone shows order, not distance). Rows run like the ladder:
most intrusive at the top, least intrusive at the bottom. A boundary the data settle is
a solid line; an undetermined one is a dashed orange line marked "?"; a tier whose inner
order is not settled has a dashed bracket. Measures left out of the tiers come last,
under "not tiered".

Structured SVG like :mod:`server.publication.ladder`: stable classes and data attributes
(`forest`, `row`, `tier-band`, `boundary separated|undetermined`, `unsettled`,
`data-measure`, `data-tier`, `data-mean`, `data-low`, `data-high`, full machine values)
and styling in attributes so every renderer draws the same. The figure is an image to
assistive technology (role="img") with a title and a description listing every number.
"""

from html import escape
from textwrap import shorten
from typing import Any

import msgspec

from server.publication.ladder import watermark_svg
from server.publication.rendering import interval, number
from server.publication.tier_numbering import tier_number
from server.publication.wording import measure_label, word

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
BAND = "#f3f4f6"
MARK = "#1e3a8a"
UNDETERMINED = "#ea580c"
DASH = "6 4"
LABEL_W = 210
TIER_W = 54
PLOT_W = 300
VALUE_W = 132
ROW_H = 21
TOP = 40
AXIS_H = 44
TICKS = (0, 20, 40, 60, 80, 100)

TEXT = {
    "title": {"da": "Gennemsnit med {level} % konfidensinterval", "en": "Mean with {level}% confidence interval"},
    "axis": {"da": "Gennemsnit (0 = slet ikke, 100 = meget indgribende)", "en": "Mean (0 = not at all, 100 = extremely intrusive)"},
    "tier": {"da": "Trin {k}", "en": "Tier {k}"},
    "untiered": {"da": "Uden trin", "en": "Not tiered"},
    "desc": {
        "da": "Tiltag i trinrækkefølge, mest indgribende først. Hvert tiltag: gennemsnit (konfidensinterval).",
        "en": "Measures in tier order, most intrusive first. Each measure: mean (confidence interval).",
    },
    "separated": {"da": "adskilt grænse", "en": "separated boundary"},
    "undetermined": {"da": "uafklaret grænse", "en": "undetermined boundary"},
    "unsettled": {"da": "rækkefølgen i trinet er uafklaret", "en": "order within the tier not settled"},
    "to_tier": {"da": "til trin {k}", "en": "to tier {k}"},
}


class ForestRow(msgspec.Struct, frozen=True):
    """One measure as drawn; `tier` is the printed tier number (None: not tiered)."""

    code: str
    label: str
    tier: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None


class ForestTier(msgspec.Struct, frozen=True):
    """A tier as drawn: printed number, status and the boundary to the tier above."""

    number: int
    status: str
    boundary_above: str | None


def _text(text: str, language: str, **values: object) -> str:
    return TEXT[text][language if language in ("da", "en") else "en"].format(**values)


def forest_rows(document: dict[str, Any], group: dict[str, Any], language: str) -> tuple[list[ForestRow], list[ForestTier]]:
    """The rows (least intrusive first, untiered last) and tiers of one published cell."""
    rows = [
        ForestRow(
            code=m["measure"],
            label=measure_label(m["measure"], language),
            tier=tier_number(document, m.get("tier")),
            mean=m.get("mean"),
            ci_low=m.get("ci_low"),
            ci_high=m.get("ci_high"),
        )
        for m in group["measures"]
    ]
    tiers = [
        ForestTier(number=tier_number(document, t["index"]) or 0, status=t.get("status") or "single", boundary_above=t.get("boundary_above"))
        for t in group["tiers"]
    ]
    # Tier order, as the document lists it; measures without a tier after all tiers.
    order = {t.number: k for k, t in enumerate(tiers)}
    rows.sort(key=lambda r: order.get(r.tier, len(tiers)) if r.tier is not None else len(tiers))
    return rows, tiers


def _x(value: float) -> float:
    return LABEL_W + TIER_W + PLOT_W * min(max(value, 0.0), 100.0) / 100.0


def _t(x: float, y: float, text: str, size: float = 10, anchor: str = "start", fill: str = INK, cls: str = "", weight: str = "normal") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}"{klass}>{escape(text)}</text>'
    )


def _description(rows: list[ForestRow], tiers: list[ForestTier], language: str, level: int) -> str:
    parts = [_text("desc", language)]
    by_tier: dict[int | None, list[ForestRow]] = {}
    for r in rows:
        by_tier.setdefault(r.tier, []).append(r)
    for tier in reversed(tiers):
        listed = "; ".join(f"{r.label} {number(r.mean, 1, language)} ({interval(r.ci_low, r.ci_high, 1, language)})" for r in by_tier.get(tier.number, []))
        status = f", {_text('unsettled', language)}" if tier.status == "undetermined" else ""
        boundary = tier_below_boundary(tiers, tier)
        below = f"; {_text(boundary, language)} {_text('to_tier', language, k=tier.number - 1)}" if boundary else ""
        parts.append(f"{_text('tier', language, k=tier.number)}{status}: {listed}{below}.")
    if None in by_tier:
        parts.append(_text("untiered", language) + ": " + "; ".join(f"{r.label} {number(r.mean, 1, language)} ({interval(r.ci_low, r.ci_high, 1, language)})" for r in by_tier[None]) + ".")
    return " ".join(parts)


def tier_below_boundary(tiers: list[ForestTier], tier: ForestTier) -> str | None:
    """Status of the boundary between `tier` and the tier below it (None for the lowest)."""
    k = tiers.index(tier)
    return tiers[k - 1].boundary_above if k > 0 else None


def forest_svg(document: dict[str, Any], group: dict[str, Any], language: str, alpha: float = 0.05, watermark: str = "") -> str:
    """The forest figure of one published group x setting, as an SVG document string
    (`watermark`: text written across it, for simulated data)."""
    rows, tiers = forest_rows(document, group, language)
    level = round(100 * (1 - alpha))
    drawn = list(reversed(rows))  # most intrusive at the top, as in the ladder
    height = TOP + len(drawn) * ROW_H + AXIS_H
    width = LABEL_W + TIER_W + PLOT_W + VALUE_W
    figure_id = f"forest-{group['setting']}-{group['group']}-{language}"
    title = f"{word(group['setting'], language)}: {word(group['group'], language)}. {_text('title', language, level=level)}"
    # The <title> is the figure's text alternative (tagged PDF /Alt): title and every number.
    label = f"{title}. {_description(rows, tiers, language, level)}"
    plot_top, plot_bottom = TOP, TOP + len(drawn) * ROW_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" id="{escape(figure_id)}" lang="{language}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'data-group="{escape(group["group"])}" data-setting="{escape(group["setting"])}">',
        f"<title>{escape(label)}</title>",
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        _t(LABEL_W + TIER_W + PLOT_W / 2, 16, _text("title", language, level=level), 11, "middle", cls="forest-title", weight="bold"),
    ]
    # Tier bands: alternate shading, the tier number at the left of the plot.
    row_of = {id(r): k for k, r in enumerate(drawn)}
    bands: list[tuple[int | None, int, int]] = []  # (tier, first row, last row) in drawing order
    for k, r in enumerate(drawn):
        if bands and bands[-1][0] == r.tier:
            bands[-1] = (r.tier, bands[-1][1], k)
        else:
            bands.append((r.tier, k, k))
    status_of = {t.number: t for t in tiers}
    for b, (tier, first, last) in enumerate(bands):
        y0, y1 = plot_top + first * ROW_H, plot_top + (last + 1) * ROW_H
        unsettled = tier is not None and status_of.get(tier) is not None and status_of[tier].status == "undetermined"
        classes = "tier-band" + (" untiered" if tier is None else "") + (" unsettled" if unsettled else "")
        parts.append(f'<g class="{classes}" data-tier="{tier if tier is not None else ""}">')
        if b % 2 == 0:
            parts.append(f'<rect x="{LABEL_W:.1f}" y="{y0:.1f}" width="{TIER_W + PLOT_W:.1f}" height="{y1 - y0:.1f}" fill="{BAND}"/>')
        name = _text("tier", language, k=tier) if tier is not None else _text("untiered", language)
        parts.append(_t(LABEL_W + 4, (y0 + y1) / 2 + 3.5, name, 9, fill=MUTED, cls="tier-label"))
        if unsettled:
            # A dashed bracket: the order of these rows is not a finding.
            bx = LABEL_W + TIER_W - 6
            parts.append(
                f'<path class="unsettled" d="M {bx + 4:.1f} {y0 + 3:.1f} H {bx:.1f} V {y1 - 3:.1f} H {bx + 4:.1f}" fill="none" '
                f'stroke="{UNDETERMINED}" stroke-width="1.6" stroke-dasharray="3 2"/>'
                + _t(bx - 2, y0 + 11, "?", 9, "end", UNDETERMINED)
            )
        parts.append("</g>")
    # Grid and axis.
    parts.append('<g class="axis">')
    for tick in TICKS:
        x = _x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{plot_top:.1f}" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}" stroke-width="0.8"/>')
        parts.append(_t(x, plot_bottom + 13, number(tick, 0, language), 9, "middle", MUTED, cls="tick"))
    parts.append(f'<line x1="{_x(0):.1f}" y1="{plot_bottom:.1f}" x2="{_x(100):.1f}" y2="{plot_bottom:.1f}" stroke="{INK}" stroke-width="1"/>')
    parts.append(_t(_x(50), plot_bottom + 30, _text("axis", language), 9, "middle", cls="axis-label"))
    parts.append("</g>")
    # Boundaries between consecutive bands (drawing order: a band's top edge is the boundary below the band above).
    for (upper, _, last_upper), (lower, first_lower, _) in zip(bands, bands[1:]):
        y = plot_top + first_lower * ROW_H
        if upper is None or lower is None:
            parts.append(f'<line class="untiered-separator" x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="{MUTED}" stroke-width="0.8"/>')
            continue
        status = status_of[lower].boundary_above if lower in status_of else None
        if status == "undetermined":
            parts.append(
                f'<g class="boundary undetermined" data-between="{lower}-{upper}">'
                f'<line x1="{LABEL_W:.1f}" y1="{y:.1f}" x2="{width - 4:.1f}" y2="{y:.1f}" stroke="{UNDETERMINED}" stroke-width="1.6" stroke-dasharray="{DASH}"/>'
                + _t(width - 4, y - 2.5, f"? {_text('undetermined', language)}", 8, "end", UNDETERMINED)
                + "</g>"
            )
        else:
            parts.append(
                f'<g class="boundary separated" data-between="{lower}-{upper}">'
                f'<line x1="{LABEL_W:.1f}" y1="{y:.1f}" x2="{width - 4:.1f}" y2="{y:.1f}" stroke="{INK}" stroke-width="1.2"/></g>'
            )
    # Rows: label, interval, mean, printed values.
    for r in drawn:
        k = row_of[id(r)]
        cy = plot_top + k * ROW_H + ROW_H / 2
        attrs = f'data-measure="{escape(r.code)}" data-tier="{r.tier if r.tier is not None else ""}"'
        if r.mean is not None:
            attrs += f' data-mean="{r.mean}"'
        if r.ci_low is not None and r.ci_high is not None:
            attrs += f' data-low="{r.ci_low}" data-high="{r.ci_high}"'
        parts.append(f'<g class="row" {attrs}>')
        parts.append(f"<title>{escape(r.label)}</title>")
        parts.append(_t(LABEL_W - 6, cy + 3.5, shorten(r.label, 36, placeholder="…"), 9.5, "end", cls="label"))
        if r.ci_low is not None and r.ci_high is not None:
            parts.append(
                f'<line class="ci" x1="{_x(r.ci_low):.1f}" y1="{cy:.1f}" x2="{_x(r.ci_high):.1f}" y2="{cy:.1f}" stroke="{MARK}" stroke-width="1.8"/>'
                f'<line x1="{_x(r.ci_low):.1f}" y1="{cy - 4:.1f}" x2="{_x(r.ci_low):.1f}" y2="{cy + 4:.1f}" stroke="{MARK}" stroke-width="1.2"/>'
                f'<line x1="{_x(r.ci_high):.1f}" y1="{cy - 4:.1f}" x2="{_x(r.ci_high):.1f}" y2="{cy + 4:.1f}" stroke="{MARK}" stroke-width="1.2"/>'
            )
        if r.mean is not None:
            parts.append(f'<rect class="mean" x="{_x(r.mean) - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{MARK}"/>')
        value = f"{number(r.mean, 1, language)} ({interval(r.ci_low, r.ci_high, 1, language)})"
        parts.append(_t(width - 4, cy + 3.5, value, 9, "end", cls="value"))
        parts.append("</g>")
    if watermark:
        parts.append(watermark_svg(width, height, watermark))
    parts.append("</svg>")
    return "".join(parts)
