"""The tidy contract: validation messages and an exact CSV round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.tidy import COLUMNS, TidyDataError, read_tidy_csv, validate_tidy, write_tidy_csv

from .conftest import make_rows


def _one(**kw: object) -> pd.DataFrame:
    base: dict[str, object] = {"respondent": "a", "measure": "time_out", "value": 40.0}
    base.update(kw)
    return make_rows([base])


def test_valid_table_is_returned_in_canonical_form(ratings_only: pd.DataFrame) -> None:
    shuffled = ratings_only[list(reversed(COLUMNS))].assign(extra=1)
    out = validate_tidy(shuffled)
    assert list(out.columns) == list(COLUMNS)
    assert out["value"].dtype == np.float64
    assert isinstance(out["respondent"].dtype, pd.StringDtype)


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"group": "visitor"}, "group", "unexpected value"),
        ({"setting": "icu"}, "setting", "unexpected value"),
        ({"value": 101.0}, "value", "0-100"),
        ({"value": float("nan")}, "value", "needs a number"),
        ({"missing": "dont_know"}, "value", "must have no value"),
        ({"missing": "maybe", "value": float("nan")}, "missing", "unexpected value"),
        ({"experience": "often"}, "experience", "unexpected value"),
        ({"measure": None}, "measure", "need a measure"),
        ({"respondent": ""}, "respondent", "must not be empty"),
        ({"gender": "f"}, "gender", "unexpected value"),
    ],
)
def test_errors_name_column_and_problem(change: dict[str, object], column: str, words: str) -> None:
    with pytest.raises(TidyDataError) as info:
        validate_tidy(_one(**change))
    assert repr(column) in str(info.value)
    assert words in str(info.value)


def test_missing_column_is_named() -> None:
    with pytest.raises(TidyDataError, match="'experience'"):
        validate_tidy(_one().drop(columns=["experience"]))


def test_numbers_in_text_columns_are_rejected() -> None:
    df = _one()
    df["site"] = pd.Series([7], dtype=object)
    with pytest.raises(TidyDataError, match="'site'.*text"):
        validate_tidy(df)


def test_paired_and_allowed_rules() -> None:
    ok = make_rows(
        [
            {"respondent": "a", "kind": "paired", "measure": "time_out", "measure_b": "belt_long", "choice": "time_out", "item": "p1"},
            {"respondent": "a", "kind": "allowed", "measure": "seclusion", "choice": "no", "item": "al1"},
            {"respondent": "a", "kind": "other_scale", "measure": None, "item": "x1", "value": 3.0},
        ]
    )
    assert len(validate_tidy(ok)) == 3
    bad_pick = ok.copy()
    bad_pick.loc[0, "choice"] = "net_bed"
    with pytest.raises(TidyDataError, match="'choice'.*one of the two"):
        validate_tidy(bad_pick)
    bad_allowed = ok.copy()
    bad_allowed.loc[1, "choice"] = "perhaps"
    with pytest.raises(TidyDataError, match="'choice'"):
        validate_tidy(bad_allowed)


def test_duplicate_items_and_inconsistent_respondents() -> None:
    dup = make_rows([{"respondent": "a", "measure": "time_out", "value": 1.0, "item": "i"}] * 2)
    with pytest.raises(TidyDataError, match="'item'.*only once"):
        validate_tidy(dup)
    varies = make_rows(
        [
            {"respondent": "a", "measure": "time_out", "value": 1.0, "gender": "male"},
            {"respondent": "a", "measure": "seclusion", "value": 2.0, "gender": "female"},
        ]
    )
    with pytest.raises(TidyDataError, match="'gender'.*same on all rows"):
        validate_tidy(varies)


def test_csv_round_trip_is_exact(tmp_path, realistic: pd.DataFrame) -> None:
    df = realistic.iloc[:3000].copy()
    # Awkward floats and codes that default CSV readers would turn into NA.
    df.loc[df.index[0], "value"] = 1 / 3
    df.loc[df.index[1], "value"] = 99.99999999999999
    df.loc[df["kind"] == "rating", "experience"] = "none"
    path = tmp_path / "answers.csv"
    write_tidy_csv(df, path)
    back = read_tidy_csv(path)
    pd.testing.assert_frame_equal(back, validate_tidy(df))
    assert (back["experience"] == "none").sum() == (df["experience"] == "none").sum()
