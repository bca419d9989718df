"""The research report of one publication: a self-contained HTML file for A4, and a PDF.

Everything printed comes from the stored publication (the suppressed gradation JSON, the
report aggregates and the method settings), so a report of publication N prints the same
numbers today and in ten years. Each printed number carries its full value in a
`data-value` attribute, which is how tests compare it with the result object.

Tiers are printed numbered from 1 (1 = least intrusive), as the JSON numbers them;
a stored schema /2 document (numbered from 0) is read through
:mod:`server.publication.tier_numbering`. Every tier table says, between two tiers,
whether the boundary is separated or undetermined, and which tiers leave the order of
their measures unsettled. Numbers follow the report's language (decimal comma in
Danish). A draft or reviewed publication carries a "not released" banner, and one made
from simulated data a watermark on every page.
"""

from typing import TYPE_CHECKING, Any

import msgspec
from markupsafe import Markup

from server.publication.figures import differing_measures, group_figure, reference_figure
from server.publication.forest import forest_svg
from server.publication.method_text import method_paragraphs
from server.publication.rendering import plain, render
from server.publication.store import StoredPublication
from server.publication.subgroups import SPLITS
from server.publication.tier_numbering import tier_number
from server.publication.wording import level_word, measure_label, translate_note, word

if TYPE_CHECKING:
    from server.publication.diff import PublicationDiff

#: Publication statuses that are not (yet) released to the authority.
UNRELEASED = ("draft", "reviewed")

INVERSE = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
VERDICT_WORDS = {
    "less": {"da": "mindre", "en": "less"},
    "more": {"da": "mere", "en": "more"},
    "equivalent": {"da": "lige", "en": "equal"},
    "undetermined": {"da": "?", "en": "?"},
}


def verdict_matrix(group: dict[str, Any]) -> tuple[list[str], dict[tuple[str, str], dict[str, Any]]]:
    """Measures in tier order and cell (row, column) -> verdict of row relative to column
    and the mean difference column minus row."""
    order = [m for tier in group["tiers"] for m in tier["measures"]]
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for p in group["pairwise"]:
        a, b = p["measure_a"], p["measure_b"]
        cells[(a, b)] = {"verdict": p["verdict"], "diff": p["diff"], "n": p["n"]}
        cells[(b, a)] = {"verdict": INVERSE.get(p["verdict"], p["verdict"]), "diff": None if p["diff"] is None else -p["diff"], "n": p["n"]}
    return order, cells


def choice_view(group: dict[str, Any], order: list[str]) -> dict[str, Any] | None:
    """Pairs (Bradley-Terry) and rankings (Plackett-Luce) per measure, in the tiers' order
    then the rest by code, and the fits and the source agreement themselves."""
    bt, pl, agreement = group.get("bradley_terry"), group.get("plackett_luce"), group.get("source_agreement")
    if bt is None and pl is None:
        return None
    pairs = {e["measure"]: e for e in (bt or {}).get("estimates", [])}
    ranks = {e["measure"]: e for e in (pl or {}).get("estimates", [])}
    measures = [m for m in order if m in pairs or m in ranks] + sorted((set(pairs) | set(ranks)) - set(order))
    return {
        "bt": bt,
        "pl": pl,
        "rows": [{"measure": m, "pairs": pairs.get(m), "rankings": ranks.get(m)} for m in measures],
        "agreement": agreement,
        # Both fits usually share the clustering note; print it once.
        "notes": list(dict.fromkeys(f["clustering"]["note"] for f in (bt, pl) if f and f.get("clustering") and f["clustering"].get("note"))),
    }


def tier_blocks(document: dict[str, Any], group: dict[str, Any]) -> list[dict[str, Any]]:
    """The measures table of one cell in blocks, least intrusive tier first: each tier's
    printed number, status and measure rows, the status of the boundary to the block
    before it ("separated"/"undetermined"), and a last block of measures without a tier."""
    rows = {m["measure"]: m for m in group["measures"]}
    blocks: list[dict[str, Any]] = []
    previous: str | None = None
    for tier in group["tiers"]:
        blocks.append(
            {
                "number": tier_number(document, tier["index"]),
                "status": tier.get("status") or "single",
                "boundary_below": previous if blocks else None,
                "measures": [rows[m] for m in tier["measures"] if m in rows],
            }
        )
        previous = tier.get("boundary_above")
    tiered = {m for t in group["tiers"] for m in t["measures"]}
    rest = [m for m in group["measures"] if m["measure"] not in tiered]
    if rest:
        blocks.append({"number": None, "status": "untiered", "boundary_below": None, "measures": rest})
    return blocks


def tier_sequence(document: dict[str, Any], group: dict[str, Any]) -> list[tuple[int | None, str | None, str]]:
    """(tier number, boundary to the next tier, tier status) for the summary's tier sequence."""
    return [(tier_number(document, t["index"]), t.get("boundary_above"), t.get("status") or "single") for t in group["tiers"]]


