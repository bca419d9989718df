"""Import from the workspace: an admin uploads an export zip; it is imported with the command
line's checks and limits, the report is shown and the import audited; a tampered zip is refused
naming the file, and nothing is stored; other roles, and posts without the CSRF token, are refused."""

import contextvars
import csv
import io
import os
import zipfile
from pathlib import Path

import httpx
import pytest
from piccolo.engine.base import Engine

from bench.export_bench import STUDY, seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, InstrumentVersion, Response, Site, Study
from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.config import CSRF_COOKIE
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.import_archive import ImportError_
from server.workspace.importer import read_and_check
from server.workspace.roles import Role


@pytest.fixture
async def export_zip(engine: Engine, tmp_path: Path) -> Path:
    """An export of 12 respondents made in another database, so the test's own database is
    the fresh one it is imported into."""
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'source.sqlite3'}"))
    try:
        await migrate()
        registry = InstrumentRegistry()
        await registry.register_current()
        await seed(registry, 12, seed=41, demographics=False, sites=("w",))
        out = tmp_path / "export.zip"
        await build_export(registry, ExportSettings(formats=("csv", "parquet")), out)
    finally:
        use_database(engine)
    return out


def _flip_one_byte_of_data_csv(source: Path, target: Path) -> Path:
    """The zip with one character of data.csv changed, same size: only the checksum tells."""
    with zipfile.ZipFile(source) as original:
        members = {name: original.read(name) for name in original.namelist()}
    data = members["data.csv"]
    line = data.index(b"\n") + 1
    members["data.csv"] = data[:line] + (b"S" if data[line : line + 1] != b"S" else b"T") + data[line + 1 :]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, content in members.items():
            out.writestr(name, content)
    return target


async def _upload(client: httpx.AsyncClient, path: Path, token: str | None = "cookie") -> httpx.Response:
    """Post the zip as the browser's form does: the CSRF token as a form field."""
    await client.get("/workspace/import/")
    fields = {} if token is None else {"_csrf_token": client.cookies.get(CSRF_COOKIE) if token == "cookie" else token}
    return await client.post("/workspace/import/", data=fields, files={"file": (path.name, path.read_bytes(), "application/zip")})


async def _stored() -> dict[str, int]:
    return {table.__name__: await table.count() for table in (Study, Site, Response, Answer, InstrumentVersion)}


async def test_an_admin_imports_an_export_and_sees_the_report_and_the_audit_entry(export_zip: Path, as_role) -> None:
    admin = await as_role(Role.ADMIN)
    form = await admin.get("/workspace/import/")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text and 'name="_csrf_token"' in form.text
    assert "No imports yet." in form.text
    imported = await _upload(admin, export_zip)
    assert imported.status_code == 200, imported.text
    assert "Imported export.zip" in imported.text
    assert f"<dt>Study</dt><dd>{STUDY}</dd>" in imported.text and "<dt>Respondents</dt><dd>12</dd>" in imported.text
    assert "files verified against manifest.json" in imported.text
    assert await Response.count().where(Response.study.code == STUDY) == 12
    [entry] = await audit.entries(action=Action.IMPORT)
    assert (entry.actor, entry.target) == ("admin-user", f"study:{STUDY}")
    assert entry.detail["respondents"] == 12 and entry.detail["via"] == "workspace" and entry.detail["file"] == "export.zip"
    listed = (await admin.get("/workspace/import/")).text
    assert f"<td>admin-user</td><td>{STUDY}</td><td>12</td><td>export.zip</td>" in listed
    # The same export again: the study is there now, so it is refused and nothing more stored.
    before = await _stored()
    again = await _upload(admin, export_zip)
    assert again.status_code == 400 and f"study &#39;{STUDY}&#39; already exists" in again.text
    assert await _stored() == before


