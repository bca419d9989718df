"""The margin sensitivity table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.bounds import bound_shares
from analysis.margins import margin_table
from analysis.verdict_rule import pairwise_rule

RULE = pairwise_rule(0.05, 5)


def _wide() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    n = 300
    person = rng.normal(0, 10, n)
    data = {
        "far": 20 + person + rng.normal(0, 4, n),
        "mid": 50 + person + rng.normal(0, 4, n),
        "near": 56 + person + rng.normal(0, 4, n),  # 6 points above mid
        "top": np.full(n, 100.0),
        "top2": np.where(rng.random(n) < 0.8, 100.0, 97.0),
    }
    return pd.DataFrame(data, index=[f"r{i}" for i in range(n)])


def test_a_tie_that_exists_only_at_a_generous_margin_is_visible() -> None:
    wide = _wide()
    table = margin_table(RULE, wide, None, [10, 3, 8, 5], bound_shares(wide, 0.2), refuse_share=0.5)
    assert table.margins == [3.0, 5.0, 8.0, 10.0]
    assert [(r.measure_a, r.measure_b) for r in table.pairs][:3] == [("far", "mid"), ("far", "near"), ("far", "top")]
    row = next(r for r in table.pairs if (r.measure_a, r.measure_b) == ("mid", "near"))
    assert row.verdicts[:2] == ["less", "less"] and row.verdicts[2:] == ["equivalent", "equivalent"]
    assert row.depends_on_margin
    assert table.verdict("near", "mid", 3.0) == "more" and table.verdict("near", "mid", 8.0) == "equivalent"
    far = next(r for r in table.pairs if (r.measure_a, r.measure_b) == ("far", "mid"))
    assert far.verdicts == ["less"] * 4 and not far.depends_on_margin


def test_columns_are_the_rule_rerun_with_the_bound_rule_applied() -> None:
    wide = _wide()
    table = margin_table(RULE, wide, None, [3, 5, 8, 10], bound_shares(wide, 0.2), refuse_share=0.5)
    for k, margin in enumerate(table.margins):
        plain = RULE(wide, None, margin)
        for row in table.pairs:
            if {row.measure_a, row.measure_b} == {"top", "top2"}:
                # Identical at the ceiling for most respondents: the plain rule
                # calls it a tie, the bound rule refuses it at every margin.
                assert plain[(row.measure_a, row.measure_b)] == "equivalent"
                assert row.verdicts[k] == "undetermined"
            else:
                assert row.verdicts[k] == plain[(row.measure_a, row.measure_b)]


def test_margins_must_be_given_and_positive() -> None:
    wide = _wide()
    with pytest.raises(ValueError, match="margins"):
        margin_table(RULE, wide, None, [], bound_shares(wide, 0.2), 0.5)
    with pytest.raises(ValueError, match="margins"):
        margin_table(RULE, wide, None, [5, 0], bound_shares(wide, 0.2), 0.5)