def _group_view(document: dict[str, Any], group: dict[str, Any], language: str) -> dict[str, Any]:
    order, cells = verdict_matrix(group)
    reference = group.get("reference")
    settings_alpha = (document.get("settings") or {}).get("alpha", 0.05)
    return {
        "group": group,
        "title": f"{word(group['group'], language)} – {word(group['setting'], language)}",
        # The report's own page watermark covers its figures; a second one inside would hide them.
        "figure": Markup(group_figure(document, group, language)),
        "forest": Markup(forest_svg(document, group, language, settings_alpha)),
        "blocks": tier_blocks(document, group),
        "sequence": tier_sequence(document, group),
        "boundaries": {
            "separated": sum(t.get("boundary_above") == "separated" for t in group["tiers"]),
            "undetermined": sum(t.get("boundary_above") == "undetermined" for t in group["tiers"]),
        },
        "order": order,
        "cells": cells,
        "differs": sorted(differing_measures(group)),
        "disagreements": [p for p in (reference or {}).get("pairs", []) if p["status"] == "disagree"],
        "reference": reference,
        "choice": choice_view(group, order),
    }


def _group_comparison(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per setting: measure -> group -> mean row, for the patients/relatives/staff table."""
    out = []
    for setting in dict.fromkeys(g["setting"] for g in document["groups"]):
        groups = [g for g in document["groups"] if g["setting"] == setting]
        measures = list(dict.fromkeys(m["measure"] for g in groups for m in g["measures"]))
        rows = {m: {g["group"]: next((r for r in g["measures"] if r["measure"] == m), None) for g in groups} for m in measures}
        contrasts = []
        for models in document.get("models", []):
            if models["setting"] == setting and models.get("mixed") and not models["mixed"].get("error"):
                contrasts = models["mixed"]["group_contrasts"]
        out.append({"setting": setting, "groups": [g["group"] for g in groups], "measures": measures, "rows": rows, "contrasts": contrasts})
    return out


def _subgroup_tables(report: Any) -> list[dict[str, Any]]:
    tables = []
    for variable in SPLITS:
        rows = [r for r in report.subgroups if r.variable == variable]
        for setting in dict.fromkeys(r.setting for r in rows):
            in_setting = [r for r in rows if r.setting == setting]
            levels = sorted({r.level for r in in_setting})
            measures = list(dict.fromkeys(r.measure for r in in_setting))
            cells = {(r.measure, r.level): r for r in in_setting}
            tables.append({"variable": variable, "setting": setting, "levels": levels, "measures": measures, "cells": cells})
    return tables


def report_context(publication: StoredPublication, language: str, changes: "PublicationDiff | None" = None) -> dict[str, Any]:
    """Everything the report template prints."""
    document = msgspec.json.decode(publication.gradation)
    settings = publication.method_settings
    simulated = bool(getattr(publication.info, "simulated", False))
    settings_without_groups = [
        s for s in (document.get("reference_gradation") or {}) if s not in {g["setting"] for g in document["groups"]}
    ]
    return {
        "language": language,
        "info": publication.info,
        "document": document,
        "settings": settings,
        "settings_json": msgspec.json.format(msgspec.json.encode(settings), indent=2).decode(),
        "groups": [_group_view(document, g, language) for g in document["groups"]],
        "reference_only": [(s, Markup(reference_figure(document, s, language) or "")) for s in settings_without_groups],
        "comparison": _group_comparison(document),
        "subgroup_tables": _subgroup_tables(publication.report),
        "splits": SPLITS,
        "dq": publication.report.data_quality,
        "method": method_paragraphs(settings, language, document),
        "notes": [translate_note(n, language) for n in document.get("notes", [])],
        "departures": [translate_note(d, language) for d in document.get("departures", [])],
        "status": getattr(publication.info, "status", None),
        "unreleased": getattr(publication.info, "status", None) in UNRELEASED,
        "simulated": simulated,
        "changes": changes,
        "level": round(100 * (1 - settings.alpha)),
        "margin": plain(settings.margin, language),
        "pct_sign": "\u00a0%" if language == "da" else "%",
        "label": lambda code: measure_label(code, language),
        "word": lambda key: word(key, language),
        "level_word": lambda level: level_word(level, language),
        "verdict_word": lambda v: VERDICT_WORDS.get(v, {}).get(language, v),
    }


def report_html(publication: StoredPublication, language: str = "en", changes: "PublicationDiff | None" = None) -> str:
    """The report as one self-contained HTML document (inline CSS and SVG, no links out);
    with `changes`, a section on what changed since the publication they compare with."""
    return render("publication/report.html", **report_context(publication, language, changes))


def report_pdf(html: str) -> bytes:
    """The report as a tagged PDF (PDF/UA-1: structure tree, language, title, alt texts;
    WeasyPrint, A4 from the HTML's print stylesheet)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