async def test_a_tampered_export_is_refused_naming_the_file_and_nothing_is_stored(export_zip: Path, as_role, tmp_path: Path) -> None:
    tampered = _flip_one_byte_of_data_csv(export_zip, tmp_path / "tampered.zip")
    admin = await as_role(Role.ADMIN)
    before = await _stored()
    refused = await _upload(admin, tampered)
    assert refused.status_code == 400
    # The command line's message: the file inside the zip and what is wrong with it.
    assert 'role="alert">data.csv: its sha256' in refused.text
    # The upload field is marked, with the refusal beside it.
    file_input = refused.text.split('<input id="file"')[1].split(">")[0]
    assert 'aria-invalid="true" aria-describedby="import-file-error"' in file_input
    assert refused.text.split('id="import-file-error"')[1].split("</p>")[0].startswith(' class="field-error">Refused, nothing was stored: data.csv')
    assert await _stored() == before
    assert await audit.entries(action=Action.IMPORT) == []
    not_a_zip = await _upload(admin, _write(tmp_path / "notes.zip", b"not a zip"))
    assert not_a_zip.status_code == 400 and "notes.zip: not a readable export" in not_a_zip.text
    # A browser sends an empty part when no file was chosen.
    token = admin.cookies.get(CSRF_COOKIE)
    none_chosen = await admin.post("/workspace/import/", data={"_csrf_token": token}, files={"file": ("", b"", "application/octet-stream")})
    assert none_chosen.status_code == 400 and "file: choose an export zip to import" in none_chosen.text


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


async def test_only_admins_may_import(export_zip: Path, as_role) -> None:
    for role in (Role.COORDINATOR, Role.AUTHORITY, Role.RESEARCHER):
        other = await as_role(role)
        assert (await other.get("/workspace/import/")).status_code == 403, role
        assert (await _upload(other, export_zip)).status_code == 403, role
    assert await Study.count() == 0


async def test_an_upload_without_the_csrf_token_is_refused(export_zip: Path, as_role) -> None:
    admin = await as_role(Role.ADMIN)
    assert (await _upload(admin, export_zip, token=None)).status_code == 403
    assert (await _upload(admin, export_zip, token="forged")).status_code == 403
    assert await Study.count() == 0


def _handmade(source: Path, target: Path, column: str, value: str) -> tuple[Path, int]:
    """A zip of data.csv and the questionnaires only (no manifest), the first rating row
    holding `value` in `column`; returns the zip and that row's line in data.csv."""
    with zipfile.ZipFile(source) as original:
        instruments = {n: original.read(n) for n in original.namelist() if n.startswith("instruments/")}
        rows = list(csv.reader(io.StringIO(original.read("data.csv").decode())))
    header = rows[0]
    line = next(n for n, row in enumerate(rows[1:], start=2) if row[header.index("kind")] == "rating")
    rows[line - 1][header.index(column)] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("data.csv", text.getvalue())
        for name, content in instruments.items():
            out.writestr(name, content)
    return target, line


async def test_a_wrong_row_is_named_as_on_the_command_line(export_zip: Path, as_role, tmp_path: Path) -> None:
    wrong, line = _handmade(export_zip, tmp_path / "edited.zip", "item", "no_such_item")
    admin = await as_role(Role.ADMIN)
    refused = await _upload(admin, wrong)
    assert refused.status_code == 400
    assert f"row {line}: item &#39;no_such_item&#39; is not in questionnaire version" in refused.text
    assert await Study.count() == 0 and await Response.count() == 0


async def test_an_upload_larger_than_other_forms_take_reaches_the_import(as_role, tmp_path: Path) -> None:
    # Other bodies stop at the app's 1 MiB; an export of a real study is larger, and the
    # CSRF check reads the token from this form before the handler does.
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as out:
        out.writestr("data.csv", os.urandom(3 * 1024 * 1024))
    admin = await as_role(Role.ADMIN)
    answered = await _upload(admin, big)
    assert answered.status_code == 400, answered.text[:300]
    # The importer read it (and named the uploaded file): the size did not stop it first.
    assert 'role="alert">big.zip: not a readable export' in answered.text


@pytest.mark.sqlite_only
async def test_a_danish_page_gives_the_reason_in_danish_and_the_command_line_in_english(
    export_zip: Path, as_role, tmp_path: Path
) -> None:
    wrong, line = _handmade(export_zip, tmp_path / "edited.zip", "value", "250")
    admin = await as_role(Role.ADMIN)
    admin.headers["Accept-Language"] = "da"
    refused = await _upload(admin, wrong)
    assert refused.status_code == 400
    assert f"kolonne &#39;value&#39;: vurderinger skal ligge på 0-100 (række {line})" in refused.text
    assert "ratings must lie" not in refused.text
    assert await Study.count() == 0 and await Response.count() == 0
    # The same zip on the command line: no request sets a language (a fresh context, as in a
    # new process; the test's own context still holds the page's), so the reason is English.
    with pytest.raises(ImportError_, match=rf"column 'value': ratings must lie on 0-100 \(rows {line}\)"):
        contextvars.Context().run(read_and_check, wrong)
