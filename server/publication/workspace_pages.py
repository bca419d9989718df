"""Publications in the researcher workspace: list, publish, report, public switch, API tokens.

Mounted at /workspace/publications with the workspace's role guard and session
middleware (see `publication_router`); every handler declares its roles.
"""

from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from analysis.settings import GradationSettings
from server.publication.job import PublicationBusy, PublicationJob, current_job, start_publication
from server.publication.report import report_html, report_pdf
from server.security_headers import SELF_CONTAINED_DOCUMENT_CSP
from server.publication.store import PublicationError, list_publications, load_publication, set_public
from server.publication.tokens import issue_token, list_tokens, revoke_token
from server.workspace.forms import Form
from server.workspace.roles import ADMIN_ONLY, STAFF, Role, allow

READERS = frozenset({Role.ADMIN, Role.RESEARCHER, Role.AUTHORITY})
BASE = "/workspace/publications"
Number = Annotated[int, PathParameter(ge=1)]
#: Seconds between reloads of the list while a publication is computed (the CSP allows
#: no script, so the page asks the browser to reload it with a Refresh header).
REFRESH_S = 3


def _page(request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Template:
    user = request.state.get("user") if "user" in request.state else None
    return Template(
        template_name=f"publication/{name}",
        status_code=status_code,
        headers=headers,
        context={"user": user, "role": user["role"] if user else None, "Role": Role, **context},
    )


async def _listing(request: Request, status_code: int = 200, **context: Any) -> Template:
    """The publications page with the newest publication job's state; reloads while it runs."""
    job: PublicationJob | None = await current_job()
    if "tokens" not in context:
        context["tokens"] = await list_tokens() if request.state.user["role"] == Role.ADMIN else []
    running = job is not None and job.state == "running"
    return _page(
        request,
        "workspace_publications.html",
        status_code,
        headers={"Refresh": f"{REFRESH_S}; url={BASE}/"} if running else None,
        publications=await list_publications(),
        job=job,
        **context,
    )


async def _audit(request: Request, action: str, target: str, **detail: Any) -> None:
    from server.workspace import audit

    await audit.record(request.state.user["username"], action, target, **detail)


async def _publication(number: int):  # type: ignore[no-untyped-def]
    from litestar.exceptions import NotFoundException

    publication = await load_publication(number)
    if publication is None:
        raise NotFoundException(detail=f"No publication number {number}.")
    return publication


class PublicationPages(Controller):
    """What researchers, admins and the authority do with publications."""

    path = "/"

    @get("/", opt=allow(READERS))
    async def index(self, request: Request) -> Template:
        """Every publication, newest first, with its report and JSON, and the publication job's state."""
        return await _listing(request)

    @post("/", opt=allow(STAFF))
    async def publish(self, request: Request) -> Template | Redirect:
        """Start analysing the current data with the default method settings and publishing it.

        The analysis runs in a separate process (`server.publication.job`), so this returns
        at once to the list, which shows "Publishing…" until the job has ended; the job
        audits the publication. A second publish while one is computed is refused.
        """
        try:
            await start_publication(request.state.user["username"], GradationSettings())
        except PublicationBusy as exc:
            return await _listing(request, status_code=409, error=str(exc))
        return Redirect(f"{BASE}/", status_code=303)

    @get("/{number:int}/report", opt=allow(READERS))
    async def report(
        self,
        number: Number,
        lang: Annotated[str, QueryParameter(name="lang", pattern="^(da|en)$")] = "da",
        format: Annotated[str, QueryParameter(name="format", pattern="^(html|pdf)$")] = "html",
    ) -> Response[bytes]:
        """The report as HTML, or as PDF with ?format=pdf."""
        html = report_html(await _publication(number), lang)
        if format == "pdf":
            return Response(
                report_pdf(html),
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="leastmeans-publication-{number}-{lang}.pdf"'},
            )
        return Response(
            html.encode(),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": SELF_CONTAINED_DOCUMENT_CSP},
        )

    @get("/{number:int}/gradation.json", opt=allow(READERS))
    async def gradation(self, number: Number) -> Response[bytes]:
        """The publication's JSON, the same bytes as /api/v1/gradation/{number}."""
        return Response((await _publication(number)).gradation, media_type="application/json")

    @post("/{number:int}/public", opt=allow(ADMIN_ONLY))
    async def public(self, request: Request, number: Number, data: Form) -> Redirect:
        """Show the publication on /gradation without login (or stop showing it)."""
        make_public = data.get("public") == "1"
        try:
            await set_public(number, make_public)
        except PublicationError as exc:
            from litestar.exceptions import NotFoundException

            raise NotFoundException(detail=str(exc)) from None
        await _audit(request, "publication", f"publication:{number}", public=make_public)
        return Redirect(f"{BASE}/", status_code=303)

    @post("/tokens", opt=allow(ADMIN_ONLY))
    async def issue(self, request: Request, data: Form) -> Template:
        """Issue an API token; its secret is shown on this one page only."""
        label = data.get("label", "") if isinstance(data.get("label"), str) else ""
        try:
            issued = await issue_token(label, request.state.user["username"])
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


def publication_router() -> Router:
    """The /workspace/publications router, guarded and with sessions like the workspace."""
    from server.workspace.config import WorkspaceSettings
    from server.workspace.roles import role_guard

    return Router(
        path=BASE,
        route_handlers=[PublicationPages],
        guards=[role_guard],
        middleware=[WorkspaceSettings().session_config().middleware],
        include_in_schema=False,
    )
