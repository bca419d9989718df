"""What changed between two publications: a pure diff of two gradation documents.

`diff_documents(old, new, old_number, new_number)` compares two analysis documents
(`leastmeans.gradation/2` with tiers numbered from 0, or /3 numbered from 1; both are
normalised to numbers from 1 with `tier_numbering.first_tier`, so a /2 and a /3 document with the same content differ
only in their schema) and returns a `PublicationDiff`, JSON-encodable with msgspec.

Per respondent group x setting present in both:

- **Tier moves.** Every measure tiered in both whose tier number changed, and every
  measure that changed place against the others (see below), with its old and new
  number. `kind` says why:
  ``moved``: the measure itself changed place relative to the other measures;
  ``renumbered``: same neighbours (the same tier-mates and the same measures below
  it), only the number changed because tiers below it were split, merged, added or
  removed ("tier 3 -> 4, same neighbours"); it is still a move in the published ladder
  and is listed, marked as such;
  ``regrouped``: its own tier was split or merged with a neighbour (see the boundary
  changes). A measure tiered in only one of the two has ``from_tier`` or ``to_tier``
  null.
- **Boundary changes.** A boundary is identified by the measures below it (among the
  measures tiered in both), so renumbering never counts as a boundary change. Its state
  is ``separated``, ``undetermined`` (drawn but not established) or absent; a change to
  ``separated`` is reported as "became separated", a change away from it as "became
  undetermined" (two tiers merged, or the boundary is no longer established). Each is
  named by the two adjacent tiers of the publication that draws it.
- **How a change is explained (the fair matching).** One measure moving to another
  tier changes two boundaries (the one it left and the one it joined), and a tier
  splitting makes every measure above it renumber. To report a single move as one
  move, the diff looks for the explanation with the fewest changes: a set of *moved*
  measures plus the boundary changes that remain among the other measures, minimising
  (moved measures + boundary changes). On a tie the boundary explanation wins unless
  the measure's own mean changed beyond its intervals (then the measure moved); the
  search considers at most `MAX_MOVERS` moved measures per cell, fewer when so many
  measures changed place that more would exceed `SEARCH_BUDGET` explanations (a
  reshuffled ladder is then described mostly by its boundaries).
- **Means beyond their intervals.** A measure's mean changed beyond its intervals when
  the new mean lies outside the old 95 % interval *and* the old mean lies outside the
  new one. This is a descriptive flag, not a test: two publications usually share
  respondents, so their estimates are not independent. Old and new mean and interval
  are given.
- **Measures added or removed** (present in one document's measures only, e.g. new in
  the questionnaire or suppressed as a small cell), and tiers whose members are the same
  but whose status (single / tie / undetermined) changed.

Document-level: groups x settings and settings added or removed, method settings that
changed (key, old -> new), and provenance: schema, plan hash, software version, library
versions, respondents, answers and data hash. A document compared with itself gives
`unchanged: true` and empty lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING, Any, Final

import msgspec

from server.publication.tier_numbering import first_tier

if TYPE_CHECKING:
    from server.publication.store import StoredPublication

#: Most measures the search for the simplest explanation treats as moved in one cell, and
#: most explanations it tries per cell (fewer movers when many measures changed place);
#: beyond that, remaining changes are reported as boundary changes.
MAX_MOVERS: Final = 4
SEARCH_BUDGET: Final = 2000
#: Boundary states.
SEPARATED: Final = "separated"
UNDETERMINED: Final = "undetermined"
NONE: Final = "none"


class ValueChange(msgspec.Struct, frozen=True):
    """One named value that differs: `key`, `old` -> `new` (null when absent)."""

    key: str
    old: Any
    new: Any


class TierMove(msgspec.Struct, frozen=True):
    """A measure whose tier (numbered from 1) or place among the others changed."""

    measure: str
    from_tier: int | None
    to_tier: int | None
    #: ``moved``, ``renumbered`` (same neighbours) or ``regrouped`` (its tier split or merged);
    #: ``entered`` / ``left`` when tiered in only one of the two.
    kind: str
    #: True for ``renumbered``: the same tier-mates and measures below, only the number changed.
    same_neighbours: bool = False
    #: The other measures of its tier before and after (empty: alone, or not tiered).
    from_mates: list[str] = []
    to_mates: list[str] = []


class BoundaryChange(msgspec.Struct, frozen=True):
    """A boundary between two adjacent tiers that became separated or undetermined."""

    #: ``separated`` (established now, not before) or ``undetermined`` (established before, not now).
    change: str
    old_state: str
    new_state: str
    #: The publication whose ladder draws the boundary (the new one for ``separated``,
    #: the old one for ``undetermined``), the two tiers next to it and their measures.
    publication: int
    tier_below: int
    tier_above: int
    below: list[str]
    above: list[str]


class TierStatusChange(msgspec.Struct, frozen=True):
    """A tier with the same measures whose status (single, tie, undetermined) changed."""

    measures: list[str]
    old_tier: int
    new_tier: int
    old_status: str
    new_status: str


class MeanChange(msgspec.Struct, frozen=True):
    """A mean that moved beyond both intervals (new outside old CI and old outside new CI)."""

    measure: str
    old_mean: float
    old_ci_low: float
    old_ci_high: float
    new_mean: float
    new_ci_low: float
    new_ci_high: float
    difference: float


class GroupDiff(msgspec.Struct, frozen=True):
    """The changes within one respondent group x setting present in both publications."""

    group: str
    setting: str
    old_respondents: int
    new_respondents: int
    tier_moves: list[TierMove]
    boundary_changes: list[BoundaryChange]
    tier_status_changes: list[TierStatusChange]
    mean_changes: list[MeanChange]
    measures_added: list[str]
    measures_removed: list[str]

    @property
    def changed(self) -> bool:
        """Anything to report in this cell."""
        return bool(self.tier_moves or self.boundary_changes or self.tier_status_changes or self.mean_changes or self.measures_added or self.measures_removed)


class Cell(msgspec.Struct, frozen=True):
    """A respondent group in a setting."""

    group: str
    setting: str


class PublicationDiff(msgspec.Struct, frozen=True):
    """Everything that changed from publication `old` to publication `new`."""

    old: int
    new: int
    unchanged: bool
    #: Only the cells present in both with something to report.
    groups: list[GroupDiff]
    groups_added: list[Cell]
    groups_removed: list[Cell]
    settings_added: list[str]
    settings_removed: list[str]
    #: Method settings (``settings`` of the document) that differ.
    method: list[ValueChange]
    #: Numerical library versions that differ.
    libraries: list[ValueChange]
    #: schema, plan_sha256, software_version, respondents, answers, data_sha256.
    provenance: list[ValueChange]


# --- ladders -------------------------------------------------------------------------


class _Ladder(msgspec.Struct, frozen=True):
    """Tiers (numbered from 1) of one cell, lowest first, with the state of the boundary above each."""

    tiers: list[list[str]]
    numbers: list[int]
    statuses: list[str]
    boundaries: list[str]

    def tier_of(self) -> dict[str, int]:
        return {m: number for number, members in zip(self.numbers, self.tiers) for m in members}

    def restricted(self, keep: set[str]) -> list[tuple[frozenset[str], str]]:
        """The ladder on `keep` only: (tier members, state of the boundary above) per non-empty tier.

        A boundary between two kept tiers with emptied tiers between them is separated if
        any boundary passed is, else undetermined."""
        out: list[tuple[frozenset[str], str]] = []
        pending = NONE
        for members, boundary in zip(self.tiers, self.boundaries):
            kept = frozenset(m for m in members if m in keep)
            if kept:
                if out:
                    out[-1] = (out[-1][0], pending)
                out.append((kept, NONE))
                pending = NONE
            pending = _stronger(pending, boundary)
        return out


def _stronger(a: str, b: str) -> str:
    order = {NONE: 0, UNDETERMINED: 1, SEPARATED: 2}
    return a if order[a] >= order[b] else b


def _ladder(group: dict[str, Any], first: int) -> _Ladder:
    tiers = sorted(group.get("tiers") or [], key=lambda t: t["index"])
    return _Ladder(
        tiers=[list(t["measures"]) for t in tiers],
        numbers=[t["index"] - first + 1 for t in tiers],
        statuses=[t.get("status") or "single" for t in tiers],
        boundaries=[t.get("boundary_above") or NONE for t in tiers],
    )


def _cuts(ladder: _Ladder, keep: set[str]) -> dict[frozenset[str], str]:
    """Boundary -> state, each boundary identified by the kept measures below it."""
    cuts: dict[frozenset[str], str] = {}
    below: set[str] = set()
    for members, state in ladder.restricted(keep)[:-1]:
        below |= members
        if state != NONE:
            cuts[frozenset(below)] = state
    return cuts


def _cut_differences(old: _Ladder, new: _Ladder, keep: set[str]) -> list[tuple[frozenset[str], str, str]]:
    a, b = _cuts(old, keep), _cuts(new, keep)
    return [(cut, a.get(cut, NONE), b.get(cut, NONE)) for cut in sorted(set(a) | set(b), key=lambda c: (len(c), sorted(c))) if a.get(cut, NONE) != b.get(cut, NONE)]


def _relations_changed(old: dict[str, int], new: dict[str, int], measures: list[str]) -> set[str]:
    """Measures whose order against some other measure (below / same tier / above) differs."""
    changed: set[str] = set()
    for a, b in combinations(measures, 2):
        if _sign(old[a] - old[b]) != _sign(new[a] - new[b]):
            changed |= {a, b}
    return changed


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _movers(old: _Ladder, new: _Ladder, common: set[str], mean_moved: dict[str, float]) -> set[str]:
    """The simplest explanation's moved measures (see the module docstring)."""
    candidates = sorted(_relations_changed(old.tier_of(), new.tier_of(), sorted(common)))
    best: tuple[Any, ...] | None = None
    chosen: set[str] = set()
    for size in range(0, _largest_search(len(candidates)) + 1):
        if best is not None and size > best[0]:
            break  # cost is at least the number of movers
        for subset in combinations(candidates, size):
            movers = set(subset)
            cost = size + len(_cut_differences(old, new, common - movers))
            explained = [m for m in subset if m in mean_moved]
            key = (cost, size - len(explained), -len(explained), -sum(abs(mean_moved.get(m, 0.0)) for m in subset), subset)
            if best is None or key < best:
                best, chosen = key, movers
    return chosen


