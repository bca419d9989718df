"""Fieldwork progress: responses started and submitted per site, group and ISO week.

Counts only. Nothing here reads answers, so the dashboard can be shown to site
coordinators, who must never see what respondents said.
"""

import datetime as dt
from collections import defaultdict

import msgspec

from server.storage.tables import Response


class FieldworkRow(msgspec.Struct, frozen=True):
    """Counts for one site x respondent group x ISO week (week of starting)."""

    site: str
    group: str
    week: str
    started: int
    submitted: int

    @property
    def completion(self) -> float:
        """Submitted / started (0 when nothing started)."""
        return self.submitted / self.started if self.started else 0.0


class Fieldwork(msgspec.Struct, frozen=True):
    """The dashboard: detail rows and per-site totals."""

    rows: list[FieldworkRow]
    totals: list[FieldworkRow]
    started: int
    submitted: int

    @property
    def completion(self) -> float:
        return self.submitted / self.started if self.started else 0.0


def iso_week(moment: dt.datetime) -> str:
    """'2026-W05': the ISO year and week, the coarsest time the workspace ever shows."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def fieldwork(study_id: int, site_ids: list[int] | None = None) -> Fieldwork:
    """Count the study's responses; restrict to `site_ids` for a coordinator."""
    query = Response.select(
        Response.site.code.as_alias("site"), Response.respondent_group, Response.started_at, Response.submitted_at
    ).where(Response.study == study_id)
    if site_ids is not None:
        if not site_ids:
            return Fieldwork(rows=[], totals=[], started=0, submitted=0)
        query = query.where(Response.site.is_in(site_ids))
    cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    per_site: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in await query:
        key = (row["site"], row["respondent_group"], iso_week(row["started_at"]))
        done = int(row["submitted_at"] is not None)
        cells[key][0] += 1
        cells[key][1] += done
        per_site[row["site"]][0] += 1
        per_site[row["site"]][1] += done
    rows = [FieldworkRow(site=s, group=g, week=w, started=a, submitted=b) for (s, g, w), (a, b) in sorted(cells.items())]
    totals = [FieldworkRow(site=s, group="all", week="all", started=a, submitted=b) for s, (a, b) in sorted(per_site.items())]
    return Fieldwork(
        rows=rows, totals=totals, started=sum(t.started for t in totals), submitted=sum(t.submitted for t in totals)
    )
