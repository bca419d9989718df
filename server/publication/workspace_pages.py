"""Publications in the researcher workspace: drafts, the release gate, reports, API tokens.

Mounted at /workspace/publications with the workspace's role guard and session
middleware (see `publication_router`); every handler declares its roles.

- Admins and researchers compute a draft for chosen studies (in the background) and
  review drafts others computed; admins release reviewed publications and make released
  ones public (`server.publication.release`).
- The authority role sees released publications only: anything else answers 404, as if
  it did not exist.
"""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup

from analysis.settings import GradationSettings
from server.publication.figures import group_figure
from server.publication.job import PublicationBusy, PublicationJob, current_job, start_publication, start_rendering
from server.publication.release import identical_release, release, review, set_public
from server.publication.report_files import report_page, stored_report
from server.publication.store import PublicationError, StoredPublication, chosen_studies, list_publications, load_publication, study_choices
from server.publication.tokens import issue_token, list_tokens, revoke_token
from server.publication.wording import word
from server.security_headers import SELF_CONTAINED_DOCUMENT_CSP
from server.workspace.forms import Form, form_text
from server.workspace.i18n import N_, _, current_language
from server.workspace.roles import ADMIN_ONLY, STAFF, Role, allow

READERS = frozenset({Role.ADMIN, Role.RESEARCHER, Role.AUTHORITY})
BASE = "/workspace/publications"
Number = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
#: Seconds between reloads while a job runs (the CSP allows no script, so the page asks
#: the browser to reload it with a Refresh header).
REFRESH_S = 3
#: Each release step's name as pages show it (the stored status stays the English code).
_STATUS_NAMES: dict[str, str] = {"draft": N_("draft"), "reviewed": N_("reviewed"), "released": N_("released"), "public": N_("public")}


def status_name(status: str) -> str:
    """A publication status in the page's language (unknown codes as they are)."""
    return _(_STATUS_NAMES[status]) if status in _STATUS_NAMES else status


