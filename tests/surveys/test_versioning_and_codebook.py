"""Content-hash versions, stable item codes, the codebook and the author CLI."""

import csv
import io
import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from server.cli.instruments import check_instruments, codebook
from surveys.codebook import MISSING_VALUE_CODES, build_codebook, codebook_csv, decode_answer, encode_answer, item_variables, wide_variables
from surveys.codes import measure_number
from surveys.loader import SURVEYS_DIR, load_catalogue, load_instrument
from surveys.versioning import content_hash

CATALOGUE = load_catalogue()


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "surveys"
    shutil.copytree(SURVEYS_DIR / "catalogue", target / "catalogue")
    shutil.copytree(SURVEYS_DIR / "instruments", target / "instruments")
    return target


def test_same_content_same_version_any_edit_new_version(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    folder = root / "instruments" / "patient_adult"
    before = load_instrument(folder, CATALOGUE)
    assert content_hash(load_instrument(folder, CATALOGUE)) == content_hash(before)
    da = folder / "da.yaml"
    da.write_text(da.read_text(encoding="utf-8").replace("Hvor gammel er du?", "Hvad er din alder?"), encoding="utf-8")
    after = load_instrument(folder, CATALOGUE)
    assert content_hash(after) != content_hash(before)
    assert [i.code for i in after.items] == [i.code for i in before.items]


def test_adding_or_removing_an_item_never_shifts_another_items_code(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    folder = root / "instruments" / "patient_adult"
    before = [i.code for i in load_instrument(folder, CATALOGUE).items]
    structure = folder / "instrument.yaml"
    text = structure.read_text(encoding="utf-8")
    structure.write_text(text.replace("  - {code: background.gender", "  - {code: background.living, type: single, kind: living, options: yes_no}\n  - {code: background.gender"), encoding="utf-8")
    for language in ("da", "en"):
        lang_file = folder / f"{language}.yaml"
        lang_file.write_text(lang_file.read_text(encoding="utf-8").replace("items:\n", "items:\n  background.living:\n    prompt: \"Bor du alene?\"\n", 1), encoding="utf-8")
    grown = [i.code for i in load_instrument(folder, CATALOGUE).items]
    assert [c for c in grown if c != "background.living"] == before
    folder = _copy(tmp_path / "second") / "instruments" / "patient_adult"
    structure = folder / "instrument.yaml"
    structure.write_text(text.replace("  - {code: difficulty, type: likert, kind: difficulty, options: difficulty, missing: [prefer_not_to_answer]}\n", ""), encoding="utf-8")
    for language in ("da", "en"):
        lang_file = folder / f"{language}.yaml"
        content = lang_file.read_text(encoding="utf-8")
        start = content.index("  difficulty:\n")
        end = content.index("  certainty:")
        lang_file.write_text(content[:start] + content[end:], encoding="utf-8")
    shrunk = [i.code for i in load_instrument(folder, CATALOGUE).items]
    assert shrunk == [c for c in before if c != "difficulty"]


def test_codebook_names_labels_types_value_labels_and_missing_codes() -> None:
    instrument = load_instrument(SURVEYS_DIR / "instruments" / "staff", CATALOGUE)
    book = build_codebook(instrument, content_hash(instrument))
    variables = {v.name: v for v in book.variables}
    rating = variables["rating_belt_long"]
    assert (rating.item, rating.type, rating.minimum, rating.maximum, rating.measure, rating.measure_level) == ("rating.belt_long", "vas", 0, 100, "belt_long", "scale")
    assert rating.label["da"].startswith("Hvor indgribende") and rating.label["en"].startswith("How intrusive")
    assert [m.numeric for m in rating.missing_codes] == [MISSING_VALUE_CODES[c] for c in ("dont_know", "prefer_not_to_answer", "not_asked", "not_answered")]
    allowed = variables["allowed_seclusion"]
    # "Don't know" is an option of this item, coded as the dont_know missing kind.
    assert [(v.code, v.numeric, v.label["en"]) for v in allowed.value_labels] == [("yes", 1, "Yes"), ("no", 2, "No"), ("dont_know", -1, "Don't know")]
    assert [m.code for m in allowed.missing_codes] == ["prefer_not_to_answer", "not_asked", "not_answered"]
    worked = variables["bg_worked_in_3"]
    assert (worked.item, worked.option, worked.type) == ("background.worked_in", "forensic", "flag")
    rank = variables[f"ranking_core_{measure_number('belt_short')}"]
    assert (rank.item, rank.option, rank.measure_level) == ("ranking.core", "belt_short", "ordinal")
    assert variables["coercion_applied_recently"].shown_if == "coercion_applied in (yes)"
    years = variables["bg_years_experience"]
    assert years.measure_level == "ordinal" and "suppressed" in [m.code for m in years.missing_codes]
    assert [(v.code, v.numeric) for v in years.value_labels][-2:] == [("under_6", 21), ("over_5", 22)]
    assert "suppressed" not in [m.code for m in variables["difficulty"].missing_codes]
    rows = codebook_csv(book).splitlines()
    assert rows[0].startswith("instrument,version,variable,item,option,label_da,label_en,type,kind,measure_level")
    assert len(rows) == len(wide_variables(book, include_text=True)) + 1
    # No cell a spreadsheet would take for a formula (so none needs an apostrophe in exports).
    cells = [cell for row in csv.reader(io.StringIO(codebook_csv(book))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert "dont_know=-1=Don't know" in codebook_csv(book)


def test_codes_are_the_catalogue_s_whatever_the_version_offers() -> None:
    adult = load_instrument(SURVEYS_DIR / "instruments" / "patient_adult", CATALOGUE)
    youth = load_instrument(SURVEYS_DIR / "instruments" / "patient_youth", CATALOGUE)
    bands = {}
    for instrument in (adult, youth):
        book = build_codebook(instrument, content_hash(instrument))
        bands.update({v.code: v.numeric for v in next(x for x in book.variables if x.name == "bg_age_band").value_labels})
    assert bands == {"12-14": 1, "15-17": 2, "18-29": 3, "30-49": 4, "50-64": 5, "65+": 6, "12-17": 21, "18-49": 22, "50+": 23}


def test_one_variable_per_pair_named_by_measure_numbers() -> None:
    instrument = load_instrument(SURVEYS_DIR / "instruments" / "relative", CATALOGUE)
    book = build_codebook(instrument, content_hash(instrument))
    pairs = [v for v in book.variables if v.kind == "paired"]
    stored = [i for i in instrument.items if i.type == "paired"]
    assert len(pairs) == len(stored) > 0
    for variable, item in zip(pairs, stored, strict=True):
        a, b = measure_number(item.measure), measure_number(item.measure_b)
        assert a < b and variable.name == f"pair_{a}_{b}" and variable.item == item.code
        assert [(v.code, v.numeric) for v in variable.value_labels] == [(item.measure, a), (item.measure_b, b)]


def test_names_are_stat_safe_unique_and_stable_across_versions(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    folder = root / "instruments" / "staff"
    before = build_codebook(load_instrument(folder, CATALOGUE), "a")
    da = folder / "da.yaml"
    da.write_text(da.read_text(encoding="utf-8").replace("Hvor gammel er du?", "Hvad er din alder?"), encoding="utf-8")
    after = build_codebook(load_instrument(folder, CATALOGUE), "b")
    names = [v.name for v in wide_variables(after, include_text=True)]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", n) for n in names)
    # Room for the 4-digit number a Stata writer appends to name a variable's value labels.
    assert max(len(n) for n in names) <= 28
    assert [(v.name, v.item, v.option) for v in after.variables] == [(v.name, v.item, v.option) for v in before.variables]
    assert [v.name for v in after.respondent_variables] == ["respondent", "study", "site", "setting", "group", "period"]
    flags = {v.name: v for v in after.flag_variables}
    assert list(flags) == ["flag_fast", "flag_straightline", "flag_nonresponse"]
    assert all(v.definition and v.definition["da"] and v.definition["en"] for v in flags.values())


def test_study_and_site_numbers_are_listed_per_export() -> None:
    instrument = load_instrument(SURVEYS_DIR / "instruments" / "staff", CATALOGUE)
    book = build_codebook(instrument, "x", studies=["demo"], sites=["ward-b", "ward-a"])
    site = next(v for v in book.respondent_variables if v.name == "site")
    assert [(v.code, v.numeric) for v in site.value_labels] == [("ward-a", 1), ("ward-b", 2)]


def test_answers_encode_to_codes_and_decode_back() -> None:
    instrument = load_instrument(SURVEYS_DIR / "instruments" / "staff", CATALOGUE)
    book = build_codebook(instrument, "x")
    per_item = item_variables(book)
    cases = [
        ("background.age_band", "30-49", None, {"bg_age_band": 4.0}),
        ("background.age_band", "18-49", None, {"bg_age_band": 22.0}),
        ("background.age_band", None, "suppressed", {"bg_age_band": -7.0}),
        ("allowed.seclusion", "dont_know", None, {"allowed_seclusion": -1.0}),
        ("background.worked_in", ["forensic"], None, {"bg_worked_in_1": 0.0, "bg_worked_in_2": 0.0, "bg_worked_in_3": 1.0}),
        ("rating.belt_long", None, "dont_know", {"rating_belt_long": -1.0}),
        ("rating.belt_long", 37, None, {"rating_belt_long": 37.0}),
    ]
    for item, value, missing, cells in cases:
        assert encode_answer(per_item[item], value, missing) == cells, item
        assert decode_answer(per_item[item], cells) == (value, missing), item
    ranking = per_item["ranking.core"]
    order = ["seclusion", "belt_short", "acute_sedation", "holding_short", "area_restriction"]
    assert decode_answer(ranking, encode_answer(ranking, order, None)) == (order, None)
    pair = next(v for v in book.variables if v.kind == "paired")
    assert encode_answer([pair], pair.measure_b, None) == {pair.name: float(measure_number(pair.measure_b))}
    assert decode_answer(per_item["difficulty"], {"difficulty": -8.0}) == (None, None)


def test_codebook_command_writes_csv_and_json_per_version(tmp_path: Path) -> None:
    result = CliRunner().invoke(codebook, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 8 and all(".codebook." in name for name in written)
    book = json.loads(next(tmp_path.glob("relative-*.json")).read_text(encoding="utf-8"))
    assert book["instrument"] == "relative" and len(book["version"]) == 64
    assert any(v["name"] == "bg_relation" and v["item"] == "background.relation" for v in book["variables"])


def test_check_instruments_passes_on_the_shipped_files_and_names_every_problem(tmp_path: Path) -> None:
    ok = CliRunner().invoke(check_instruments, [])
    assert ok.exit_code == 0 and "ok  staff" in ok.output
    root = _copy(tmp_path)
    (root / "instruments" / "staff" / "en.yaml").unlink()
    da = root / "instruments" / "relative" / "da.yaml"
    da.write_text(da.read_text(encoding="utf-8").replace("partner: Partner eller ægtefælle, ", ""), encoding="utf-8")
    broken = CliRunner().invoke(check_instruments, ["--surveys-dir", str(root)])
    assert broken.exit_code == 1
    assert "staff/en.yaml: $: missing translation" in broken.output
    assert "relative/da.yaml: options.relation.partner: label missing for value 'partner'" in broken.output
    assert "ok  patient_adult" in broken.output
