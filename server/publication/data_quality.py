"""Data quality aggregates for the report: response counts per site and ISO week,
completion, item non-response, straight-lining, implausibly fast responses, and responses
of a tablet or invitation that completed questionnaires faster than people can (bursts).

Two sources: the analysed tidy frame (non-response, straight-lining, respondents per
site) and the database's timestamps (weeks, completion, speed). Individual timestamps
never leave this module: only counts per site and week do, and counts under the minimum
cell size are replaced by None (shown as "<5").
"""

import datetime as dt
from collections import Counter

import msgspec
import pandas as pd

from server.credentials.bursts import BURST_RULE, burst_responses
from server.publication.counts import shown_count
# The export's per-respondent flags and the codebook use the same thresholds.
from surveys.quality_flags import FAST_SECONDS_PER_ANSWER, STRAIGHT_LINE_MIN_RATINGS


class SiteQuality(msgspec.Struct, frozen=True):
    """One site: respondents analysed, questionnaires started and submitted."""

    site: str
    respondents: int | None
    started: int | None = None
    submitted: int | None = None
    #: submitted / started, only when both counts may be shown.
    completion: float | None = None


class WeekCount(msgspec.Struct, frozen=True):
    """Submitted questionnaires of one site in one ISO week (e.g. 2026-W48)."""

    week: str
    site: str
    submitted: int | None


class ItemNonResponse(msgspec.Struct, frozen=True):
    """Rating answers of one measure that carry no number."""

    measure: str
    answers: int
    dont_know: int | None
    prefer_not_to_answer: int | None
    share_without_number: float


class Timing(msgspec.Struct, frozen=True):
    """Aggregates read from the database's timestamps."""

    started_per_site: dict[str, int]
    submitted_per_site: dict[str, int]
    submitted_per_site_week: dict[str, dict[str, int]]
    fast: int
    #: Submitted responses of a credential that completed faster than people can
    #: (`server.credentials.bursts`); a publication leaves them out.
    burst: int = 0


class DataQuality(msgspec.Struct, frozen=True):
    """Everything the report's data-quality section prints."""

    min_cell: int
    respondents: int
    sites: list[SiteQuality]
    weeks: list[WeekCount]
    items: list[ItemNonResponse]
    straight_lining: int | None
    straight_lining_rule: str
    fast: int | None
    fast_rule: str
    timing_available: bool
    burst: int | None = None
    burst_rule: str = BURST_RULE


def straight_liners(tidy: pd.DataFrame) -> int:
    """Respondents with at least STRAIGHT_LINE_MIN_RATINGS numeric ratings, all equal."""
    ratings = tidy[(tidy["kind"] == "rating") & tidy["value"].notna()]
    per = ratings.groupby("respondent", observed=True)["value"].agg(["count", "nunique"])
    return int(((per["count"] >= STRAIGHT_LINE_MIN_RATINGS) & (per["nunique"] == 1)).sum())


def item_nonresponse(tidy: pd.DataFrame, min_cell: int) -> list[ItemNonResponse]:
    """Per measure: rating answers, "don't know" and "prefer not to answer" counts."""
    ratings = tidy[tidy["kind"] == "rating"]
    out = []
    for measure, rows in ratings.groupby("measure", observed=True, sort=True):
        missing = rows["missing"].astype("string").fillna("")
        dont_know = int((missing == "dont_know").sum())
        prefer_not = int((missing == "prefer_not_to_answer").sum())
        without = int(rows["value"].isna().sum())
        out.append(
            ItemNonResponse(
                measure=str(measure),
                answers=len(rows),
                dont_know=shown_count(dont_know, min_cell),
                prefer_not_to_answer=shown_count(prefer_not, min_cell),
                share_without_number=without / len(rows) if len(rows) else 0.0,
            )
        )
    return out


def iso_week(moment: dt.datetime) -> str:
    """'YYYY-Www' of a timestamp: the report's finest time resolution."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def database_timing(studies: list[str] | None = None) -> Timing:
    """Counts from `response` and `answer` timestamps (of the studies with these codes, or
    all); nothing per person is returned."""
    from server.storage.tables import Answer, Response

    response_query = Response.select(Response.id, Response.site.code.as_alias("site"), Response.started_at, Response.submitted_at)
    answer_query = Answer.select(Answer.response).where(Answer.response.submitted_at.is_not_null())
    if studies is not None:
        response_query = response_query.where(Response.study.code.is_in(studies or [""]))
        answer_query = answer_query.where(Answer.response.study.code.is_in(studies or [""]))
    responses = await response_query
    answer_counts = Counter(str(row["response"]) for row in await answer_query)
    started: Counter[str] = Counter()
    submitted: Counter[str] = Counter()
    weeks: dict[str, Counter[str]] = {}
    fast = 0
    for row in responses:
        started[row["site"]] += 1
        if row["submitted_at"] is None:
            continue
        submitted[row["site"]] += 1
        weeks.setdefault(row["site"], Counter())[iso_week(row["submitted_at"])] += 1
        seconds = (row["submitted_at"] - row["started_at"]).total_seconds()
        answers = answer_counts[str(row["id"])]
        if answers and seconds < FAST_SECONDS_PER_ANSWER * answers:
            fast += 1
    return Timing(
        started_per_site=dict(started),
        submitted_per_site=dict(submitted),
        submitted_per_site_week={site: dict(c) for site, c in weeks.items()},
        fast=fast,
        burst=len(await burst_responses()),
    )


def data_quality(tidy: pd.DataFrame, timing: Timing | None, min_cell: int) -> DataQuality:
    """Combine frame and database aggregates, with small counts suppressed."""
    per_site = tidy.groupby("site", observed=True)["respondent"].nunique()
    site_names = sorted(set(per_site.index) | set(timing.started_per_site if timing else ()))
    sites = []
    for site in site_names:
        started = timing.started_per_site.get(site, 0) if timing else None
        submitted = timing.submitted_per_site.get(site, 0) if timing else None
        shown_started = shown_count(started, min_cell) if started is not None else None
        shown_submitted = shown_count(submitted, min_cell) if submitted is not None else None
        completion = submitted / started if started and shown_started is not None and shown_submitted is not None else None
        sites.append(
            SiteQuality(
                site=str(site),
                respondents=shown_count(int(per_site.get(site, 0)), min_cell),
                started=shown_started,
                submitted=shown_submitted,
                completion=completion,
            )
        )
    weeks = [
        WeekCount(week=week, site=site, submitted=shown_count(count, min_cell))
        for site, per_week in sorted((timing.submitted_per_site_week if timing else {}).items())
        for week, count in sorted(per_week.items())
    ]
    return DataQuality(
        min_cell=min_cell,
        respondents=int(tidy["respondent"].nunique()),
        sites=sites,
        weeks=weeks,
        items=item_nonresponse(tidy, min_cell),
        straight_lining=shown_count(straight_liners(tidy), min_cell),
        straight_lining_rule=f"{STRAIGHT_LINE_MIN_RATINGS} or more numeric ratings, all identical",
        fast=shown_count(timing.fast, min_cell) if timing else None,
        fast_rule=f"under {FAST_SECONDS_PER_ANSWER:g} seconds per saved answer from start to submission",
        timing_available=timing is not None,
        burst=shown_count(timing.burst, min_cell) if timing else None,
    )
