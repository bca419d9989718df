"""k-anonymity on the per-respondent frame (server.workspace.export.kanon), without a database.

k is recomputed here from the returned frame alone: per respondent, the full combination of
every quasi-identifier, an empty cell counting as one value.
"""

import time

import msgspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.workspace.export import kanon
from server.workspace.export.kanon import BACKGROUND, EXPERIENCE_PATTERN, FIXED_IDENTIFIERS, QUASI_IDENTIFIERS, SUPPRESSED

AGE = ["12-14", "15-17", "18-29", "30-49", "50-64", "65+", "18-49"]
VALUES = {
    "study": ["s1", "s2"],
    "site": ["ward-a", "ward-b", "ward-c"],
    "setting": ["general_adult", "forensic"],
    "group": ["patient", "relative", "staff"],
    "instrument_version": ["v1", "v2"],
    "period": ["2026-Q1", "2026-Q2", "2026-Q3"],
    "age_band": AGE,
    "gender": ["female", "male", "other", "prefer_not_to_say"],
    "profession": ["nurse", "doctor", "psychologist", "social_care_worker", "other"],
    "years_experience": ["under_2", "2-5", "6-10", "11-20", "over_20"],
    "relation": ["parent", "partner", "child", "sibling", "other_relative", "friend"],
    EXPERIENCE_PATTERN: ["a=none", "a=witnessed", "a=experienced;b=none", "b=experienced"],
}
#: Kinds of empty a background cell may arrive as, and a cell suppressed by an earlier export.
EMPTIES = [None, "", np.nan]


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The quasi-identifiers as text, "" for every kind of empty."""
    out = frame[list(QUASI_IDENTIFIERS)].astype(object)
    return out.where(out.notna(), "").astype(str)


def group_sizes(frame: pd.DataFrame) -> pd.Series:
    """Per respondent, how many respondents share everything the frame tells about them."""
    key = pd.Series(["\x1f".join(row) for row in shown(frame).itertuples(index=False)], dtype=object)
    return key.map(key.value_counts())


def wider(column: str, value: str) -> str:
    parents = kanon.hierarchy().get(kanon.HIERARCHY_SETS.get(column, ""), {})
    return parents.get(value, value)


def respondents(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{"respondent": f"r{n:04d}", **row} for n, row in enumerate(rows)])


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """A per-respondent frame of random size and skew: each column present or absent, each
    value drawn with random weights (one value may dominate), empties of every kind."""
    k = draw(st.integers(5, 10))
    n = draw(st.integers(0, 160))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"respondent": [f"p{i:05d}" for i in rng.permutation(n)]}
    for column, values in VALUES.items():
        if column not in ("study", "site") and rng.random() < 0.2:
            continue  # absent: empty for everyone
        spread = draw(st.integers(1, len(values)))
        options = list(values[:spread])
        if column in BACKGROUND or column == EXPERIENCE_PATTERN:
            options += EMPTIES[: draw(st.integers(0, 3))] + ([SUPPRESSED] if column in BACKGROUND and rng.random() < 0.2 else [])
        weights = rng.dirichlet(np.full(len(options), draw(st.sampled_from([0.2, 1.0, 5.0]))))
        picks = rng.choice(len(options), n, p=weights)
        data[column] = pd.Series([options[i] for i in picks], dtype=object)
    return pd.DataFrame(data), k


@given(frames())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_exported_combination_has_k_and_every_value_stays_true(case: tuple[pd.DataFrame, int]) -> None:
    frame, k = case
    out, report = kanon.enforce(frame, k)

    sizes = group_sizes(out)
    assert (sizes >= k).all()
    assert report.smallest_group_after == (int(sizes.min()) if len(out) else 0)
    assert report.respondents_before == len(frame)
    assert report.respondents_after == len(out) == len(frame) - report.suppressed_respondents

    # Every exported value is the truth or a coarser truth, and the report counts it.
    before = frame.set_index("respondent").reindex(out["respondent"])
    before_shown = shown(before.assign(**{c: None for c in QUASI_IDENTIFIERS if c not in before.columns}).reset_index())
    after_shown = shown(out)
    for column in FIXED_IDENTIFIERS:
        assert (after_shown[column].to_numpy() == before_shown[column].to_numpy()).all()
    for column in BACKGROUND:
        was, now = before_shown[column].to_numpy(), after_shown[column].to_numpy()
        exact = now == was
        generalised = ~exact & (now != SUPPRESSED)
        assert all(now[i] == wider(column, was[i]) and was[i] != "" for i in np.flatnonzero(generalised))
        entry = next(v for v in report.variables if v.field == column)
        assert (entry.exact, entry.generalised, entry.suppressed) == (exact.sum(), generalised.sum(), (~exact & ~generalised).sum())
        assert report.generalised[column] == (~exact).sum()
        assert sum(loss.respondents for loss in report.losses if loss.field == column) == report.generalised[column]
    pattern_lost = after_shown[EXPERIENCE_PATTERN].to_numpy() != before_shown[EXPERIENCE_PATTERN].to_numpy()
    assert (after_shown[EXPERIENCE_PATTERN].to_numpy()[pattern_lost] == "").all()
    assert report.generalised["experience"] == pattern_lost.sum()
    assert sum(loss.respondents for loss in report.losses if loss.field == "respondent") == report.suppressed_respondents

    # Leaving out is the last resort: only respondents whose site, group, period... (with the
    # same questions never asked) hold fewer than k respondents in all.
    left = ~frame["respondent"].isin(out["respondent"])
    if left.any():
        fixed = frame.reindex(columns=list(FIXED_IDENTIFIERS)).astype(object).fillna("").astype(str)
        key = pd.Series(["\x1f".join(row) for row in fixed.itertuples(index=False)], index=frame.index, dtype=object)
        assert (key[left].map(key.value_counts()) < k).all()


@given(frames(), st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_outcome_does_not_depend_on_row_order(case: tuple[pd.DataFrame, int], random) -> None:
    frame, k = case
    order = list(range(len(frame)))
    random.shuffle(order)
    first, report = kanon.enforce(frame, k)
    second, shuffled_report = kanon.enforce(frame.iloc[order], k)
    by_id = lambda f: shown(f).set_index(f["respondent"].to_numpy()).sort_index()  # noqa: E731
    pd.testing.assert_frame_equal(by_id(first), by_id(second))
    assert msgspec.json.encode(report) == msgspec.json.encode(shuffled_report)


def staff(n: int, **values: object) -> list[dict[str, object]]:
    base = {"study": "s", "site": "w", "setting": "general_adult", "group": "staff", "instrument_version": "v", "period": "2026-Q1"}
    return [{**base, **values} for _ in range(n)]


def test_a_combination_of_k_keeps_every_value() -> None:
    frame = respondents(staff(5, age_band="30-49", gender="female", profession="nurse") + staff(6, age_band="50-64", gender="male", profession="doctor"))
    out, report = kanon.enforce(frame, 5)
    assert shown(out).equals(shown(frame.reindex(columns=["respondent", *QUASI_IDENTIFIERS])))
    assert not report.changed and report.cells_generalised == report.cells_suppressed == 0


def test_the_wider_band_comes_before_suppression_and_only_the_rare_lose_detail() -> None:
    frame = respondents(
        staff(8, age_band="18-29", gender="female")  # common: keeps its band
        + staff(3, age_band="30-49", gender="male")
        + staff(2, age_band="18-29", gender="male")  # 5 men 18-49 together
    )
    out, report = kanon.enforce(frame, 5)
    assert out["age_band"].tolist() == ["18-29"] * 8 + ["18-49"] * 5
    assert out["gender"].tolist() == ["female"] * 8 + ["male"] * 5
    age = next(v for v in report.variables if v.field == "age_band")
    assert (age.exact, age.generalised, age.suppressed) == (8, 5, 0)
    assert report.suppressed_respondents == 0 and report.cells_suppressed == 0


def test_a_cell_is_suppressed_where_no_wider_value_gives_k() -> None:
    frame = respondents(staff(6, age_band="30-49", gender="female") + staff(3, age_band="30-49", gender="other") + staff(2, age_band="50-64", gender="male"))
    out, report = kanon.enforce(frame, 5)
    assert (out["gender"].iloc[:6] == "female").all() and (out["age_band"].iloc[:6] == "30-49").all()
    # The five rare ones share nothing but being rare: one suppressed cell each is not enough,
    # so both of their cells go (age wider would split them into 18-49 and 50+).
    assert set(zip(out["age_band"].iloc[6:], out["gender"].iloc[6:], strict=True)) == {(SUPPRESSED, SUPPRESSED)}
    assert report.suppressed_respondents == 0
    assert (group_sizes(out) >= 5).all()


def test_respondents_are_pooled_with_donors_rather_than_left_out() -> None:
    frame = respondents(staff(6, gender="female", age_band="18-29") + staff(5, gender="male", age_band="18-29") + staff(1, gender="other", age_band="65+"))
    out, report = kanon.enforce(frame, 5)
    assert len(out) == 12 and report.suppressed_respondents == 0
    # Taking the six women's one spare is not enough, so the five men (the fewest cells lost)
    # join the one rare respondent; the women keep everything.
    assert out["gender"].tolist() == ["female"] * 6 + [SUPPRESSED] * 6
    reasons = {loss.reason: loss.respondents for loss in report.losses if loss.field == "gender"}
    assert reasons[kanon.REASON_POOLED] == 1 and reasons[kanon.REASON_DONOR] == 5


def test_only_a_block_smaller_than_k_is_left_out() -> None:
    frame = respondents(staff(7, gender="female") + [{**row, "site": "tiny"} for row in staff(3, gender="male")])
    out, report = kanon.enforce(frame, 5)
    assert set(out["site"]) == {"w"} and report.suppressed_respondents == 3
    assert [loss.respondents for loss in report.losses if loss.reason == kanon.REASON_LEFT_OUT] == [3]


def test_youth_bands_generalise_by_the_catalogue_hierarchy() -> None:
    rows = staff(3, age_band="12-14") + staff(2, age_band="15-17") + staff(5, age_band="50-64")
    out, _ = kanon.enforce(respondents(rows), 5)
    assert out["age_band"].tolist() == ["12-17"] * 5 + ["50-64"] * 5


def test_absent_columns_are_empty_and_come_back_as_columns() -> None:
    frame = pd.DataFrame({"respondent": [f"r{i}" for i in range(6)], "site": ["w"] * 6, "gender": ["female"] * 5 + ["male"]})
    out, report = kanon.enforce(frame, 5)
    assert set(QUASI_IDENTIFIERS) <= set(out.columns)
    assert out["gender"].tolist() == [SUPPRESSED] * 6  # the pool: five women give up gender for one man
    assert out["profession"].isna().all() and (out[EXPERIENCE_PATTERN] == "").all()
    assert report.smallest_group_after == 6


def test_a_rare_experience_pattern_is_emptied_and_the_empty_ones_pooled_to_k() -> None:
    patterns = ["a=none"] * 5 + ["a=experienced"] + ["b=none"] * 6
    frame = respondents([{**row, EXPERIENCE_PATTERN: p} for row, p in zip(staff(12, gender="female"), patterns, strict=True)])
    out, report = kanon.enforce(frame, 5)
    # The one rare pattern is emptied, then the smallest pattern (5) joins it so that the
    # respondents without a pattern number at least k.
    assert out[EXPERIENCE_PATTERN].tolist() == [""] * 6 + ["b=none"] * 6
    counts = {loss.reason: loss.respondents for loss in report.losses if loss.field == "experience"}
    assert counts == {kanon.REASON_RARE_PATTERN: 1, kanon.REASON_POOL: 5}


def test_the_report_counts_and_never_names_a_value() -> None:
    frame = respondents(staff(4, age_band="18-29", gender="female", profession="psychologist") + staff(3, age_band="65+", gender="male", profession="nurse"))
    _, report = kanon.enforce(frame, 5)
    told = msgspec.json.encode(report).decode()
    for value in ("18-29", "65+", "18-49", "50+", "female", "male", "psychologist", "nurse", "other_staff", "ward"):
        assert value not in told
    assert [v.field for v in report.variables] == [*FIXED_IDENTIFIERS, *BACKGROUND, "experience"]


def test_empty_input_gives_an_empty_export() -> None:
    out, report = kanon.enforce(pd.DataFrame({"respondent": []}), 5)
    assert len(out) == 0 and report.respondents_after == 0 and report.smallest_group_after == 0


@pytest.mark.slow
def test_a_hundred_thousand_respondents_take_seconds() -> None:
    from bench.kanon_bench import demo_like

    frame = demo_like(100_000, 7, sites=30, quarters=8)
    start = time.perf_counter()
    out, report = kanon.enforce(frame, 5)
    assert time.perf_counter() - start < 30
    assert report.smallest_group_after >= 5 and len(out) > 99_000
