"""Each questionnaire declares the ward settings it serves; the loader refuses a missing,
empty, unknown or repeated setting with file, path and reason, and where a questionnaire
is offered is not part of its content, so its version does not change."""

import shutil
from pathlib import Path

import pytest
import yaml

from surveys.errors import InstrumentError
from surveys.loader import INSTRUMENTS_DIR, load_catalogue, load_instrument, load_instrument_settings
from surveys.versioning import content_hash

CATALOGUE = load_catalogue()


def _copy(tmp_path: Path, settings: object) -> Path:
    target = tmp_path / "instruments" / "patient_youth"
    shutil.copytree(INSTRUMENTS_DIR / "patient_youth", target)
    structure = yaml.safe_load((target / "instrument.yaml").read_text(encoding="utf-8"))
    if settings is None:
        structure.pop("settings")
    else:
        structure["settings"] = settings
    (target / "instrument.yaml").write_text(yaml.safe_dump(structure, allow_unicode=True), encoding="utf-8")
    return target


def test_the_questionnaires_declare_where_they_are_used() -> None:
    assert load_instrument_settings() == {
        "patient_adult": ("general_adult", "forensic"),
        "patient_youth": ("child_adolescent",),
        "relative": ("general_adult", "child_adolescent", "forensic"),
        "staff": ("general_adult", "child_adolescent", "forensic"),
    }


@pytest.mark.parametrize(
    ("settings", "path", "reason"),
    [
        (None, "$", "missing required field `settings` (list the ward settings this questionnaire is for, from: general_adult"),
        ([], "settings", "must name at least one ward setting"),
        (["child_adolescent", "prison"], "$.settings[1]", "from: general_adult, child_adolescent, forensic"),
        (["child_adolescent", "child_adolescent"], "settings[1]", "names the setting 'child_adolescent' twice"),
    ],
)
def test_a_bad_settings_list_is_refused_with_file_path_and_reason(tmp_path: Path, settings: object, path: str, reason: str) -> None:
    folder = _copy(tmp_path, settings)
    for load in (lambda: load_instrument(folder, CATALOGUE), lambda: load_instrument_settings(folder.parent)):
        with pytest.raises(InstrumentError) as refused:
            load()
        assert refused.value.file == "patient_youth/instrument.yaml"
        assert refused.value.path == path and reason in refused.value.reason, str(refused.value)


def test_serving_another_setting_is_not_a_new_version(tmp_path: Path) -> None:
    wider = load_instrument(_copy(tmp_path, ["child_adolescent", "forensic"]), CATALOGUE)
    assert content_hash(wider) == content_hash(load_instrument(INSTRUMENTS_DIR / "patient_youth", CATALOGUE))
