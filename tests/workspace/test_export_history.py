"""The export page lists past exports from the audit log: who, when, which study, with what k."""

import io
import json
import zipfile

import pytest

from bench.export_bench import STUDY, seed
from server.instrument_registry import InstrumentRegistry
from server.workspace.roles import Role
from tests.workspace.conftest import csrf_headers


@pytest.fixture
async def registry(engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


async def test_an_export_shows_in_the_history_with_the_k_used(registry: InstrumentRegistry, as_role) -> None:
    await seed(registry, 8, seed=3, demographics=False, sites=("w",))
    researcher = await as_role(Role.RESEARCHER)
    before = await researcher.get("/workspace/export/")
    assert "No exports yet" in before.text
    made = await researcher.post(
        "/workspace/export/", data={"k": "7", "study": STUDY, "period": "week", "language": "en"}, headers=csrf_headers(researcher)
    )
    assert made.status_code == 200, made.text
    data_sha256 = json.loads(zipfile.ZipFile(io.BytesIO(made.content)).read("manifest.json"))["data_sha256"]
    admin = await as_role(Role.ADMIN)
    for history in (await admin.get("/workspace/export/"), await admin.get(f"/workspace/export/?history={STUDY}")):
        assert history.status_code == 200
        row = history.text.split("<tbody>")[1].split("</tr>")[0]
        cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
        # who, study, k, period, language, free text, and the data hash the zip's manifest holds
        assert cells[1:6] == ["researcher-user", STUDY, "7", "week", "en"]
        assert cells[8] == "no" and data_sha256[:12] in cells[9]
    # Another study's history does not list it.
    other = await admin.get("/workspace/export/?history=elsewhere")
    assert "No exports yet of elsewhere" in other.text


async def test_the_newest_export_comes_first(registry: InstrumentRegistry, as_role) -> None:
    await seed(registry, 8, seed=3, demographics=False, sites=("w",))
    researcher = await as_role(Role.RESEARCHER)
    for k in ("5", "6"):
        made = await researcher.post("/workspace/export/", data={"k": k}, headers=csrf_headers(researcher))
        assert made.status_code == 200
    page = (await researcher.get("/workspace/export/")).text
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:2]
    assert ["<td>all studies</td><td>6</td>" in rows[0], "<td>all studies</td><td>5</td>" in rows[1]] == [True, True]