def _largest_search(candidates: int) -> int:
    """The most movers to try so that all subsets up to that size fit the budget."""
    size, tried = 0, 1
    while size < min(candidates, MAX_MOVERS) and tried + comb(candidates, size + 1) <= SEARCH_BUDGET:
        size += 1
        tried += comb(candidates, size)
    return size


def _name_boundary(ladder: _Ladder, below: frozenset[str], above: frozenset[str], number: int) -> tuple[int, int, list[str], list[str], int]:
    """The tiers next to a boundary: the one holding the highest measure below it and the one holding the lowest above."""
    tier = ladder.tier_of()
    low = max(tier[m] for m in below)
    high = min(tier[m] for m in above)
    members = dict(zip(ladder.numbers, ladder.tiers))
    return low, high, list(members[low]), list(members[high]), number


def _group_diff(old_group: dict[str, Any], new_group: dict[str, Any], old_first: int, new_first: int, old_number: int, new_number: int) -> GroupDiff:
    old_measures = {m["measure"]: m for m in old_group.get("measures") or []}
    new_measures = {m["measure"]: m for m in new_group.get("measures") or []}
    mean_changes = [c for c in (_mean_change(name, old_measures[name], new_measures[name]) for name in new_measures if name in old_measures) if c is not None]
    mean_moved = {c.measure: c.difference for c in mean_changes}

    old_ladder, new_ladder = _ladder(old_group, old_first), _ladder(new_group, new_first)
    old_tier, new_tier = old_ladder.tier_of(), new_ladder.tier_of()
    common = set(old_tier) & set(new_tier)
    movers = _movers(old_ladder, new_ladder, common, mean_moved)
    kept = common - movers

    moves: list[TierMove] = []
    old_mates, new_mates = _mates(old_ladder), _mates(new_ladder)

    def move(name: str, before: int | None, after: int | None, kind: str) -> TierMove:
        return TierMove(name, before, after, kind, kind == "renumbered", old_mates.get(name, []), new_mates.get(name, []))

    old_rows, new_rows = dict(_membership(old_ladder, kept)), dict(_membership(new_ladder, kept))
    for name in _in_order(new_ladder, old_ladder):
        before, after = old_tier.get(name), new_tier.get(name)
        if name in movers:
            moves.append(move(name, before, after, "moved"))
        elif before is None and after is not None and name in old_measures:
            moves.append(move(name, None, after, "entered"))
        elif after is None and before is not None and name in new_measures:
            moves.append(move(name, before, None, "left"))
        elif before is not None and after is not None and before != after:
            same = old_rows.get(name) == new_rows.get(name)
            moves.append(move(name, before, after, "renumbered" if same else "regrouped"))

    boundaries: list[BoundaryChange] = []
    for cut, old_state, new_state in _cut_differences(old_ladder, new_ladder, kept):
        if SEPARATED not in (old_state, new_state):
            continue  # between absent and undetermined: nothing was established either way
        rest = frozenset(kept - cut)
        if new_state == SEPARATED:
            low, high, below, above, number = _name_boundary(new_ladder, cut, rest, new_number)
        else:
            low, high, below, above, number = _name_boundary(old_ladder, cut, rest, old_number)
        boundaries.append(
            BoundaryChange(
                change=SEPARATED if new_state == SEPARATED else UNDETERMINED,
                old_state=old_state,
                new_state=new_state,
                publication=number,
                tier_below=low,
                tier_above=high,
                below=below,
                above=above,
            )
        )

    old_status = {frozenset(members): (number, status) for members, number, status in zip(old_ladder.tiers, old_ladder.numbers, old_ladder.statuses)}
    status_changes = [
        TierStatusChange(measures=list(members), old_tier=old_status[frozenset(members)][0], new_tier=number, old_status=old_status[frozenset(members)][1], new_status=status)
        for members, number, status in zip(new_ladder.tiers, new_ladder.numbers, new_ladder.statuses)
        if frozenset(members) in old_status and old_status[frozenset(members)][1] != status
    ]

    return GroupDiff(
        group=new_group["group"],
        setting=new_group["setting"],
        old_respondents=old_group.get("respondents", 0),
        new_respondents=new_group.get("respondents", 0),
        tier_moves=moves,
        boundary_changes=boundaries,
        tier_status_changes=status_changes,
        mean_changes=mean_changes,
        measures_added=[m for m in new_measures if m not in old_measures],
        measures_removed=[m for m in old_measures if m not in new_measures],
    )


