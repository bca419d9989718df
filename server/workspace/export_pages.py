"""The export page: researchers download the anonymised zip; only admins may add free text."""

import tempfile
from pathlib import Path
from typing import get_args, get_type_hints

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.response import File, Template

from server.instrument_registry import RegistryDep
from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.export.bundle import MIN_K, ExportSettings, build_export
from server.workspace.export.period import PERIOD_UNITS
from server.workspace.forms import Form
from server.workspace.rendering import page
from server.workspace.roles import STAFF, Role, allow
from server.workspace.studies import list_studies


#: The languages the data files' labels can be in (the codebook always carries all of them).
EXPORT_LANGUAGES: tuple[str, ...] = get_args(get_type_hints(ExportSettings)["language"])


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()


class ExportPages(Controller):
    """Anonymised export as one zip download (built on disk, streamed, then deleted)."""

    path = "/export"
    include_in_schema = False
    opt = allow(STAFF)

    @get("/")
    async def form(self, request: Request) -> Template:
        """Choose study and anonymisation settings."""
        return page(request, "export.html", studies=await list_studies(None), min_k=MIN_K)

    @post("/", status_code=200)
    async def download(self, request: Request, data: Form, registry: RegistryDep) -> File | Template:
        """Build the zip and send it."""
        user = request.state.user
        free_text = data.get("include_free_text") == "on"
        if free_text and user["role"] != Role.ADMIN:
            return page(
                request, "export.html", status_code=403, studies=await list_studies(None), min_k=MIN_K,
                error="include_free_text: only an admin may export free text",
            )
        k_raw = str(data.get("k", str(MIN_K))).strip()
        period = str(data.get("period") or "quarter")
        study = data.get("study") or None
        language = str(data.get("language") or "da")
        try:
            if not k_raw.isdigit():
                raise ValueError(f"k: must be a whole number of at least {MIN_K}")
            if int(k_raw) < MIN_K:
                raise ValueError(f"k: must be at least {MIN_K} (got {int(k_raw)})")
            if period not in PERIOD_UNITS:
                raise ValueError(f"period: must be one of {', '.join(PERIOD_UNITS)}")
            if language not in EXPORT_LANGUAGES:
                raise ValueError(f"language: must be one of {', '.join(EXPORT_LANGUAGES)} (got {language[:20]!r})")
            settings = ExportSettings(study=study, k=int(k_raw), include_free_text=free_text, period=period, language=language)  # type: ignore[arg-type]
            out = Path(tempfile.mkdtemp(prefix="leastmeans-download-")) / "export.zip"
            manifest = await build_export(registry, settings, out)
        except ValueError as exc:
            return page(request, "export.html", status_code=400, studies=await list_studies(None), min_k=MIN_K, error=str(exc))
        await audit.record(
            user["username"], Action.EXPORT, f"study:{study or '*'}", respondents=manifest.respondents, rows=manifest.rows,
            k=settings.k, period=settings.period, language=settings.language, free_text=free_text, data_sha256=manifest.data_sha256,
        )
        return File(
            path=out,
            filename=f"leastmeans-{study or 'all'}-export.zip",
            media_type="application/zip",
            background=BackgroundTask(_remove, out),
        )
