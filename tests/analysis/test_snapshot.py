"""The data hash ignores ids and row order but sees every answer."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from analysis import snapshot
from analysis.snapshot import data_hash
from analysis.tidy import validate_tidy


def test_hash_ignores_row_order_and_ids(ratings_only: pd.DataFrame) -> None:
    h = data_hash(ratings_only)
    assert len(h) == 64 and int(h, 16) >= 0
    shuffled = ratings_only.sample(frac=1.0, random_state=5).reset_index(drop=True)
    ids = {r: hashlib.md5(r.encode()).hexdigest() for r in ratings_only["respondent"].unique()}
    relabelled = shuffled.assign(respondent=shuffled["respondent"].map(ids).astype("string"))
    assert data_hash(shuffled) == h
    assert data_hash(relabelled) == h


def test_hash_changes_with_content(ratings_only: pd.DataFrame) -> None:
    h = data_hash(ratings_only)
    changed = ratings_only.copy()
    row = changed.index[changed["value"].notna()][0]
    changed.loc[row, "value"] = changed.loc[row, "value"] + 1e-9
    assert data_hash(changed) != h
    fewer = ratings_only[ratings_only["respondent"] != ratings_only["respondent"].iloc[0]]
    assert data_hash(fewer) != h
    moved = ratings_only.copy()
    moved.loc[moved["respondent"] == moved["respondent"].iloc[0], "site"] = "site_99"
    assert data_hash(moved) != h


def test_swapping_answers_between_respondents_changes_hash(ratings_only: pd.DataFrame) -> None:
    # Same multiset of rows per column but different people: must differ.
    df = ratings_only.copy()
    rated = df.index[(df["measure"] == "time_out") & df["value"].notna()]
    values = df.loc[rated, "value"]
    a = rated[0]
    b = values.index[values != values.loc[a]][0]
    df.loc[a, "value"], df.loc[b, "value"] = df.loc[b, "value"], df.loc[a, "value"]
    assert data_hash(df) != data_hash(ratings_only)


def test_digests_do_not_depend_on_chunk_size(ratings_only: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    tidy = validate_tidy(ratings_only.sample(frac=1.0, random_state=2))
    whole = snapshot.respondent_digests(tidy)
    # A few rows per chunk, so chunks end at many respondent boundaries.
    monkeypatch.setattr(snapshot, "_CHUNK_ROWS", 7)
    chunked = snapshot.respondent_digests(tidy)
    pd.testing.assert_series_equal(chunked, whole)
    assert list(whole.index) == sorted(whole.index)


def test_canonical_snapshot_matches_separate_steps(ratings_only: pd.DataFrame) -> None:
    tidy = validate_tidy(ratings_only)
    relabelled, sha256 = snapshot.canonical_snapshot(tidy)
    expected = snapshot.canonical_respondents(tidy)
    pd.testing.assert_frame_equal(relabelled.drop(columns="respondent"), expected.drop(columns="respondent"))
    assert relabelled["respondent"].dtype == expected["respondent"].dtype
    # Short ids, one per content-derived id, sorting the same way.
    short = relabelled["respondent"].to_numpy(dtype=object)
    long = expected["respondent"].to_numpy(dtype=object)
    assert len(set(zip(short, long))) == len(set(short)) == len(set(long))
    assert len({len(s) for s in short}) == 1
    assert (np.argsort(short, kind="stable") == np.argsort(long, kind="stable")).all()
    assert sha256 == data_hash(expected) == data_hash(relabelled) == data_hash(ratings_only)
    # The input keeps its ids.
    pd.testing.assert_frame_equal(tidy, validate_tidy(ratings_only))


def test_short_ids_sort_like_content_ids_with_many_identical_respondents(ratings_only: pd.DataFrame) -> None:
    # Twelve respondents with the same answers get occurrences 0-11, whose
    # text order ("-10" before "-2") the short ids must follow.
    first = ratings_only[ratings_only["respondent"] == ratings_only["respondent"].iloc[0]]
    copies = [first.assign(respondent=pd.Series(f"copy{k}", index=first.index, dtype="string")) for k in range(12)]
    tidy = validate_tidy(pd.concat([ratings_only, *copies], ignore_index=True))
    short = snapshot.canonical_snapshot(tidy)[0]["respondent"].to_numpy(dtype=object)
    long = snapshot.canonical_respondents(tidy)["respondent"].to_numpy(dtype=object)
    assert (np.argsort(short, kind="stable") == np.argsort(long, kind="stable")).all()
