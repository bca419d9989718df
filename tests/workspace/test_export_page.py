"""The workspace export form: the researcher chooses the language of the labels in the data files."""

import io
import zipfile
from pathlib import Path

import pyreadstat
import pytest

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.workspace.roles import Role
from tests.workspace.conftest import csrf_headers

#: The export form, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def registry(engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _group_labels(zip_bytes: bytes, tmp_path: Path) -> set[str]:
    (tmp_path / "data.sav").write_bytes(zipfile.ZipFile(io.BytesIO(zip_bytes)).read("data.sav"))
    _, meta = pyreadstat.read_sav(str(tmp_path / "data.sav"), metadataonly=True)
    return set(meta.variable_value_labels["group"].values())


async def test_the_form_offers_the_label_language_and_the_files_carry_it(registry: InstrumentRegistry, as_role, tmp_path: Path) -> None:
    await seed(registry, 6, seed=7, demographics=False, sites=("w",))
    researcher = await as_role(Role.RESEARCHER)
    form = await researcher.get("/workspace/export/")
    assert 'name="language"' in form.text and '<option value="da" selected>' in form.text
    danish = await researcher.post("/workspace/export/", data={"k": "5"}, headers=csrf_headers(researcher))
    english = await researcher.post("/workspace/export/", data={"k": "5", "language": "en"}, headers=csrf_headers(researcher))
    assert danish.status_code == english.status_code == 200
    # The default is Danish, as the users are; the same codes carry English words on request.
    assert "Patient" in _group_labels(english.content, tmp_path) and "Pårørende" not in _group_labels(english.content, tmp_path)
    assert "Pårørende" in _group_labels(danish.content, tmp_path)


async def test_an_unknown_label_language_is_refused_naming_the_field(registry: InstrumentRegistry, as_role) -> None:
    researcher = await as_role(Role.RESEARCHER)
    refused = await researcher.post("/workspace/export/", data={"k": "5", "language": "fr"}, headers=csrf_headers(researcher))
    assert refused.status_code == 400
    assert "language: must be one of da, en" in refused.text
