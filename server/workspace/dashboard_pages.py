"""The fieldwork dashboard page, its CSV and the targets form.

Coordinators see only their own sites (as on the study page) and cannot set targets.
"""

import csv
import io

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.access import visible_study
from server.workspace.dashboard import CHANNELS, TargetError, fast_rule, count_text, dashboard, parse_target, set_target
from server.workspace.dashboard_chart import progress_bar, week_columns
from server.workspace.enrolment import GROUPS
from server.workspace.export.spreadsheet import neutralise_text
from server.workspace.field_errors import FieldError
from server.workspace.forms import Form, form_text
from server.workspace.group_names import group_name
from server.workspace.rendering import page
from server.workspace.roles import FIELDWORK, STAFF, allow
from server.workspace.studies import StudyOut

#: Column names of the CSV, in the page's table order.
CSV_COLUMNS = ("site", "group", "target", "completed", "of_target", "started", "completion", "breakoff", "median_minutes")
#: Column names of the weekly CSV (completed per ISO week, site and group).
WEEKLY_CSV_COLUMNS = ("week", "site", "group", "completed", "target")


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...], filename: str) -> Response:
    """Rows as shown on the page, as a CSV download (text a spreadsheet would run is neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for shown in rows:
        writer.writerow([neutralise_text(shown[name]) for name in columns])
    return Response(
        content=out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


class DashboardPages(Controller):
    """GET the dashboard and its CSV; researchers and admins set targets."""

    path = "/studies"
    include_in_schema = False

    async def _page(
        self, request: Request, study: StudyOut, status_code: int = 200, error: TargetError | None = None, typed: dict | None = None
    ) -> Template:
        board = await dashboard(study.id, study.sites)
        rows = [(cell.shown(), progress_bar(cell.of_target, f"{cell.site} {group_name(cell.group)}")) for cell in board.cells]
        return page(
            request,
            "dashboard.html",
            status_code=status_code,
            study=study,
            rows=rows,
            channels=board.channels,
            channel_names=CHANNELS,
            quality=board.quality,
            weeks=board.weeks,
            week_chart=week_columns(board.weeks),
            weekly=[cell.shown() for cell in board.weekly],
            count_text=count_text,
            fast_rule=fast_rule(),
            groups=GROUPS,
            group_name=group_name,
            error=None if error is None else f"{error.field}: {error}",
            invalid=None if error is None else FieldError("target", error.field, str(error)),
            typed=typed or {},
        )

    @get("/{study_id:int}/dashboard", opt=allow(FIELDWORK))
    async def show(self, request: Request, study_id: FromPath[int]) -> Template:
        """Progress against targets, rates, channels, weeks and quality flags."""
        return await self._page(request, await visible_study(request.state.user, study_id))

    @get("/{study_id:int}/dashboard.csv", opt=allow(FIELDWORK))
    async def table_csv(self, request: Request, study_id: FromPath[int]) -> Response:
        """The per site x group table as CSV, with the page's suppression."""
        study = await visible_study(request.state.user, study_id)
        board = await dashboard(study.id, study.sites)
        return _csv([cell.shown() for cell in board.cells], CSV_COLUMNS, f"fieldwork-study-{study_id}.csv")

    @get("/{study_id:int}/dashboard-weeks.csv", opt=allow(FIELDWORK))
    async def weeks_csv(self, request: Request, study_id: FromPath[int]) -> Response:
        """Completed per ISO week, site and group as CSV, with the page's suppression."""
        study = await visible_study(request.state.user, study_id)
        board = await dashboard(study.id, study.sites)
        return _csv([cell.shown() for cell in board.weekly], WEEKLY_CSV_COLUMNS, f"fieldwork-weeks-study-{study_id}.csv")

    @post("/{study_id:int}/dashboard/targets", opt=allow(STAFF))
    async def target(self, request: Request, study_id: FromPath[int], data: Form) -> Template | Redirect:
        """Set one site and group's target (0 to 100000)."""
        study = await visible_study(request.state.user, study_id)
        typed = {name: form_text(data, name) for name in ("site", "group", "target")}
        try:
            site_id, group, target = parse_target(typed["site"], typed["group"], typed["target"], [s.id for s in study.sites])
        except TargetError as exc:
            return await self._page(request, study, 400, exc, typed)
        await set_target(site_id, group, target)
        site_code = next(s.code for s in study.sites if s.id == site_id)
        await audit.record(request.state.user["username"], Action.FIELDWORK_TARGET_SET, f"site:{site_code}", group=group, completed_target=target)
        return Redirect(f"/workspace/studies/{study_id}/dashboard", status_code=303)