def _page(request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Template:
    user = request.state.get("user") if "user" in request.state else None
    return Template(
        template_name=f"publication/{name}",
        status_code=status_code,
        headers=headers,
        context={"user": user, "role": user["role"] if user else None, "Role": Role, "status_name": status_name, **context},
    )


def _is_authority(request: Request) -> bool:
    return request.state.user["role"] == Role.AUTHORITY


def _refresh(job: PublicationJob | None, url: str) -> dict[str, str] | None:
    return {"Refresh": f"{REFRESH_S}; url={url}"} if job is not None and job.state == "running" else None


async def _listing(request: Request, status_code: int = 200, **context: Any) -> Template:
    """The publications page with the newest job's state; reloads itself while a job runs."""
    job = await current_job()
    if "tokens" not in context:
        context["tokens"] = await list_tokens() if request.state.user["role"] == Role.ADMIN else []
    return _page(
        request,
        "workspace_publications.html",
        status_code,
        headers=_refresh(job, f"{BASE}/"),
        publications=await list_publications(released_only=_is_authority(request)),
        studies=await study_choices() if not _is_authority(request) else [],
        job=job,
        **context,
    )


async def _publication(request: Request, number: int) -> StoredPublication:
    """Publication `number` as this user may see it (the authority: released only)."""
    publication = await load_publication(number)
    if publication is None or (_is_authority(request) and not publication.info.released):
        raise NotFoundException(detail=_("No publication number %(number)s.") % {"number": number})
    return publication


async def _detail(request: Request, number: int, status_code: int = 200, **context: Any) -> Template:
    """One publication: its status and history, the next step, figures and report links."""
    publication = await _publication(request, number)
    job = await current_job()
    if job is not None and job.number != number and not (job.kind == "draft" and job.state == "running"):
        job = None  # another publication's job is told on its own page
    document = msgspec.json.decode(publication.gradation)
    language = current_language()
    figures = [
        {"title": f"{word(g['group'], language)} – {word(g['setting'], language)}", "svg": Markup(group_figure(document, g, language, simulated=publication.info.simulated))}
        for g in document["groups"]
    ]
    others = [p for p in await list_publications(released_only=_is_authority(request)) if p.number != number]
    return _page(
        request,
        "workspace_publication.html",
        status_code,
        headers=_refresh(job, f"{BASE}/{number}") if job is not None and job.number == number else None,
        publication=publication,
        info=publication.info,
        figures=figures,
        others=others,
        same_as=None if publication.info.released else await identical_release(publication.info),
        job=job,
        **context,
    )


class PublicationPages(Controller):
    """What researchers, admins and the authority do with publications."""

    path = "/"

    @get("/", opt=allow(READERS))
    async def index(self, request: Request) -> Template:
        """Every publication (the authority: every released one), newest first, and the job's state."""
        return await _listing(request)

    @post("/", opt=allow(STAFF))
    async def draft(self, request: Request, data: Form) -> Template | Redirect:
        """Start computing a draft of the chosen studies with the default method settings.

        The analysis runs in a separate process (`server.publication.job`), so this returns
        at once to the list, which shows the job's stage until it has ended; the job
        audits the draft. A second job while one runs is refused.
        """
        chosen = data.get("study", [])
        studies = [chosen] if isinstance(chosen, str) else [s for s in chosen if isinstance(s, str)]
        try:
            await chosen_studies(studies)
        except PublicationError as exc:
            return await _listing(request, status_code=400, error=str(exc))
        try:
            await start_publication(request.state.user["username"], GradationSettings(), studies)
        except PublicationBusy as exc:
            return await _listing(request, status_code=409, error=str(exc))
        return Redirect(f"{BASE}/", status_code=303)

    @get("/{number:int}", opt=allow(READERS))
    async def detail(self, request: Request, number: Number) -> Template:
        """A publication's status, history, figures and next step."""
        return await _detail(request, number)

    @post("/{number:int}/review", opt=allow(STAFF))
    async def review(self, request: Request, number: Number) -> Template | Redirect:
        """Mark a draft reviewed (by someone other than who computed it)."""
        try:
            await review(number, request.state.user["username"])
        except PublicationError as exc:
            return await _detail(request, number, status_code=409, error=str(exc))
        return Redirect(f"{BASE}/{number}", status_code=303)

    @post("/{number:int}/release", opt=allow(ADMIN_ONLY))
    async def release(self, request: Request, number: Number, data: Form) -> Template | Redirect:
        """Release a reviewed publication to the authority; its report PDFs are rendered again
        in the background (they no longer say draft)."""
        actor = request.state.user["username"]
        try:
            await release(number, actor, form_text(data, "reason"))
        except PublicationError as exc:
            return await _detail(request, number, status_code=409, error=str(exc), reason=form_text(data, "reason"))
        try:
            await start_rendering(actor, number)
        except PublicationBusy:
            pass  # the report page starts it when it is asked for and nothing else runs
        return Redirect(f"{BASE}/{number}", status_code=303)

    @post("/{number:int}/public", opt=allow(ADMIN_ONLY))
    async def public(self, request: Request, number: Number, data: Form) -> Template | Redirect:
        """Show a released publication on /gradation without login (or stop showing it)."""
        try:
            await set_public(number, form_text(data, "public") == "1", request.state.user["username"])
        except PublicationError as exc:
            return await _detail(request, number, status_code=409, error=str(exc))
        return Redirect(f"{BASE}/{number}", status_code=303)

    @get("/{number:int}/report", opt=allow(READERS))
    async def report(
        self,
        request: Request,
        number: Number,
        lang: Annotated[str, QueryParameter(name="lang", pattern="^(da|en)$")] = "da",
        format: Annotated[str, QueryParameter(name="format", pattern="^(html|pdf)$")] = "html",
    ) -> Response[bytes] | Template:
        """The report as HTML, or as the PDF the background job rendered (?format=pdf).

        A PDF not rendered yet (the job is still at it, or it failed) is started in the
        background and the page says so and reloads itself; it is never rendered here."""
        publication = await _publication(request, number)
        if format == "pdf":
            pdf = await stored_report(publication, lang)
            if pdf is not None:
                return Response(
                    pdf,
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="leastmeans-publication-{number}-{lang}.pdf"'},
                )
            job = await current_job()
            if job is None or job.state != "running":
                try:
                    job = await start_rendering(request.state.user["username"], number)
                except PublicationBusy:
                    job = await current_job()
            url = f"{BASE}/{number}/report?lang={lang}&format=pdf"
            return _page(request, "workspace_report_pending.html", 202, headers={"Refresh": f"{REFRESH_S}; url={url}"}, number=number, job=job, url=url)
        return Response(
            (await report_page(publication, lang)).encode(),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": SELF_CONTAINED_DOCUMENT_CSP},
        )

    @get("/{number:int}/compare", opt=allow(READERS))
    async def compare(self, number: Number, other: Annotated[int, QueryParameter(name="with", ge=1, le=2**31 - 1)]) -> Redirect:
        """The diff page of this publication and another, older first."""
        return Redirect(f"{BASE}/{min(number, other)}/diff/{max(number, other)}", status_code=303)

    @get("/{number:int}/gradation.json", opt=allow(READERS))
    async def gradation(self, request: Request, number: Number) -> Response[bytes]:
        """The document the authority API serves (for a draft: the preview that says so)."""
        return Response((await _publication(request, number)).served, media_type="application/json")

    @post("/tokens", opt=allow(ADMIN_ONLY))
    async def issue(self, request: Request, data: Form) -> Template:
        """Issue an API token; its secret is shown on this one page only."""
        try:
            issued = await issue_token(form_text(data, "label"), request.state.user["username"])
        except ValueError as exc:
            return await _listing(request, status_code=400, error=str(exc))
        await _audit(request, "api_token_issued", f"token:{issued.id}", label=issued.label)
        return await _listing(request, issued=issued)

    @post("/tokens/{token_id:int}/revoke", opt=allow(ADMIN_ONLY))
    async def revoke(self, request: Request, token_id: Annotated[int, PathParameter()]) -> Redirect:
        """Revoke a token at once."""
        if await revoke_token(token_id):
            await _audit(request, "api_token_revoked", f"token:{token_id}")
        return Redirect(f"{BASE}/", status_code=303)


async def _audit(request: Request, action: str, target: str, **detail: Any) -> None:
    from server.workspace import audit

    await audit.record(request.state.user["username"], action, target, **detail)


def publication_router() -> Router:
    """The /workspace/publications router, guarded and with sessions like the workspace."""
    from server.publication.diff_pages import DiffPages
    from server.workspace.config import WorkspaceSettings
    from server.workspace.i18n_requests import locale_middleware
    from server.workspace.roles import role_guard

    return Router(
        path=BASE,
        route_handlers=[PublicationPages, DiffPages],
        guards=[role_guard],
        middleware=[WorkspaceSettings().session_config().middleware, locale_middleware],
        include_in_schema=False,
    )
