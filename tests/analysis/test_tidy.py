"""The tidy contract: validation messages and an exact CSV round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathlib import Path

from analysis.tidy import COLUMNS, TidyDataError, check_gradable, read_tidy_csv, validate_tidy, write_tidy_csv

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
            {"respondent": "a", "kind": "rank", "measure": "seclusion", "item": "ranking.seclusion", "value": 3.0},
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


# Strict input: what was once accepted silently (or refused cryptically) is refused
# with the column and the place: index labels for a frame, file lines for a CSV.


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _text_frame(ratings_only: pd.DataFrame) -> pd.DataFrame:
    """The table as a CSV reader sees it: text everywhere, empty for missing."""
    written = validate_tidy(ratings_only)
    text = written.astype(object).where(written.notna(), "")
    text["value"] = [("" if pd.isna(v) else repr(float(v))) for v in written["value"]]
    return text


def _refusal(path: Path) -> TidyDataError:
    with pytest.raises(TidyDataError) as info:
        read_tidy_csv(path)
    return info.value


def test_a_0_1_scale_is_refused_naming_value_and_the_file_lines(tmp_path: Path, ratings_only: pd.DataFrame) -> None:
    text = _text_frame(ratings_only)
    rated = (text["kind"] == "rating") & (text["value"] != "")
    text.loc[rated, "value"] = [repr(float(v) / 100) for v in text.loc[rated, "value"]]
    error = _refusal(_csv(tmp_path, text))
    assert error.column == "value"
    assert "0-1 scale" in str(error)
    fractions = [k for k in text.index[rated.to_numpy()] if float(text.at[k, "value"]) != round(float(text.at[k, "value"]))]
    # Data row k is line k + 2: the header is line 1.
    assert error.rows[:5] == tuple(k + 2 for k in fractions[:5])
    assert f"lines {fractions[0] + 2}, " in str(error)


def test_a_0_10_scale_is_refused(tmp_path: Path, ratings_only: pd.DataFrame) -> None:
    text = _text_frame(ratings_only)
    rated = (text["kind"] == "rating") & (text["value"] != "")
    text.loc[rated, "value"] = [str(round(float(v) / 10)) for v in text.loc[rated, "value"]]
    error = _refusal(_csv(tmp_path, text))
    assert error.column == "value" and "0-10 scale" in str(error)


def test_a_value_outside_0_100_names_its_line(tmp_path: Path, ratings_only: pd.DataFrame) -> None:
    text = _text_frame(ratings_only)
    row = int(text.index[(text["kind"] == "rating") & (text["value"] != "")][7])
    text.loc[row, "value"] = "150"
    error = _refusal(_csv(tmp_path, text))
    assert (error.column, error.rows) == ("value", (row + 2,))
    assert f"(line {row + 2})" in str(error) and "0-100" in str(error)


@pytest.mark.parametrize("kind", ["Rating", "ratings", "likert5", " rating"])
def test_an_unknown_kind_is_refused_naming_kind_and_lines(tmp_path: Path, ratings_only: pd.DataFrame, kind: str) -> None:
    text = _text_frame(ratings_only)
    text.loc[3:, "kind"] = kind
    error = _refusal(_csv(tmp_path, text))
    assert error.column == "kind" and repr(kind) in str(error)
    assert error.rows[0] == 5 and error.count == len(text) - 3
    if kind.strip().lower().startswith("rating"):
        assert "did you mean 'rating'" in str(error)


@pytest.mark.parametrize("written", ["nan", "NaN", "NA", "null", "inf", "-"])
def test_text_where_a_number_belongs_is_refused_naming_the_line(tmp_path: Path, ratings_only: pd.DataFrame, written: str) -> None:
    text = _text_frame(ratings_only)
    text.loc[4, "value"] = written
    error = _refusal(_csv(tmp_path, text))
    assert (error.column, error.rows) == ("value", (6,))
    assert repr(written) in str(error) and "(line 6)" in str(error)


def test_a_header_only_or_empty_file_is_refused(tmp_path: Path) -> None:
    header = tmp_path / "header.csv"
    header.write_text(",".join(COLUMNS) + "\n")
    assert "no data rows" in str(_refusal(header))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "line 1" in str(_refusal(empty)) and "empty" in str(_refusal(empty))


def test_a_blank_line_keeps_the_line_numbers_right(tmp_path: Path, ratings_only: pd.DataFrame) -> None:
    path = _csv(tmp_path, _text_frame(ratings_only))
    lines = path.read_text().split("\n")
    lines.insert(4, "")  # becomes line 5
    path.write_text("\n".join(lines))
    error = _refusal(path)
    assert error.rows == (5,) and error.column == "respondent"


def test_a_semicolon_separated_file_is_named_as_such(tmp_path: Path, ratings_only: pd.DataFrame) -> None:
    path = tmp_path / "excel.csv"
    _text_frame(ratings_only).to_csv(path, index=False, sep=";")
    assert "';'" in str(_refusal(path))


def test_missing_ratings_as_empty_fields_and_a_bom_are_read(tmp_path: Path, realistic: pd.DataFrame) -> None:
    df = realistic.iloc[:2000]
    assert (df["missing"].notna() & (df["kind"] == "rating")).any()
    path = tmp_path / "answers.csv"
    write_tidy_csv(df, path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    pd.testing.assert_frame_equal(read_tidy_csv(path), validate_tidy(df))


def test_a_frame_names_its_own_rows() -> None:
    df = _one()
    df["value"] = pd.Series(["nan"], dtype=object)
    with pytest.raises(TidyDataError, match=r"'value'.*'nan'.*\(rows 0\)"):
        validate_tidy(df)
    df = _one(kind="Rating").set_axis([41])
    with pytest.raises(TidyDataError, match=r"'kind'.*'Rating'.*\(rows 41\)"):
        validate_tidy(df)


def test_small_whole_numbers_on_0_100_are_not_taken_for_another_scale() -> None:
    rows = [{"respondent": f"r{k}", "measure": m, "value": float(v)} for k, (m, v) in enumerate([("time_out", 0), ("seclusion", 1), ("belt_long", 1)])]
    assert len(validate_tidy(make_rows(rows))) == 3


def test_nothing_to_grade_is_refused() -> None:
    empty = validate_tidy(_one().iloc[:0])
    with pytest.raises(TidyDataError, match="no rows"):
        check_gradable(empty)
    only_allowed = validate_tidy(make_rows([{"respondent": "a", "kind": "allowed", "measure": "seclusion", "choice": "no"}]))
    with pytest.raises(TidyDataError, match="'kind'.*no row has kind 'rating'"):
        check_gradable(only_allowed)
    all_dont_know = validate_tidy(_one(value=float("nan"), missing="dont_know"))
    with pytest.raises(TidyDataError, match="'value'.*none of the 1 rating rows"):
        check_gradable(all_dont_know)
    check_gradable(validate_tidy(_one()))
