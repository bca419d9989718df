"""The paired-comparison design covers every pair a balanced number of times."""

import itertools
from collections import Counter

import pytest

from surveys.design import assigned_pairs, pair_cycle, round_robin
from surveys.loader import load_instruments
from surveys.model import SETTINGS

INSTRUMENTS = load_instruments()


@pytest.mark.parametrize("n", [2, 3, 7, 12, 14])
def test_round_robin_lists_every_pair_once_in_disjoint_rounds(n: int) -> None:
    measures = [f"m{i}" for i in range(n)]
    pairs = round_robin(measures)
    assert len(pairs) == n * (n - 1) // 2
    assert {frozenset(p) for p in pairs} == {frozenset(p) for p in itertools.combinations(measures, 2)}
    if n % 2 == 0:
        for start in range(0, len(pairs), n // 2):
            in_round = [m for pair in pairs[start : start + n // 2] for m in pair]
            assert len(set(in_round)) == len(in_round)


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
@pytest.mark.parametrize("setting", SETTINGS)
def test_many_respondents_cover_every_pair_a_balanced_number_of_times(code: str, setting: str) -> None:
    instrument = INSTRUMENTS[code]
    cycle = pair_cycle(instrument, setting)
    measures = {i.measure for i in instrument.items_for(setting) if i.kind == "rating"}
    assert {frozenset((i.measure, i.measure_b)) for i in cycle} == {frozenset(p) for p in itertools.combinations(measures, 2)}
    for respondents in (37, 500, 2 * len(cycle) + 5):
        counts: Counter[str] = Counter()
        first_shown: Counter[str] = Counter()
        for slot in range(respondents):
            assigned = assigned_pairs(instrument, setting, slot)
            assert len(assigned) == instrument.pairs_per_respondent
            assert len({item.code for item, _ in assigned}) == len(assigned), "no pair twice for one respondent"
            for item, swapped in assigned:
                counts[item.code] += 1
                first_shown[item.code] += swapped
        asked = [counts[item.code] for item in cycle]
        assert max(asked) - min(asked) <= 1, (respondents, Counter(asked))
        if respondents >= 2 * len(cycle):
            assert all(min(first_shown[i.code], counts[i.code] - first_shown[i.code]) >= 1 for i in cycle), "both orders shown"


def test_one_respondents_pairs_share_no_measure_within_a_round() -> None:
    instrument = INSTRUMENTS["patient_adult"]
    assigned = assigned_pairs(instrument, "general_adult", 0)
    measures = [m for item, _ in assigned for m in (item.measure, item.measure_b)]
    assert len(set(measures)) == len(measures)
