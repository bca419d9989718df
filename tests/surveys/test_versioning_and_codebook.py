"""Content-hash versions, stable item codes, the codebook and the author CLI."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from server.instruments_cli import check_instruments, codebook
from surveys.codebook import MISSING_VALUE_CODES, build_codebook, codebook_csv
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
    rating = variables["rating.belt_long"]
    assert (rating.type, rating.minimum, rating.maximum, rating.measure) == ("vas", 0, 100, "belt_long")
    assert rating.label["da"].startswith("Hvor indgribende") and rating.label["en"].startswith("How intrusive")
    assert [m.numeric for m in rating.missing_codes] == [MISSING_VALUE_CODES[c] for c in ("dont_know", "prefer_not_to_answer", "not_asked", "not_answered")]
    allowed = variables["allowed.seclusion"]
    assert [(v.code, v.numeric, v.label["en"]) for v in allowed.value_labels] == [("yes", 1, "Yes"), ("no", 2, "No"), ("dont_know", 3, "Don't know")]
    assert {"background.worked_in.forensic", "ranking.core.belt_short"} <= set(variables)
    assert variables["coercion_applied_recently"].shown_if == "coercion_applied in (yes)"
    pair = next(v for v in book.variables if v.kind == "paired")
    assert [v.code for v in pair.value_labels] == [pair.measure, pair.measure_b]
    rows = codebook_csv(book).splitlines()
    assert rows[0].startswith("instrument,version,variable,item,label_da,label_en,type")
    assert len(rows) == len(book.variables) + 1


def test_codebook_command_writes_csv_and_json_per_version(tmp_path: Path) -> None:
    result = CliRunner().invoke(codebook, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 8 and all(".codebook." in name for name in written)
    book = json.loads(next(tmp_path.glob("relative-*.json")).read_text(encoding="utf-8"))
    assert book["instrument"] == "relative" and len(book["version"]) == 64
    assert any(v["name"] == "background.relation" for v in book["variables"])


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