def _membership(ladder: _Ladder, keep: set[str]) -> Iterable[tuple[str, tuple[frozenset[str], frozenset[str]]]]:
    """Kept measure -> (its kept tier-mates, the kept measures below it)."""
    below: set[str] = set()
    for members, _ in ladder.restricted(keep):
        for m in members:
            yield m, (members, frozenset(below))
        below |= members


def _mates(ladder: _Ladder) -> dict[str, list[str]]:
    return {m: [x for x in members if x != m] for members in ladder.tiers for m in members}


def _in_order(*ladders: _Ladder) -> list[str]:
    """Measures of the ladders, the first ladder's order first."""
    return list(dict.fromkeys(m for ladder in ladders for members in ladder.tiers for m in members))


def _mean_change(name: str, old: dict[str, Any], new: dict[str, Any]) -> MeanChange | None:
    values = [old.get("mean"), old.get("ci_low"), old.get("ci_high"), new.get("mean"), new.get("ci_low"), new.get("ci_high")]
    if any(v is None for v in values):
        return None
    om, ol, oh, nm, nl, nh = (float(v) for v in values)
    outside_old = nm < ol or nm > oh
    outside_new = om < nl or om > nh
    if not (outside_old and outside_new):
        return None
    return MeanChange(measure=name, old_mean=om, old_ci_low=ol, old_ci_high=oh, new_mean=nm, new_ci_low=nl, new_ci_high=nh, difference=round(nm - om, 6))


