"""The catalogue, the reference gradation and the four questionnaires load and keep their contracts."""

import pytest

from surveys.loader import load_catalogue, load_instruments, load_reference_gradation
from surveys.model import ITEM_TYPES, SETTINGS, Instrument
from surveys.routing import Context, visible_items

CATALOGUE = load_catalogue()
INSTRUMENTS = load_instruments(catalogue=CATALOGUE)
ORIGINAL_CODES = {
    "personal_observation", "area_restriction", "time_out", "holding_short", "holding_long", "acute_sedation",
    "sedation_danger", "locked_room", "seclusion", "belt_short", "belt_long", "ambulatory_belt", "transport_straps", "net_bed",
}


def test_catalogue_keeps_every_measure_code_with_duration_splits_and_legal_flags() -> None:
    codes = {m.code for m in CATALOGUE.measures}
    assert ORIGINAL_CODES <= codes
    assert {"holding_short", "holding_long", "belt_short", "belt_long"} <= codes
    forensic_only = {m.code for m in CATALOGUE.measures if m.settings == ["forensic"]}
    assert forensic_only == {"locked_room", "ambulatory_belt"}
    assert not CATALOGUE.measure("seclusion").legal_today and not CATALOGUE.measure("net_bed").legal_today
    assert CATALOGUE.measure("belt_short").legal_today
    for measure in CATALOGUE.measures:
        for language in ("da", "en"):
            assert measure.label[language] and measure.description_third[language] and measure.legal_note[language]


def test_reference_gradation_has_tiers_and_ties_per_setting() -> None:
    reference = load_reference_gradation(catalogue=CATALOGUE)
    assert set(reference.settings) == set(SETTINGS)
    general, forensic = reference.settings["general_adult"], reference.settings["forensic"]
    assert general[0] == ["area_restriction"] and general[-1] == ["belt_long"]
    assert ["holding_short", "acute_sedation"] in general  # a tie
    assert "locked_room" in forensic[3] and not any("locked_room" in tier for tier in general)


def test_four_questionnaires_one_per_group_in_danish_and_english() -> None:
    assert set(INSTRUMENTS) == {"patient_adult", "patient_youth", "relative", "staff"}
    assert {i.group for i in INSTRUMENTS.values()} == {"patient", "relative", "staff"}
    for instrument in INSTRUMENTS.values():
        assert instrument.languages == ["da", "en"]
        for language in ("da", "en"):
            assert instrument.title[language] and instrument.information[language] and instrument.consent[language]
            for item in instrument.items:
                assert item.prompt[language].strip(), item.code
                assert "{label}" not in item.prompt[language]
                assert all(o.label[language].strip() for o in item.options)


def _codes(instrument: Instrument, kind: str) -> set[str]:
    return {i.code for i in instrument.items if i.kind == kind}


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_each_questionnaire_has_the_required_blocks(code: str) -> None:
    instrument = INSTRUMENTS[code]
    assert {i.type for i in instrument.items} == set(ITEM_TYPES)
    assert _codes(instrument, "rating") == {f"rating.{m.code}" for m in CATALOGUE.measures}
    assert all(i.type == "vas" and (i.minimum, i.maximum) == (0, 100) for i in instrument.items if i.kind == "rating")
    assert _codes(instrument, "allowed") == {f"allowed.{m.code}" for m in CATALOGUE.measures if not m.legal_today}
    assert {"allowed.seclusion", "allowed.time_out"} <= _codes(instrument, "allowed")
    assert [o.code for o in instrument.item("allowed.seclusion").options] == ["yes", "no", "dont_know"]
    assert [o.code for o in instrument.item("background.gender").options] == ["female", "male", "other", "prefer_not_to_say"]
    assert instrument.item("background.age_band").kind == "age_band"
    assert instrument.item("comment").requires == "free_text"
    if instrument.group == "staff":
        assert instrument.item("background.profession").kind == "profession"
        assert instrument.item("background.years_experience").kind == "years_experience"
        assert not _codes(instrument, "experience")
    else:
        assert [o.code for o in instrument.item("experience.belt_long").options] == ["none", "witnessed", "experienced"]
    if code == "patient_youth":
        assert [o.code for o in instrument.item("background.age_band").options] == ["12-14", "15-17"]


@pytest.mark.parametrize("setting", SETTINGS)
def test_setting_decides_which_measures_are_asked(setting: str) -> None:
    items = visible_items(INSTRUMENTS["patient_adult"], Context(setting=setting))
    rated = {i.measure for i in items if i.kind == "rating"}
    assert ("locked_room" in rated) == (setting == "forensic")
    for item in items:
        if item.type == "paired":
            assert {item.measure, item.measure_b} <= rated
    assert not any(i.code == "comment" for i in items), "free text is off by default"
    with_text = visible_items(INSTRUMENTS["patient_adult"], Context(setting=setting, features=frozenset({"free_text"})))
    assert any(i.code == "comment" for i in with_text)


def test_hypothetical_measures_are_explained_before_they_are_rated() -> None:
    item = INSTRUMENTS["patient_adult"].item("rating.net_bed")
    assert item.hypothetical and "ikke i Danmark i dag" in item.help["da"]
    assert not INSTRUMENTS["patient_adult"].item("rating.belt_short").hypothetical
    staff_help = INSTRUMENTS["staff"].item("rating.belt_short").help["da"]
    assert "Patienten" in staff_help and " du " not in staff_help


def test_skip_logic_shows_follow_ups_only_after_yes() -> None:
    instrument = INSTRUMENTS["relative"]
    hidden = visible_items(instrument, Context(setting="general_adult", answers={"coercion_any": ("no", None)}))
    shown = visible_items(instrument, Context(setting="general_adult", answers={"coercion_any": ("yes", None)}))
    missing = visible_items(instrument, Context(setting="general_adult", answers={"coercion_any": (None, "dont_know")}))
    assert not any(i.kind == "experience" for i in hidden + missing)
    assert {i.measure for i in shown if i.kind == "experience"} == {i.measure for i in shown if i.kind == "rating"}
