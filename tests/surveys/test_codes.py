"""Fixed numeric codes: every option of every questionnaire and every measure has one,
no two values of a set share one, and the coding does not depend on the questionnaire."""

from pathlib import Path

import msgspec
import pytest

from surveys import codes
from surveys.loader import INSTRUMENTS_DIR, STRUCTURE_FILE, load_catalogue, load_instruments
from surveys.model import InstrumentSource

CATALOGUE = load_catalogue()


def _sources() -> dict[str, InstrumentSource]:
    folders = sorted(p for p in Path(INSTRUMENTS_DIR).iterdir() if (p / STRUCTURE_FILE).is_file())
    return {f.name: msgspec.yaml.decode((f / STRUCTURE_FILE).read_bytes(), type=InstrumentSource) for f in folders}


def test_the_catalogue_codes_are_consistent() -> None:
    assert codes.check_codes() == []


def test_every_option_of_every_instrument_has_a_code() -> None:
    uncoded = [
        f"{name}: {set_name}.{value}"
        for name, source in _sources().items()
        for set_name, values in source.option_sets.items()
        for value in values
        if value not in codes.codes_file().option_sets.get(set_name, {})
    ]
    assert uncoded == []


def test_every_choice_item_finds_its_set_through_its_kind() -> None:
    # Stored versions keep an item's kind, not its option set's name: the kind must lead
    # to a set that codes every option the item offers.
    for instrument in load_instruments(catalogue=CATALOGUE).values():
        for item in instrument.items:
            if item.type not in ("single", "likert", "multiple"):
                continue
            option_set = codes.option_set_for_kind(item.kind)
            assert option_set is not None, f"{instrument.code}: kind '{item.kind}' has no option set in codes.yaml"
            for option in item.options:
                codes.option_code(option_set, option.code)


def test_every_measure_has_a_distinct_number_in_catalogue_order() -> None:
    numbers = codes.measure_numbers()
    assert list(numbers) == [m.code for m in CATALOGUE.measures]
    assert sorted(numbers.values()) == list(range(1, len(CATALOGUE.measures) + 1))
    assert codes.measure_number("belt_long") == numbers["belt_long"]
    with pytest.raises(codes.CodesError, match="nosuch"):
        codes.measure_number("nosuch")


def test_age_bands_are_one_ascending_coding_for_adults_and_youth() -> None:
    bands = ["12-14", "15-17", "18-29", "30-49", "50-64", "65+"]
    assert [codes.option_code("age_band", b) for b in bands] == [1, 2, 3, 4, 5, 6]
    assert codes.option_code("age_band", "18-49") == 22 and codes.option_labels("age_band")["50+"] == codes.generalised_values("age_band")["50+"].label()


def test_generalised_values_are_coded_and_never_collide() -> None:
    for set_name, values in codes.generalisations().items():
        options = codes.codes_file().option_sets[set_name]
        for value, generalised in values.items():
            assert codes.option_code(set_name, value) == generalised.numeric
            assert generalised.numeric not in options.values()
            assert set(generalised.members) <= set(options), f"{set_name}.{value}"


def test_missing_kinds_table() -> None:
    table = {k: (m.numeric, m.stata, m.label["en"]) for k, m in codes.MISSING_KINDS.items()}
    assert table == {
        "dont_know": (-1, "d", "Don't know"),
        "prefer_not_to_answer": (-2, "p", "Prefer not to answer"),
        "suppressed": (-7, "s", "Suppressed for anonymity"),
        "not_asked": (-8, "n", "Not asked (routing, setting or design)"),
        "not_answered": (-9, "u", "Not answered (skipped)"),
    }
    low, high = codes.MISSING_RANGE
    assert all(low <= m.numeric <= high for m in codes.MISSING_KINDS.values())
    assert codes.option_code("allowed", "dont_know") == codes.MISSING_KINDS["dont_know"].numeric


def test_a_shared_code_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = msgspec.structs.replace(codes.codes_file(), option_sets={**codes.codes_file().option_sets, "yes_no": {"yes": 1, "no": 1}})
    monkeypatch.setattr(codes, "codes_file", lambda: broken)
    assert codes.check_codes() == ["option set 'yes_no': 'no' and 'yes' share code 1"]


def test_sites_and_studies_are_numbered_per_export_in_sorted_order() -> None:
    assert codes.per_export_codes(["ward-b", "ward-a", "ward-b"]) == {"ward-a": 1, "ward-b": 2}
