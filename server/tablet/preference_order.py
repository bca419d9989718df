"""A respondent's own order of the measures, least to most intrusive, from their own answers.

Pure functions over one session's instrument and saved answers; nothing here reads or
writes storage. The order is built in three steps:

1. each measure's score is the mean of the respondent's own ratings of it (every asked
   item of kind "rating" about the measure, on a 0–100 scale: a VAS or number as
   placed between its ends, a likert option by its position; higher is more intrusive,
   as every rating scale's anchors say);
2. measures with the same score are one rung (a tie);
3. within a tie, the ranking task, then the paired choices, put measures in order
   where the respondent gave them; where they do not decide, measures stay side by side.

Measures that were asked but have no rating (don't know, prefer not to answer, skipped)
are listed apart, never placed on the ladder.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from surveys.model import Item

#: Saved answers by item code: (value, missing code), as `surveys.routing.Answers`.
Answers = Mapping[str, tuple[Any, str | None]]
#: Item kinds that rate one measure.
RATING_KIND = "rating"
#: Item types whose value places a measure on a scale.
SCALE_TYPES = ("vas", "numeric", "likert")


class PersonalOrder(msgspec.Struct, frozen=True):
    """Rungs of measure codes, least intrusive first (measures in one rung are tied), and
    the measures asked but not rated, in questionnaire order."""

    rungs: list[list[str]]
    unrated: list[str]


def _scale_position(item: Item, value: Any) -> float | None:
    """A rating's place on 0–100 (None if the value does not fit the item)."""
    if item.type == "likert":
        codes = item.option_codes()
        if value not in codes or len(codes) < 2:
            return None
        return 100.0 * codes.index(value) / (len(codes) - 1)
    if isinstance(value, bool) or not isinstance(value, int | float) or item.maximum <= item.minimum:
        return None
    return 100.0 * (value - item.minimum) / (item.maximum - item.minimum)


def rating_scores(asked: Sequence[Item], answers: Answers) -> tuple[dict[str, float], list[str]]:
    """(mean rating per rated measure, every rated-or-not measure in asked order)."""
    sums: dict[str, list[float]] = {}
    measures: list[str] = []
    for item in asked:
        if item.kind != RATING_KIND or item.type not in SCALE_TYPES or item.measure is None:
            continue
        if item.measure not in measures:
            measures.append(item.measure)
        value, missing = answers.get(item.code, (None, None))
        if missing is not None or value is None:
            continue
        position = _scale_position(item, value)
        if position is not None:
            sums.setdefault(item.measure, []).append(position)
    # Rounded, so that means equal on paper are equal here too.
    return {code: round(sum(values) / len(values), 6) for code, values in sums.items()}, measures


def stated_preferences(asked: Sequence[Item], answers: Answers) -> tuple[list[list[str]], dict[frozenset[str], str]]:
    """(the ranking answers, each least intrusive first; the paired choices, each pair's
    less intrusive measure by the pair)."""
    rankings: list[list[str]] = []
    pairs: dict[frozenset[str], str] = {}
    for item in asked:
        value, missing = answers.get(item.code, (None, None))
        if missing is not None or value is None:
            continue
        if item.type == "ranking" and isinstance(value, list):
            rankings.append([str(code) for code in value])
        elif item.type == "paired" and item.measure and item.measure_b and value in (item.measure, item.measure_b):
            pairs[frozenset((item.measure, item.measure_b))] = str(value)
    return rankings, pairs


def _less_intrusive(a: str, b: str, rankings: list[list[str]], pairs: dict[frozenset[str], str]) -> bool | None:
    """Whether the respondent said `a` is less intrusive than `b`: by the first ranking
    that holds both, else by their paired choice; None if they said neither."""
    for ranking in rankings:
        if a in ranking and b in ranking:
            return ranking.index(a) < ranking.index(b)
    chosen = pairs.get(frozenset((a, b)))
    return None if chosen is None else chosen == a


def break_tie(tied: list[str], rankings: list[list[str]], pairs: dict[frozenset[str], str]) -> list[list[str]]:
    """Measures rated the same, as rungs ordered by what the respondent said about them.

    Each measure counts the others it was said to be less intrusive than, minus those it
    was said to be more intrusive than; measures are sorted by that count (a consistent
    order comes out as it was given; a contradiction leaves measures level). Two
    neighbouring rungs are then kept apart only if the respondent said something about a
    measure of one against a measure of the other, so no order is made up.
    """
    if len(tied) < 2:
        return [list(tied)]
    said = {(a, b): _less_intrusive(a, b, rankings, pairs) for a in tied for b in tied if a != b}
    score = {a: sum(1 if said[a, b] else -1 for b in tied if b != a and said[a, b] is not None) for a in tied}
    levels: list[list[str]] = []
    for code in sorted(tied, key=lambda c: (-score[c], tied.index(c))):
        if levels and score[levels[-1][0]] == score[code]:
            levels[-1].append(code)
        else:
            levels.append([code])
    rungs: list[list[str]] = [levels[0]]
    for level in levels[1:]:
        if any(said[a, b] for a in rungs[-1] for b in level):
            rungs.append(level)
        else:
            rungs[-1].extend(level)
    return rungs


def personal_order(asked: Sequence[Item], answers: Answers) -> PersonalOrder:
    """The respondent's own order of the measures they were asked to rate.

    `asked` are the items the session asked (after skip logic), `answers` its saved answers.
    """
    scores, measures = rating_scores(asked, answers)
    rankings, pairs = stated_preferences(asked, answers)
    rated = [code for code in measures if code in scores]
    rungs: list[list[str]] = []
    for level in sorted(set(scores.values())):
        tied = [code for code in rated if scores[code] == level]
        rungs.extend(break_tie(tied, rankings, pairs))
    return PersonalOrder(rungs=rungs, unrated=[code for code in measures if code not in scores])
