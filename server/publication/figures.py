"""Ladder figures of a published gradation: measured beside reference, per group x setting.

Input is the published (already suppressed) document, so a figure can never show a
measure or group that the JSON does not.
"""

from typing import Any

from server.publication.ladder import MeasureBox, Panel, TierRow, ladder_svg
from server.publication.tier_numbering import tier_number
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


SIMULATED_MARK = {"da": "SIMULEREDE DATA – MÅ IKKE BRUGES", "en": "SIMULATED DATA – NOT FOR USE"}


def simulated_mark(document: dict[str, Any], language: str, simulated: bool = False) -> str:
    """The watermark for figures of simulated data ("" for real data). A served document
    says so itself (``publication.simulated``); for the analysis document the caller does."""
    if simulated or bool((document.get("publication") or {}).get("simulated")):
        return SIMULATED_MARK["da" if language == "da" else "en"]
    return ""


LADDER_TEXT = {
    "order": {"da": "Trin fra mindst til mest indgribende", "en": "Tiers from least to most intrusive"},
    "tier": {"da": "trin {k}", "en": "tier {k}"},
    "tie": {"da": "lige indgribende", "en": "equally intrusive"},
    "unsettled": {"da": "indbyrdes rækkefølge uafklaret", "en": "order within not settled"},
    "separated": {"da": "adskilt grænse", "en": "separated boundary"},
    "undetermined": {"da": "uafklaret grænse", "en": "undetermined boundary"},
    "not_legal": {"da": "ingen lovhjemmel i dag", "en": "not legal today"},
}


def _say(key: str, language: str, **values: object) -> str:
    return LADDER_TEXT[key]["da" if language == "da" else "en"].format(**values)


def _measure_words(code: str, language: str, differs: set[str]) -> str:
    notes = ([_say("not_legal", language)] if not legal_today().get(code, True) else []) + ([word("differs", language).split(": ", 1)[-1]] if code in differs else [])
    return measure_label(code, language) + (f" ({', '.join(notes)})" if notes else "")


def ladder_description(document: dict[str, Any], group: dict[str, Any], language: str, differs: set[str]) -> str:
    """The measured ladder in words, least intrusive first, every boundary named: the
    figure's text alternative (tagged PDF /Alt, aria-label)."""
    parts = []
    for tier in group["tiers"]:
        status = {"tie": f" ({_say('tie', language)})", "undetermined": f" ({_say('unsettled', language)})"}.get(tier.get("status") or "", "")
        members = "; ".join(_measure_words(m, language, differs) for m in tier["measures"])
        text = f"{_say('tier', language, k=tier_number(document, tier['index']))}{status}: {members}"
        if tier.get("boundary_above") in ("separated", "undetermined"):
            text += f"; {_say(tier['boundary_above'], language)}"
        parts.append(text)
    return f"{_say('order', language)}. " + ". ".join(parts) + "." if parts else ""


def figure_id(setting: str, group: str | None, language: str) -> str:
    """Stable id and file stem of a figure, e.g. ladder-general_adult-patient-da."""
    return "-".join(["ladder", setting] + ([group] if group else ["reference"]) + [language])


def group_figure(document: dict[str, Any], group: dict[str, Any], language: str, simulated: bool = False) -> str:
    """Measured ladder of one group x setting beside the reference, differences highlighted;
    watermarked when the data are simulated."""
    differs = differing_measures(group)
    panels = [measured_panel(group, language, differs)]
    reference = (document.get("reference_gradation") or {}).get(group["setting"])
    if reference:
        panels.append(reference_panel(reference, language, differs))
    title = f"{word(group['setting'], language)}: {word(group['group'], language)}"
    return ladder_svg(
        panels,
        language,
        title,
        figure_id(group["setting"], group["group"], language),
        ladder_description(document, group, language, differs),
        simulated_mark(document, language, simulated),
    )


def reference_figure(document: dict[str, Any], setting: str, language: str) -> str | None:
    """The reference ladder alone (for settings without published groups)."""
    reference = (document.get("reference_gradation") or {}).get(setting)
    if not reference:
        return None
    return ladder_svg([reference_panel(reference, language, set())], language, word(setting, language), figure_id(setting, None, language))


def all_figures(document: dict[str, Any], language: str, simulated: bool = False) -> dict[str, str]:
    """Figure id -> SVG for every published group x setting."""
    return {figure_id(g["setting"], g["group"], language): group_figure(document, g, language, simulated) for g in document["groups"]}


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """Render an SVG string to PNG with cairosvg (pure library, no browser needed)."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)