# --- document level --------------------------------------------------------------------


def _value_changes(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[ValueChange]:
    return [ValueChange(prefix + key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def _provenance(old: dict[str, Any], new: dict[str, Any]) -> list[ValueChange]:
    def facts(d: dict[str, Any]) -> dict[str, Any]:
        snapshot = d.get("snapshot") or {}
        return {
            "schema": d.get("schema"),
            "plan_sha256": d.get("plan_sha256") or None,
            "software_version": d.get("software_version"),
            "respondents": snapshot.get("respondents"),
            "answers": snapshot.get("answers"),
            "data_sha256": snapshot.get("sha256"),
        }

    a, b = facts(old), facts(new)
    return [ValueChange(key, a[key], b[key]) for key in a if a[key] != b[key]]


def diff_documents(old: dict[str, Any], new: dict[str, Any], old_number: int, new_number: int) -> PublicationDiff:
    """What changed from `old` (publication `old_number`) to `new` (`new_number`); pure."""
    old_first, new_first = first_tier(old), first_tier(new)
    old_cells = {(g["group"], g["setting"]): g for g in old.get("groups") or []}
    new_cells = {(g["group"], g["setting"]): g for g in new.get("groups") or []}
    groups = [
        diff
        for key, group in new_cells.items()
        if key in old_cells
        for diff in [_group_diff(old_cells[key], group, old_first, new_first, old_number, new_number)]
        if diff.changed
    ]
    old_settings = list(dict.fromkeys(s for _, s in old_cells))
    new_settings = list(dict.fromkeys(s for _, s in new_cells))
    result = PublicationDiff(
        old=old_number,
        new=new_number,
        unchanged=False,
        groups=groups,
        groups_added=[Cell(g, s) for g, s in new_cells if (g, s) not in old_cells],
        groups_removed=[Cell(g, s) for g, s in old_cells if (g, s) not in new_cells],
        settings_added=[s for s in new_settings if s not in old_settings],
        settings_removed=[s for s in old_settings if s not in new_settings],
        method=_value_changes(old.get("settings") or {}, new.get("settings") or {}),
        libraries=_value_changes(old.get("library_versions") or {}, new.get("library_versions") or {}),
        provenance=_provenance(old, new),
    )
    empty = not (result.groups or result.groups_added or result.groups_removed or result.settings_added or result.settings_removed or result.method or result.libraries or result.provenance)
    return msgspec.structs.replace(result, unchanged=empty)


def diff_publications(old: "StoredPublication", new: "StoredPublication") -> PublicationDiff:
    """The diff of two stored publications' analysis documents."""
    return diff_documents(msgspec.json.decode(old.gradation), msgspec.json.decode(new.gradation), old.info.number, new.info.number)
