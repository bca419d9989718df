"""Per-measure skip rules (`measure_show_if`): the youth questionnaire asks about sedation
because of danger only from age 15, and broken rules are refused where they were written."""

import copy
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from surveys.codebook import build_codebook
from surveys.design import pair_cycle
from surveys.errors import InstrumentError
from surveys.loader import INSTRUMENTS_DIR, load_catalogue, load_instrument
from surveys.model import Condition, Item
from surveys.routing import Context, visible_items
from surveys.versioning import content_hash

CATALOGUE = load_catalogue()
YOUTH = load_instrument(INSTRUMENTS_DIR / "patient_youth", CATALOGUE)
SOURCE = INSTRUMENTS_DIR / "patient_youth"
FILES = {name: yaml.safe_load((SOURCE / name).read_text(encoding="utf-8")) for name in ("instrument.yaml", "da.yaml", "en.yaml")}


def _about_sedation_danger(item: Item) -> bool:
    return "sedation_danger" in (item.measure, item.measure_b)


def _asked(setting: str, age: tuple[Any, str | None] | None) -> list[Item]:
    """Every item asked over a whole cycle of design slots (so every pair gets its turn)."""
    answers = {"coercion_any": ("yes", None)}
    if age is not None:
        answers["background.age_band"] = age
    slots = max(1, len(pair_cycle(YOUTH, setting)))
    return [item for slot in range(slots) for item in visible_items(YOUTH, Context(setting=setting, slot=slot, answers=answers))]


@pytest.mark.parametrize("setting", ["general_adult", "child_adolescent"])
def test_twelve_to_fourteen_year_olds_are_never_asked_about_sedation_because_of_danger(setting: str) -> None:
    asked = _asked(setting, ("12-14", None))
    assert not [item.code for item in asked if _about_sedation_danger(item)]
    # Only that measure is left out: every other measure is still rated.
    rated = {item.measure for item in asked if item.kind == "rating"}
    assert rated == {m.code for m in CATALOGUE.measures if setting in m.settings} - {"sedation_danger"}


@pytest.mark.parametrize(
    "age",
    [("15-17", None), None, (None, "prefer_not_to_answer")],
    ids=["15-17", "age not answered", "age declined"],
)
def test_older_youths_and_those_who_skip_the_age_question_are_asked(age: tuple[Any, str | None] | None) -> None:
    codes = {item.code for item in _asked("child_adolescent", age)}
    assert {"rating.sedation_danger", "allowed.sedation_danger", "experience.sedation_danger"} <= codes
    assert any(code.startswith("paired.") and "sedation_danger" in code for code in codes)


def test_the_rule_is_data_on_every_item_about_the_measure_and_nothing_else_changes() -> None:
    rule = Condition(item="background.age_band", none_of=["12-14"])
    about = [item for item in YOUTH.items if _about_sedation_danger(item)]
    assert {item.kind for item in about} == {"experience", "rating", "allowed", "paired"}
    assert all(rule in item.show_if for item in about)
    assert not any(rule in item.show_if for item in YOUTH.items if not _about_sedation_danger(item))
    # The experience follow-up keeps its own rule too.
    assert YOUTH.item("experience.sedation_danger").show_if[0] == Condition(item="coercion_any", any_of=["yes"])
    variables = {v.name: v for v in build_codebook(YOUTH, content_hash(YOUTH)).variables}
    assert variables["rating_sedation_danger"].shown_if == "background.age_band not in (12-14) or not answered"


def test_an_any_of_rule_encodes_as_before_so_stored_versions_keep_their_hashes() -> None:
    assert msgspec.json.encode(Condition(item="coercion_any", any_of=["yes"]), order="sorted") == b'{"any_of":["yes"],"item":"coercion_any"}'


def test_a_changed_age_answer_hides_the_measure_again() -> None:
    older = Context(setting="general_adult", answers={"background.age_band": ("15-17", None)})
    younger = Context(setting="general_adult", answers={"background.age_band": ("12-14", None)})
    assert "rating.sedation_danger" in {i.code for i in visible_items(YOUTH, older)}
    assert "rating.sedation_danger" not in {i.code for i in visible_items(YOUTH, younger)}


# --- refusals: file, path and reason ---------------------------------------------------


def _rules(files: dict[str, Any]) -> dict[str, Any]:
    return files["instrument.yaml"]["measure_show_if"]


CASES = [
    ("unknown measure", lambda f: _rules(f).__setitem__("unicorn", [{"item": "background.age_band", "none_of": ["12-14"]}]),
     "measure_show_if.unicorn", "unknown measure code 'unicorn'"),
    ("unknown item", lambda f: _rules(f).__setitem__("sedation_danger", [{"item": "background.age", "none_of": ["12-14"]}]),
     "measure_show_if.sedation_danger[0]", "skip rule points to no item: 'background.age'"),
    ("impossible answer", lambda f: _rules(f).__setitem__("sedation_danger", [{"item": "background.age_band", "none_of": ["11-14"]}]),
     "measure_show_if.sedation_danger[0]", "'11-14' is not an answer of 'background.age_band'"),
    ("both any_of and none_of", lambda f: _rules(f).__setitem__("sedation_danger", [{"item": "background.age_band", "any_of": ["15-17"], "none_of": ["12-14"]}]),
     "measure_show_if.sedation_danger[0]", "exactly one of any_of or none_of"),
    ("later item", lambda f: _rules(f).__setitem__("sedation_danger", [{"item": "difficulty", "none_of": ["easy"]}]),
     "measure_show_if.sedation_danger[0]", "must depend on an earlier item"),
    ("no conditions", lambda f: _rules(f).__setitem__("sedation_danger", []), "measure_show_if.sedation_danger", "at least one condition"),
    ("a measure in a ranking", lambda f: _rules(f).__setitem__("belt_short", [{"item": "background.age_band", "none_of": ["12-14"]}]),
     "measure_show_if.belt_short", "ranking item 'ranking.core' lists 'belt_short'"),
]


@pytest.mark.parametrize(("name", "change", "path", "reason"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_measure_rule_names_file_path_and_reason(tmp_path: Path, name: str, change: Any, path: str, reason: str) -> None:
    files = copy.deepcopy(FILES)
    change(files)
    target = tmp_path / "patient_youth"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for file_name, content in files.items():
        (target / file_name).write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_instrument(target, CATALOGUE)
    error = caught.value
    assert (error.file, error.path) == ("patient_youth/instrument.yaml", path) and reason in error.reason, str(error)


def test_check_instruments_reports_a_broken_measure_rule(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from server.cli.instruments import check_instruments
    from surveys.loader import SURVEYS_DIR

    root = tmp_path / "surveys"
    shutil.copytree(SURVEYS_DIR / "catalogue", root / "catalogue")
    shutil.copytree(SURVEYS_DIR / "instruments", root / "instruments")
    structure = root / "instruments" / "patient_youth" / "instrument.yaml"
    structure.write_text(structure.read_text(encoding="utf-8").replace("{item: background.age_band, none_of", "{item: background.age, none_of"), encoding="utf-8")
    result = CliRunner().invoke(check_instruments, ["--surveys-dir", str(root)])
    assert result.exit_code == 1
    assert "patient_youth/instrument.yaml: measure_show_if.sedation_danger[0]: skip rule points to no item: 'background.age'" in result.output
    assert "ok  patient_adult" in result.output
