"""The authority's reference gradation and its comparison with the measured one.

The reference is plain data (setting -> tiers, least intrusive first), passed
in by the caller; this module never loads files. The comparison works pair by
pair: the reference says a < b, a = b or a > b from tier indices, and the
measured pairwise verdict says less / equivalent / more / undetermined.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import msgspec


class ReferenceGradation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Reference tiers per setting: ``settings[setting]`` lists tiers of measure codes."""

    settings: dict[str, list[list[str]]]


def coerce_reference(reference: Any) -> ReferenceGradation | None:
    """Accept a :class:`ReferenceGradation`, a ``{setting: tiers}`` dict, or None.

    Raises ``ValueError`` naming the problem when the data have the wrong shape
    or a measure appears in two tiers of one setting.
    """
    if reference is None:
        return None
    if isinstance(reference, ReferenceGradation):
        ref = reference
    else:
        if isinstance(reference, msgspec.Struct):
            reference = msgspec.to_builtins(reference)
        if isinstance(reference, dict) and set(reference) == {"settings"} and isinstance(reference["settings"], dict):
            reference = reference["settings"]
        try:
            ref = ReferenceGradation(settings=msgspec.convert(reference, dict[str, list[list[str]]]))
        except msgspec.ValidationError as exc:
            raise ValueError(f"reference gradation: {exc}") from None
    for setting, tiers in ref.settings.items():
        seen: set[str] = set()
        for tier in tiers:
            for measure in tier:
                if measure in seen:
                    raise ValueError(f"reference gradation: measure {measure!r} appears twice in setting {setting!r}")
                seen.add(measure)
    return ref


class PairAgreement(msgspec.Struct, frozen=True):
    """One pair of measures present in both the reference and the data."""

    measure_a: str
    measure_b: str
    #: Reference relation of a to b: "less", "equivalent" (same tier) or "more".
    reference: str
    #: Measured verdict of a relative to b.
    measured: str
    #: "agree", "disagree" or "undetermined" (the data do not decide).
    status: str


class ReferenceComparison(msgspec.Struct, frozen=True):
    """Where the measured gradation of one group x setting agrees with the reference."""

    reference_tiers: list[list[str]]
    pairs: list[PairAgreement]
    agree: int
    disagree: int
    undetermined: int
    #: Reference measures with no ratings in this group x setting.
    not_measured: list[str]
    #: Rated measures that the reference does not grade.
    not_in_reference: list[str]


def compare_with_reference(
    reference_tiers: list[list[str]], measured: list[str], verdicts: dict[tuple[str, str], str]
) -> ReferenceComparison:
    """Compare the measured verdicts of one cell with one setting's reference tiers."""
    ref_tier = {m: k for k, tier in enumerate(reference_tiers) for m in tier}
    common = sorted(set(ref_tier) & set(measured))
    pairs: list[PairAgreement] = []
    for a, b in combinations(common, 2):
        if ref_tier[a] < ref_tier[b]:
            expected = "less"
        elif ref_tier[a] > ref_tier[b]:
            expected = "more"
        else:
            expected = "equivalent"
        got = verdicts.get((a, b), "undetermined")
        status = "undetermined" if got == "undetermined" else ("agree" if got == expected else "disagree")
        pairs.append(PairAgreement(measure_a=a, measure_b=b, reference=expected, measured=got, status=status))
    return ReferenceComparison(
        reference_tiers=[list(t) for t in reference_tiers],
        pairs=pairs,
        agree=sum(p.status == "agree" for p in pairs),
        disagree=sum(p.status == "disagree" for p in pairs),
        undetermined=sum(p.status == "undetermined" for p in pairs),
        not_measured=sorted(set(ref_tier) - set(measured)),
        not_in_reference=sorted(set(measured) - set(ref_tier)),
    )
