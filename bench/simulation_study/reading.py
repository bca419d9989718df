"""What a gradation result claims, read from its public fields only.

The study must keep measuring as the analysis changes, so everything here
reads :class:`analysis.result.GradationResult` defensively: a field that a
version of the analysis does not have gives ``None`` ("not available"), never
an error.

A *claim* about a pair is what a reader would take from the result: a pair
verdict ``less`` / ``more`` (a difference), ``equivalent`` (a tie), or a
``separated`` boundary between two tiers (every measure below is less
intrusive than every measure above). Any other verdict is no claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec


def cells(result: Any) -> list[Any]:
    """The group x setting results."""
    return list(getattr(result, "groups", None) or [])


def cell(result: Any, group: str, setting: str = "general_adult") -> Any | None:
    """One group x setting result, or None when the result has no such cell."""
    for c in cells(result):
        if c.group == group and c.setting == setting:
            return c
    return None


def margin_of(result: Any, default: float) -> float:
    """The equivalence margin the result was decided at."""
    settings = getattr(result, "settings", None)
    value = getattr(settings, "margin", None)
    return float(value) if isinstance(value, int | float) else default


def alpha_of(result: Any, default: float = 0.05) -> float:
    """The result's alpha."""
    value = getattr(getattr(result, "settings", None), "alpha", None)
    return float(value) if isinstance(value, int | float) else default


def difference_claims(c: Any) -> set[tuple[str, str]]:
    """``(low, high)``: the result says ``low`` is less intrusive than ``high``."""
    out: set[tuple[str, str]] = set()
    for p in getattr(c, "pairwise", None) or []:
        if p.verdict == "less":
            out.add((p.measure_a, p.measure_b))
        elif p.verdict == "more":
            out.add((p.measure_b, p.measure_a))
    return out


def equivalence_claims(c: Any) -> set[frozenset[str]]:
    """Pairs the result calls equivalent."""
    return {frozenset((p.measure_a, p.measure_b)) for p in getattr(c, "pairwise", None) or [] if p.verdict == "equivalent"}


def tiers(c: Any) -> list[list[str]]:
    """Tiers, least intrusive first (empty when the cell has none)."""
    return [list(t.measures) for t in getattr(c, "tiers", None) or []]


def boundaries(c: Any) -> list[str | None]:
    """The status of each tier's boundary to the next."""
    return [t.boundary_above for t in getattr(c, "tiers", None) or []][:-1]


def separation_claims(c: Any) -> set[tuple[str, str]]:
    """``(low, high)`` for every pair across a ``separated`` tier boundary."""
    out: set[tuple[str, str]] = set()
    ts = getattr(c, "tiers", None) or []
    for k, t in enumerate(ts[:-1]):
        if t.boundary_above == "separated":
            out |= {(a, b) for a in t.measures for b in ts[k + 1].measures}
    return out


def shared_tier_pairs(c: Any) -> set[frozenset[str]]:
    """Pairs placed in one tier that is presented as a tie.

    A tier whose ``status`` says its inner order is undetermined claims no
    tie; without a ``status`` field every tier of several measures is one.
    """
    out: set[frozenset[str]] = set()
    for t in getattr(c, "tiers", None) or []:
        if getattr(t, "status", "tie") == "undetermined":
            continue
        ms = list(t.measures)
        out |= {frozenset((a, b)) for i, a in enumerate(ms) for b in ms[i + 1 :]}
    return out


def claims(c: Any, rename: Mapping[str, str] | None = None, mirror: bool = False) -> set[tuple[str, ...]]:
    """Every claim of a cell in one comparable form, after undoing a renaming and/or a mirror."""
    back = {v: k for k, v in (rename or {}).items()}

    def name(m: str) -> str:
        return back.get(m, m)

    out: set[tuple[str, ...]] = set()
    for low, high in difference_claims(c):
        a, b = (name(high), name(low)) if mirror else (name(low), name(high))
        out.add(("<", a, b))
    for pair in equivalence_claims(c):
        a, b = sorted(name(m) for m in pair)
        out.add(("=", a, b))
    return out


