"""The report shows paired choices, rankings and their agreement with the ratings, without small cells."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import tinyhtml5

from analysis.gradation import analyse
from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import STRING_COLUMNS
from server.publication.report import report_html
from server.publication.store import StoredPublication, prepare_publication
from server.publication.wording import measure_label
from tests.publication.conftest import TIERS

H = "{http://www.w3.org/1999/xhtml}"
RANKED = ("area_restriction", "holding_short", "acute_sedation", "belt_short", "sedation_danger")
SETTINGS = GradationSettings(bootstrap_resamples=40, mixed_model=False, ordinal_model=False)


def _with_choices() -> pd.DataFrame:
    """Patients and staff with pairs and rankings; staff always rank sedation_danger last
    (separation); 3 forensic relatives (a small cell) with rankings; some "don't know" pairs."""
    big = simulate_answers(Simulation(respondents_per_group=80, groups=("patient", "staff"), tiers=TIERS, tier_gap=15.0, ranked_measures=RANKED, seed=21))
    small = simulate_answers(Simulation(respondents_per_group=3, groups=("relative",), setting="forensic", tiers=TIERS, ranked_measures=RANKED, seed=22, id_prefix="s"))
    frame = pd.concat([big, small], ignore_index=True)
    for column in STRING_COLUMNS:
        frame[column] = frame[column].astype("string")
    paired = frame.index[(frame["kind"] == "paired").to_numpy()]
    ties = paired[np.random.default_rng(0).random(len(paired)) < 0.1]
    frame.loc[ties, "choice"] = pd.NA
    frame.loc[ties, "missing"] = "dont_know"
    staff_rank = (frame["kind"] == "rank") & (frame["group"] == "staff")
    for _, rows in frame[staff_rank].groupby("respondent"):
        last = rows.index[rows["value"] == 5.0][0]
        target = rows.index[rows["measure"] == "sedation_danger"][0]
        frame.loc[last, "value"], frame.loc[target, "value"] = frame.loc[target, "value"], 5.0
    return frame


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _with_choices()


@pytest.fixture(scope="module")
def publication(data, reference) -> StoredPublication:
    return prepare_publication(data, SETTINGS, reference).as_stored(4, dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc), "researcher1")


@pytest.fixture(scope="module", params=["en", "da"])
def root(request: pytest.FixtureRequest, publication: StoredPublication):
    return tinyhtml5.parse(report_html(publication, request.param))


def _by_class(root, tag: str, cls: str) -> list:
    return [e for e in root.iter(H + tag) if cls in e.get("class", "").split()]


def test_report_prints_pairs_rankings_and_agreement_of_the_result(root, data, reference) -> None:
    result = analyse(data, SETTINGS, reference=reference)
    tables = _by_class(root, "table", "choice-strengths")
    assert {(t.get("data-group"), t.get("data-setting")) for t in tables} == {("patient", "general_adult"), ("staff", "general_adult")}
    patient = result.group("patient", "general_adult")
    table = next(t for t in tables if t.get("data-group") == "patient")
    rows = {r.get("data-measure"): list(r.iter(H + "td")) for r in table.iter(H + "tr") if r.get("data-measure")}
    bt = {e.measure: e for e in patient.bradley_terry.estimates}
    pl = {e.measure: e for e in patient.plackett_luce.estimates}
    assert set(rows) == set(bt) | set(pl)
    for measure, cells in rows.items():
        assert float(cells[1].get("data-value")) == round(bt[measure].estimate, 6)
        if measure in pl:
            assert float(cells[2].get("data-value")) == round(pl[measure].estimate, 6)
            assert float(cells[2].get("data-low")) == round(pl[measure].ci_low, 6)
        else:
            assert cells[2].text == "–"
    # "Don't know" pairs are counted as ties, and the count is printed.
    ties = [s for s in _by_class(root, "span", "bt-ties")]
    assert patient.bradley_terry.ties > 0 and str(patient.bradley_terry.ties) in {s.get("data-value") for s in ties}
    agreement = next(t for t in _by_class(root, "table", "source-agreement") if t.get("data-group") == "patient")
    shown = {r.get("data-sources"): r for r in agreement.iter(H + "tr") if r.get("data-sources")}
    for c in patient.source_agreement.comparisons:
        row = shown[f"{c.source_a}-{c.source_b}"]
        tau = list(row.iter(H + "td"))[2]
        assert float(tau.get("data-value")) == round(c.kendall_tau, 6)


def test_report_states_a_separated_ranking_instead_of_estimates(root) -> None:
    status = [p for p in _by_class(root, "p", "choice-status") if p.get("data-source") == "rankings"]
    assert len(status) == 1 and status[0].get("data-status") == "separated"
    # The measure is named by its label, in the report's language.
    language = next(root.iter(H + "html")).get("lang")
    assert measure_label("sedation_danger", language) in "".join(status[0].itertext())
    staff = next(t for t in _by_class(root, "table", "choice-strengths") if t.get("data-group") == "staff")
    for row in (r for r in staff.iter(H + "tr") if r.get("data-measure")):
        assert list(row.iter(H + "td"))[2].get("data-value") is None


def test_small_cell_rankings_are_suppressed(root, publication: StoredPublication) -> None:
    assert not [e for e in root.iter() if e.get("data-group") == "relative"]
    notes = " ".join("".join(li.itertext()) for li in _by_class(root, "li", "note"))
    assert "Pårørende / Retspsykiatri" in notes or "Relatives / Forensic psychiatry" in notes


def test_rankings_by_too_few_respondents_leave_the_document_with_their_comparisons() -> None:
    from server.publication.suppression import suppress_small_cells

    disagreement = {"measure_a": "a", "measure_b": "rare", "source_a_says": "less", "source_b_says": "more", "source_a_resolved": True, "source_b_resolved": True, "clear": True}
    comparisons = [
        {"source_a": "ratings", "source_b": "pairs", "measures": ["a", "b", "rare"], "kendall_tau": 1.0, "spearman": 1.0, "pairs": 3, "opposite": 1, "clear_opposite": 1, "disagreements": [disagreement]},
        {"source_a": "ratings", "source_b": "rankings", "measures": ["a", "b"], "kendall_tau": 1.0, "spearman": 1.0, "pairs": 1, "opposite": 0, "clear_opposite": 0, "disagreements": []},
    ]
    group = {
        "group": "patient", "setting": "general_adult", "small_cell": False, "respondents": 40,
        "measures": [{"measure": m, "n": n, "small_cell": n < 5} for m, n in (("a", 40), ("b", 40), ("rare", 3))],
        "allowed": [], "tiers": [{"index": 0, "measures": ["a", "b"], "boundary_above": None}], "pairwise": [], "reference": None,
        "bradley_terry": {"small_cell": False, "estimates": []},
        "plackett_luce": {"small_cell": True, "respondents": 3, "estimates": []},
        "source_agreement": {"sources": ["ratings", "pairs", "rankings"], "comparisons": comparisons},
    }
    out = suppress_small_cells({"groups": [group], "notes": []}, 5)
    (kept,) = out["groups"]
    assert kept["plackett_luce"] is None
    assert "suppressed (fewer than 5 respondents): patient / general_adult: rankings" in out["notes"]
    assert kept["source_agreement"]["sources"] == ["ratings", "pairs"]
    (left,) = kept["source_agreement"]["comparisons"]
    # The disagreement names a measure whose ratings are suppressed, so it goes too.
    assert (left["source_b"], left["opposite"], left["disagreements"]) == ("pairs", 0, [])
