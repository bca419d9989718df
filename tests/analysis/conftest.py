"""Shared fixtures: small hand-made tidy tables and simulated data."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import COLUMNS


def make_rows(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A tidy table from partial row dicts, with sensible defaults for the rest."""
    defaults: dict[str, object] = {
        "group": "patient",
        "setting": "general_adult",
        "site": "site_01",
        "instrument_version": "v1",
        "gender": "female",
        "age_band": "30-49",
        "kind": "rating",
        "measure": None,
        "measure_b": None,
        "value": float("nan"),
        "choice": None,
        "missing": None,
        "experience": None,
    }
    full = []
    for row in rows:
        r = dict(defaults)
        r.update(row)
        if "item" not in row:
            r["item"] = f"{r['kind']}_{r['measure']}_{r['measure_b']}"
        full.append(r)
    df = pd.DataFrame(full)
    for c in COLUMNS:
        if c != "value":
            df[c] = df[c].astype("string")
    df["value"] = df["value"].astype(float)
    return df[list(COLUMNS)]


@pytest.fixture(scope="session")
def realistic() -> pd.DataFrame:
    """Three groups x 300 respondents from the default true gradation."""
    return simulate_answers(Simulation(respondents_per_group=300, seed=11))


@pytest.fixture()
def ratings_only() -> pd.DataFrame:
    """A small ratings-only table, as the walking skeleton produces."""
    return simulate_answers(Simulation(respondents_per_group=20, pairs_per_respondent=0, allowed_items=False, seed=3))