def tier_layout(c: Any, rename: Mapping[str, str] | None = None, mirror: bool = False) -> tuple[tuple[frozenset[str], ...], tuple[str | None, ...]]:
    """Tiers (as sets) and boundary statuses, after undoing a renaming and/or a mirror."""
    back = {v: k for k, v in (rename or {}).items()}
    layout = [frozenset(back.get(m, m) for m in t) for t in tiers(c)]
    bounds = boundaries(c)
    if mirror:
        layout.reverse()
        bounds = list(reversed(bounds))
    return tuple(layout), tuple(bounds)


def measure_intervals(c: Any) -> dict[str, tuple[float, float]]:
    """Each measure's confidence interval (measures without one left out)."""
    out: dict[str, tuple[float, float]] = {}
    for m in getattr(c, "measures", None) or []:
        if m.ci_low is not None and m.ci_high is not None:
            out[m.measure] = (float(m.ci_low), float(m.ci_high))
    return out


def measure_means(c: Any) -> dict[str, float]:
    """Each measure's reported mean."""
    return {m.measure: float(m.mean) for m in getattr(c, "measures", None) or [] if m.mean is not None}


def tiered_measures(c: Any) -> set[str]:
    """Measures placed in a tier."""
    return {m for t in tiers(c) for m in t}


def _structs(obj: Any, depth: int = 2) -> Iterable[tuple[str, Any]]:
    """(field name, value) of ``obj``'s fields, and of structs and lists of structs inside, to ``depth``."""
    if depth < 0 or not isinstance(obj, msgspec.Struct):
        return
    for field in msgspec.structs.fields(obj):
        value = getattr(obj, field.name, None)
        yield field.name, value
        if isinstance(value, msgspec.Struct):
            yield from _structs(value, depth - 1)
        elif isinstance(value, list):
            for item in value:
                yield from _structs(item, depth - 1)


def dont_know_flag(c: Any, measure: str) -> bool | None:
    """Whether the result flags ``measure``'s "don't know" as possibly informative; None if it cannot say.

    Looks for a per-measure record with ``measure`` and ``flagged`` fields in
    a field about "don't know", or a boolean field of the measure's summary
    whose name is about "don't know".
    """
    for name, value in _structs(c, depth=2):
        if "dont_know" not in name or not isinstance(value, list):
            continue
        for item in value:
            if getattr(item, "measure", None) == measure and isinstance(getattr(item, "flagged", None), bool):
                return bool(item.flagged)
    for m in getattr(c, "measures", None) or []:
        if m.measure != measure:
            continue
        for name, value in _structs(m, depth=0):
            if isinstance(value, bool) and ("dont_know" in name or "informative" in name):
                return value
    return None


def detectable_difference(c: Any) -> float | None:
    """The cell's stated minimum detectable difference (80% power), or None if the result states none."""
    for name, value in _structs(c, depth=2):
        if name == "detectable_difference" and isinstance(value, int | float):
            return float(value)
    return None


def group_contrasts(result: Any) -> list[Any]:
    """The mixed model's group contrasts of every setting (empty when not fitted)."""
    out: list[Any] = []
    for sm in getattr(result, "models", None) or []:
        mixed = getattr(sm, "mixed", None)
        if mixed is not None and getattr(mixed, "error", None) is None:
            out += list(getattr(mixed, "group_contrasts", None) or [])
    return out


def adjusted_p(contrast: Any) -> float | None:
    """A multiplicity-adjusted p-value of a contrast, if the result gives one."""
    for name in ("p_adj", "p_adjusted", "p_holm", "p_family"):
        value = getattr(contrast, name, None)
        if isinstance(value, int | float):
            return float(value)
    return None


def covariate_p(result: Any, model: str, prefix: str) -> list[float]:
    """p-values of the coefficients named ``prefix...`` in the ``model`` (``mixed`` / ``ordinal``) fit of every setting."""
    out: list[float] = []
    for sm in getattr(result, "models", None) or []:
        fit = getattr(sm, model, None)
        if fit is None or getattr(fit, "error", None) is not None:
            continue
        out += [float(c.p) for c in getattr(fit, "coefficients", None) or [] if c.name.startswith(prefix) and c.p is not None]
    return out
