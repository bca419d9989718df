"""Ladder figures of a published gradation: measured beside reference, per group x setting.

Input is the published (already suppressed) document, so a figure can never show a
measure or group that the JSON does not.
"""

from typing import Any

from server.publication.ladder import MeasureBox, Panel, TierRow, ladder_svg
from server.publication.wording import legal_today, measure_label, word


def differing_measures(group: dict[str, Any]) -> set[str]:
    """Measures in at least one pair whose measured order contradicts the reference."""
    reference = group.get("reference") or {}
    return {m for p in reference.get("pairs", []) if p["status"] == "disagree" for m in (p["measure_a"], p["measure_b"])}


def _box(code: str, language: str, differs: set[str]) -> MeasureBox:
    return MeasureBox(code=code, label=measure_label(code, language), legal=legal_today().get(code, True), differs=code in differs)


def measured_panel(group: dict[str, Any], language: str, differs: set[str]) -> Panel:
    """The measured ladder of one published group x setting."""
    title = f"{word('measured', language)}: {word(group['group'], language)}, n = {group['respondents']}"
    tiers = [
        TierRow(measures=[_box(m, language, differs) for m in tier["measures"]], boundary_above=tier["boundary_above"], status=tier.get("status"))
        for tier in group["tiers"]
    ]
    return Panel(kind="measured", title=title, tiers=tiers)


def reference_panel(reference_tiers: list[list[str]], language: str, differs: set[str]) -> Panel:
    """The authority's reference ladder of one setting (its boundaries are expert judgement)."""
    return Panel(
        kind="reference",
        title=word("reference", language),
        tiers=[TierRow(measures=[_box(m, language, differs) for m in tier], boundary_above="reference") for tier in reference_tiers],
    )


def figure_id(setting: str, group: str | None, language: str) -> str:
    """Stable id and file stem of a figure, e.g. ladder-general_adult-patient-da."""
    return "-".join(["ladder", setting] + ([group] if group else ["reference"]) + [language])


def group_figure(document: dict[str, Any], group: dict[str, Any], language: str) -> str:
    """Measured ladder of one group x setting beside the reference, differences highlighted."""
    differs = differing_measures(group)
    panels = [measured_panel(group, language, differs)]
    reference = (document.get("reference_gradation") or {}).get(group["setting"])
    if reference:
        panels.append(reference_panel(reference, language, differs))
    title = f"{word(group['setting'], language)}: {word(group['group'], language)}"
    return ladder_svg(panels, language, title, figure_id(group["setting"], group["group"], language))


def reference_figure(document: dict[str, Any], setting: str, language: str) -> str | None:
    """The reference ladder alone (for settings without published groups)."""
    reference = (document.get("reference_gradation") or {}).get(setting)
    if not reference:
        return None
    return ladder_svg([reference_panel(reference, language, set())], language, word(setting, language), figure_id(setting, None, language))


def all_figures(document: dict[str, Any], language: str) -> dict[str, str]:
    """Figure id -> SVG for every published group x setting."""
    return {figure_id(g["setting"], g["group"], language): group_figure(document, g, language) for g in document["groups"]}


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """Render an SVG string to PNG with cairosvg (pure library, no browser needed)."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)
