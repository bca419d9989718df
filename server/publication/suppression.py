"""Small-cell suppression of a `leastmeans.gradation` document before it leaves.

Everything meant for others (the authority API, the public page, the report) is built
from the suppressed document, so suppression happens once, here, at publication time.
A cell is suppressed when fewer than `min_cell` respondents stand behind it:

- a group x setting with too few respondents is removed whole;
- a measure rated by too few is removed from the table, the tiers, the pairs and the
  reference comparison (emptied tiers disappear; the boundary that spans the gap is
  `undetermined` unless both neighbours were `separated`; the tiers left are numbered
  again without gaps, from the document's first tier number, and the measures' tiers follow);
- a pair compared by too few, and a yes/no/don't-know item answered by too few, is removed;
- a Bradley-Terry or Plackett-Luce fit flagged `small_cell` is removed, and with it its
  comparisons in the source agreement; the agreement's listed disagreements leave out
  measures whose ratings were removed.
Each removal is listed in `notes`, so a reader knows what is missing and why.
"""

from typing import Any

from server.publication.tier_numbering import first_tier

SUPPRESSED_PREFIX = "suppressed (fewer than {min_cell} respondents): "


def _merge_tiers(tiers: list[dict[str, Any]], hidden: set[str], first: int) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    pending_boundary: str | None = None
    for tier in tiers:
        members = [m for m in tier["measures"] if m not in hidden]
        if not members:
            # The removed tier's upper boundary carries over: a gap is only
            # "separated" if both boundaries around it were.
            if kept and tier["boundary_above"] != "separated":
                pending_boundary = "undetermined"
            continue
        if kept and pending_boundary is not None:
            kept[-1]["boundary_above"] = pending_boundary
        pending_boundary = None
        # A tie stays a tie without some of its members; one member left is a single.
        status = "single" if len(members) == 1 else tier.get("status", "undetermined")
        # A tier that lost members is no longer the tier whose stability was measured.
        stability = tier.get("stability") if len(members) == len(tier["measures"]) else None
        kept.append({**tier, "index": first + len(kept), "measures": members, "status": status, "stability": stability})
    if kept:
        kept[-1]["boundary_above"] = None
    return kept


def _suppress_reference(reference: dict[str, Any] | None, hidden: set[str]) -> dict[str, Any] | None:
    if reference is None:
        return None
    pairs = [p for p in reference["pairs"] if p["measure_a"] not in hidden and p["measure_b"] not in hidden]
    return {
        **reference,
        "pairs": pairs,
        "agree": sum(p["status"] == "agree" for p in pairs),
        "disagree": sum(p["status"] == "disagree" for p in pairs),
        "undetermined": sum(p["status"] == "undetermined" for p in pairs),
        "not_in_reference": [m for m in reference["not_in_reference"] if m not in hidden],
        "not_measured": sorted(set(reference["not_measured"]) | (hidden & {m for t in reference["reference_tiers"] for m in t})),
    }


def suppress_small_cells(document: dict[str, Any], min_cell: int) -> dict[str, Any]:
    """A copy of `document` (a decoded gradation JSON) without cells under `min_cell`."""
    first = first_tier(document)
    notes = list(document.get("notes", []))
    prefix = SUPPRESSED_PREFIX.format(min_cell=min_cell)
    groups: list[dict[str, Any]] = []
    small_groups: dict[str, set[str]] = {}
    for group in document["groups"]:
        cell = f"{group['group']} / {group['setting']}"
        if group["small_cell"] or group["respondents"] < min_cell:
            small_groups.setdefault(group["setting"], set()).add(group["group"])
            notes.append(prefix + cell)
            continue
        hidden = {m["measure"] for m in group["measures"] if m["small_cell"] or m["n"] < min_cell}
        if hidden:
            notes.append(prefix + f"{cell}: ratings of " + ", ".join(sorted(hidden)))
        allowed_hidden = [a["measure"] for a in group["allowed"] if a["small_cell"] or a["n"] < min_cell]
        if allowed_hidden:
            notes.append(prefix + f"{cell}: allowed? answers on " + ", ".join(sorted(allowed_hidden)))
        bradley_terry = group.get("bradley_terry")
        if bradley_terry is not None and bradley_terry.get("small_cell"):
            notes.append(prefix + f"{cell}: paired comparisons")
            bradley_terry = None
        plackett_luce = group.get("plackett_luce")
        if plackett_luce is not None and plackett_luce.get("small_cell"):
            notes.append(prefix + f"{cell}: rankings")
            plackett_luce = None
        gone = {source for source, fit in (("pairs", group.get("bradley_terry")), ("rankings", group.get("plackett_luce"))) if fit is not None and fit.get("small_cell")}
        tiers = _merge_tiers(group["tiers"], hidden, first)
        tier_of = {m: t["index"] for t in tiers for m in t["measures"]}
        groups.append(
            {
                **group,
                # A measure's tier follows its tier's new number when a tier below it emptied.
                "measures": [{**m, "tier": tier_of.get(m["measure"])} for m in group["measures"] if m["measure"] not in hidden],
                "tiers": tiers,
                "pairwise": [
                    p
                    for p in group["pairwise"]
                    if p["measure_a"] not in hidden and p["measure_b"] not in hidden and p["n"] >= min_cell
                ],
                "allowed": [a for a in group["allowed"] if a["measure"] not in allowed_hidden],
                "bradley_terry": bradley_terry,
                "reference": _suppress_reference(group.get("reference"), hidden),
                "plackett_luce": plackett_luce,
                "source_agreement": _suppress_agreement(group.get("source_agreement"), gone, hidden),
            }
        )
    models = [_suppress_models(m, small_groups.get(m["setting"], set())) for m in document.get("models", [])]
    return {**document, "groups": groups, "models": models, "notes": notes}


def _suppress_agreement(agreement: dict[str, Any] | None, gone: set[str], hidden: set[str]) -> dict[str, Any] | None:
    if agreement is None:
        return None
    comparisons = []
    for c in agreement["comparisons"]:
        if c["source_a"] in gone or c["source_b"] in gone:
            continue
        if "ratings" in (c["source_a"], c["source_b"]) and hidden:
            kept = [d for d in c["disagreements"] if d["measure_a"] not in hidden and d["measure_b"] not in hidden]
            c = {**c, "disagreements": kept, "opposite": len(kept), "clear_opposite": sum(d["clear"] for d in kept)}
        comparisons.append(c)
    sources = [s for s in agreement["sources"] if s not in gone]
    return {**agreement, "sources": sources, "comparisons": comparisons} if comparisons else None


def _suppress_models(setting_models: dict[str, Any], small: set[str]) -> dict[str, Any]:
    # A coefficient or contrast of a group that is itself a small cell would describe
    # those few people, so it goes too.
    if not small:
        return setting_models
    out = dict(setting_models)
    for key in ("mixed", "ordinal"):
        fit = out.get(key)
        if fit is None:
            continue
        fit = dict(fit)
        fit["coefficients"] = [c for c in fit["coefficients"] if not any(f"group[{g}]" in c["name"] or f"T.{g}]" in c["name"] for g in small)]
        if "group_contrasts" in fit:
            fit["group_contrasts"] = [c for c in fit["group_contrasts"] if c["group"] not in small]
        out[key] = fit
    return out
