"""The import page: an admin uploads an export zip and it is imported as on the command line.

Who: admins only. The command line has no role rule (whoever runs it has the server's
shell, which only operators have); on the workspace the nearest match is the admin. An
import writes whole studies past the studies page's own checks, and an admin export
carries free text, which only admins may handle (the export page's rule), so researchers
do not import.

What: the same `import_export` with the same `ImportLimits` as `leastmeans import`; the
upload may be as large as those limits let an export's files be in total. A refusal shows
the command line's message (file, row, column, reason) with status 400, and nothing is
stored (the import is one transaction). A success shows the `ImportReport` and is audited
with `Action.IMPORT` as the command line does, with the actor's name; the page lists the
past imports (from the page or the command line) from the audit log.

Where the work runs: the upload is written to disk off the event loop, and
`import_export` reads and checks the zip (the CPU work: seconds for a large export) in a
worker thread, so other requests are answered meanwhile; only the writing, in one
transaction on the app's own database connections, runs on the event loop. Imports are
rare and admin-only, and a lock lets one run at a time per process so they never pile up.
"""

import asyncio
import re
import shutil
import tempfile
from pathlib import Path

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.field_errors import FieldError
from server.workspace.forms import MultipartForm
from server.workspace.i18n import _, ngettext
from server.workspace.import_archive import ImportError_, ImportLimits
from server.workspace.importer import ImportReport, import_export
from server.workspace.rendering import page
from server.workspace.roles import ADMIN_ONLY, allow

#: The limits of the command line's import (its defaults).
LIMITS = ImportLimits()
#: The largest upload taken: an export's files may hold this much in total, and a zip is
#: never much larger than what it holds.
MAX_UPLOAD_BYTES = LIMITS.max_total_bytes
_FIELD = "file"
_CHUNK = 1024 * 1024
_one_at_a_time = asyncio.Lock()
#: How many past imports the page lists.
HISTORY_LENGTH = 20


def _file_name(uploaded: str) -> str:
    """The uploaded file's own name (no folders), so refusals name it as the command line
    names its path; characters outside a plain name become '_'."""
    name = re.sub(r"[^\w.\-]", "_", Path(uploaded.replace("\\", "/")).name)[:100].lstrip(".")
    return name or "upload.zip"


def _save(upload: UploadFile, target: Path) -> None:
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, _CHUNK)


def _checked(report: ImportReport) -> str:
    if report.verified_files is None:
        return _("no manifest.json in the zip: checksums not verified")
    return ngettext(
        "%(num)s file verified against manifest.json", "%(num)s files verified against manifest.json", report.verified_files
    ) % {"num": report.verified_files}


class ImportPages(Controller):
    """Upload an export zip and import it (all or nothing), as `leastmeans import` does."""

    path = "/import"
    include_in_schema = False
    opt = allow(ADMIN_ONLY)

    @get("/")
    async def form(self, request: Request) -> Template:
        """The upload form and the past imports."""
        return await self._page(request)

    @post("/", status_code=200, request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request, data: MultipartForm) -> Template:
        """Import the uploaded zip; the report, or the refusal naming file, row and column."""
        upload = data.get(_FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._refused(request, f"{_FIELD}: " + _("choose an export zip to import"))
        folder = Path(tempfile.mkdtemp(prefix="leastmeans-upload-"))
        path = folder / _file_name(upload.filename)
        try:
            await asyncio.to_thread(_save, upload, path)
            async with _one_at_a_time:
                report = await import_export(path, LIMITS)
        except ImportError_ as exc:
            # The reason is the command line's own text (file, row, column), so it reads the
            # same in the page, the documentation and a terminal; beside the field it comes
            # with a sentence in the page's language.
            return await self._refused(request, str(exc), _("Refused, nothing was stored: %(reason)s") % {"reason": str(exc)})
        finally:
            await upload.close()
            shutil.rmtree(folder, ignore_errors=True)
        await audit.record(
            request.state.user["username"], Action.IMPORT, f"study:{report.study}", via="workspace",
            respondents=report.respondents, answers=report.answers, rows=report.rows,
            verified_files=report.verified_files, file=path.name,
        )
        return await self._page(request, report=report, checked=_checked(report), file=path.name)

    async def _refused(self, request: Request, reason: str, beside: str | None = None) -> Template:
        # The upload is the form's one field: whatever is refused, it is what to change.
        invalid = FieldError("import", _FIELD, beside or reason)
        return await self._page(request, status_code=400, error=reason, invalid=invalid)

    async def _page(self, request: Request, status_code: int = 200, **context: object) -> Template:
        history = await audit.entries(limit=HISTORY_LENGTH, action=Action.IMPORT)
        return page(request, "import.html", status_code=status_code, max_upload_mib=MAX_UPLOAD_BYTES // 2**20, history=history, **context)
