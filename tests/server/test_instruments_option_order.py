"""Option lists only grow at the end between versions: the codebook numbers answers by
option position, so a moved or removed option would change what stored numbers mean."""

import shutil
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from piccolo.engine.base import Engine

from server.cli.database import run_with_database
from server.instrument_registry import InstrumentRegistry
from server.cli.instruments import check_instruments
from server.storage.tables import InstrumentVersion
from surveys.errors import InstrumentError
from surveys.loader import SURVEYS_DIR, load_instruments
from surveys.model import Instrument, Option
from surveys.versioning import option_order_changes
from tests.conftest import database_url

YOUTH = load_instruments()["patient_youth"]


def _with_options(instrument: Instrument, item_code: str, codes: list[str]) -> Instrument:
    """`instrument` with one item's options set to `codes` (labels of new codes made up)."""
    old = {o.code: o for o in instrument.item(item_code).options}
    options = [old.get(code) or Option(code=code, label={"da": code, "en": code}) for code in codes]
    items = [msgspec.structs.replace(i, options=options) if i.code == item_code else i for i in instrument.items]
    return msgspec.structs.replace(instrument, items=items)


DIFFICULTY = ["very_easy", "easy", "neither", "difficult", "very_difficult"]


def test_appending_is_fine_moving_or_removing_is_named_by_item_and_option() -> None:
    assert option_order_changes(YOUTH, YOUTH) == []
    assert option_order_changes(YOUTH, _with_options(YOUTH, "difficulty", [*DIFFICULTY, "no_idea"])) == []
    swapped = _with_options(YOUTH, "difficulty", ["easy", "very_easy", "neither", "difficult", "very_difficult"])
    assert option_order_changes(YOUTH, swapped) == [
        "item 'difficulty': option 'very_easy' moved from number 1 to 2",
        "item 'difficulty': option 'easy' moved from number 2 to 1",
    ]
    dropped = _with_options(YOUTH, "difficulty", ["very_easy", "easy", "difficult", "very_difficult"])
    assert option_order_changes(YOUTH, dropped) == [
        "item 'difficulty': option 'neither' (number 3) was removed",
        "item 'difficulty': option 'difficult' moved from number 4 to 3",
        "item 'difficulty': option 'very_difficult' moved from number 5 to 4",
    ]
    # Multiple-choice options become variables named by code, so their order is free.
    assert option_order_changes(YOUTH, _with_options(YOUTH, "background.admitted_in", ["forensic", "general_adult", "child_adolescent"])) == []
    # A removed item changes no other item's numbers.
    assert option_order_changes(YOUTH, msgspec.structs.replace(YOUTH, items=[i for i in YOUTH.items if i.code != "difficulty"])) == []


async def test_the_registry_refuses_a_new_version_that_reorders_stored_options(engine: Engine) -> None:
    registry = InstrumentRegistry()
    await registry.register_current({"patient_youth": YOUTH})
    swapped = _with_options(YOUTH, "background.age_band", ["15-17", "12-14"])
    with pytest.raises(InstrumentError) as caught:
        await InstrumentRegistry().register_current({"patient_youth": swapped})
    error = caught.value
    assert error.file == "patient_youth/instrument.yaml"
    assert "item 'background.age_band': option '12-14' moved from number 1 to 2" in error.reason
    assert await InstrumentVersion.count().where(InstrumentVersion.instrument == "patient_youth") == 1
    # Growing at the end is a new version like any other edit, and the stored one still registers.
    await InstrumentRegistry().register_current({"patient_youth": _with_options(YOUTH, "difficulty", [*DIFFICULTY, "no_idea"])})
    await InstrumentRegistry().register_current({"patient_youth": YOUTH})
    assert await InstrumentVersion.count().where(InstrumentVersion.instrument == "patient_youth") == 2


def test_check_instruments_compares_with_stored_versions(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url(engine))
    run_with_database(lambda: InstrumentRegistry().register_current({"patient_youth": YOUTH}))
    root = tmp_path / "surveys"
    shutil.copytree(SURVEYS_DIR / "catalogue", root / "catalogue")
    shutil.copytree(SURVEYS_DIR / "instruments", root / "instruments")
    structure = root / "instruments" / "patient_youth" / "instrument.yaml"
    structure.write_text(structure.read_text(encoding="utf-8").replace('age_band: ["12-14", "15-17"]', 'age_band: ["15-17", "12-14"]'), encoding="utf-8")
    unchecked = CliRunner().invoke(check_instruments, ["--surveys-dir", str(root)])
    assert unchecked.exit_code == 0, unchecked.output
    checked = CliRunner().invoke(check_instruments, ["--surveys-dir", str(root), "--stored"])
    assert checked.exit_code == 1
    assert "instruments/patient_youth/instrument.yaml: option_sets: item 'background.age_band': option '12-14' moved from number 1 to 2" in checked.output
    assert "ok  patient_adult" in checked.output
