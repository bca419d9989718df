"""The export page: researchers download the anonymised zip; only admins may add free text.

Below the form, the history of past exports (newest first) is read from the audit log:
every export, from this page or the command line, is recorded there with its settings,
so the log is the record and no second table can disagree with it.
"""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, get_args, get_type_hints

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.background_tasks import BackgroundTask
from litestar.response import File, Template

from server.instrument_registry import RegistryDep
from server.storage.workspace_tables import AuditEntry
from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.export.bundle import MIN_K, ExportSettings, build_export
from server.workspace.export.period import PERIOD_UNITS
from server.workspace.forms import Form
from server.workspace.i18n import N_, _
from server.workspace.rendering import page
from server.workspace.roles import STAFF, Role, allow
from server.workspace.studies import list_studies


#: The languages the data files' labels can be in (the codebook always carries all of them).
EXPORT_LANGUAGES: tuple[str, ...] = get_args(get_type_hints(ExportSettings)["language"])


#: How the page names each time unit (the stored value stays the code).
_PERIOD_NAMES: dict[str, str] = {"quarter": N_("quarter"), "week": N_("week")}


def period_name(period: str) -> str:
    """A time unit's name in the page's language (unknown codes as they are)."""
    return _(_PERIOD_NAMES[period]) if period in _PERIOD_NAMES else period


#: How many past exports the page lists.
HISTORY_LENGTH = 50


class ExportRecord(msgspec.Struct, frozen=True):
    """One past export as the history shows it (None where the entry does not say,
    e.g. period and language of command-line exports made before they were recorded)."""

    at: dt.datetime
    actor: str
    study: str  # "*": every study
    k: int | None
    period: str | None
    language: str | None
    respondents: int | None
    rows: int | None
    free_text: bool
    data_sha256: str | None
    via: str


def _utc(at: dt.datetime) -> dt.datetime:
    # SQLite may give the stored time back without its zone; it was written in UTC.
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _record(row: dict[str, Any]) -> ExportRecord:
    raw = row["detail"]
    detail = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else (raw or {})
    study = row["target"].removeprefix("study:")
    return ExportRecord(
        at=_utc(row["at"]),
        actor=row["actor"],
        study=study,
        k=detail.get("k"),
        period=detail.get("period"),
        language=detail.get("language"),
        respondents=detail.get("respondents"),
        rows=detail.get("rows"),
        free_text=bool(detail.get("free_text")),
        data_sha256=detail.get("data_sha256"),
        via=detail.get("via") or "workspace",
    )


async def export_history(study: str | None = None, limit: int = HISTORY_LENGTH) -> list[ExportRecord]:
    """Past exports from the audit log, newest first; of one study (exports of all
    studies included, as they hold it too) or, with `study` None, of every study."""
    query = AuditEntry.select().where(AuditEntry.action == Action.EXPORT)
    if study:
        query = query.where(AuditEntry.target.is_in([f"study:{study}", "study:*"]))
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(limit)
    return [_record(row) for row in rows]


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()


class ExportPages(Controller):
    """Anonymised export as one zip download (built on disk, streamed, then deleted)."""

    path = "/export"
    include_in_schema = False
    opt = allow(STAFF)

    @get("/")
    async def form(self, request: Request, history: FromQuery[str | None] = None) -> Template:
        """Choose study and anonymisation settings; below, the past exports (`?history=CODE` for one study's)."""
        chosen = (history or "").strip()[:64] or None
        return page(
            request, "export.html", studies=await list_studies(None), min_k=MIN_K,
            history=await export_history(chosen), history_study=chosen, period_name=period_name,
        )

    @post("/", status_code=200)
    async def download(self, request: Request, data: Form, registry: RegistryDep) -> File | Template:
        """Build the zip and send it."""
        user = request.state.user
        free_text = data.get("include_free_text") == "on"
        if free_text and user["role"] != Role.ADMIN:
            return page(
                request, "export.html", status_code=403, studies=await list_studies(None), min_k=MIN_K,
                history=await export_history(), period_name=period_name,
                error=_("include_free_text: only an admin may export free text"),
            )
        k_raw = str(data.get("k", str(MIN_K))).strip()
        period = str(data.get("period") or "quarter")
        study = data.get("study") or None
        language = str(data.get("language") or "da")
        try:
            if not k_raw.isdigit():
                raise ValueError(_("k: must be a whole number of at least %(min_k)s") % {"min_k": MIN_K})
            if int(k_raw) < MIN_K:
                raise ValueError(_("k: must be at least %(min_k)s (got %(k)s)") % {"min_k": MIN_K, "k": int(k_raw)})
            if period not in PERIOD_UNITS:
                raise ValueError(_("period: must be one of %(choices)s") % {"choices": ", ".join(PERIOD_UNITS)})
            if language not in EXPORT_LANGUAGES:
                raise ValueError(
                    _("language: must be one of %(choices)s (got %(got)s)") % {"choices": ", ".join(EXPORT_LANGUAGES), "got": repr(language[:20])}
                )
            settings = ExportSettings(study=study, k=int(k_raw), include_free_text=free_text, period=period, language=language)  # type: ignore[arg-type]
            out = Path(tempfile.mkdtemp(prefix="leastmeans-download-")) / "export.zip"
            manifest = await build_export(registry, settings, out)
        except ValueError as exc:
            return page(
                request, "export.html", status_code=400, studies=await list_studies(None), min_k=MIN_K,
                history=await export_history(), period_name=period_name, error=str(exc),
            )
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
