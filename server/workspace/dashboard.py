"""The fieldwork dashboard of one study: completed questionnaires against targets per site
and respondent group, started/completed per channel, completed per ISO week, and the
report's "implausibly fast" flag per site.

Counts and timestamps only: nothing here reads answer values, so coordinators may see it.
Every count from 1 to 4 is shown as "< 5" (zero stays visible, as in the report), and a
rate or median is shown only when the counts it is made from are all shown.
"""

import statistics
from collections import Counter, defaultdict

import msgspec

from server.publication.counts import shown_count
from server.storage.credential_tables import ResponseStart
from server.storage.tables import Answer, Response
from server.storage.workspace_tables import FieldworkTarget
from server.workspace.enrolment import GROUPS
from server.workspace.fieldwork import iso_week
from server.workspace.studies import SiteOut
from surveys.quality_flags import FAST_SECONDS_PER_ANSWER
from server.workspace.i18n import N_, _

#: The smallest count shown as a number (1 to MIN_CELL - 1 are shown as "< 5").
MIN_CELL = 5
MAX_TARGET = 100_000
CHANNELS = ("tablet", "invitation", "other")
FAST_RULE = N_("under %(seconds)s seconds per saved answer from start to submission (the report's rule)")


def fast_rule() -> str:
    """The report's fast rule in words, in the page's language."""
    return _(FAST_RULE) % {"seconds": f"{FAST_SECONDS_PER_ANSWER:g}"}


class TargetError(ValueError):
    """A refused target; `field` names the form field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def count_text(count: int) -> str:
    """A count as shown: '< 5' for 1 to 4."""
    shown = shown_count(count, MIN_CELL)
    return f"< {MIN_CELL}" if shown is None else str(shown)


def _rate(part: int, whole: int, rest: int) -> float | None:
    # Shown only when every count it could reveal is shown: the whole, the part and the rest.
    if whole < MIN_CELL or shown_count(part, MIN_CELL) is None or shown_count(rest, MIN_CELL) is None:
        return None
    return part / whole


class Cell(msgspec.Struct, frozen=True):
    """One site x respondent group: raw counts (never rendered unformatted)."""

    site: str
    group: str
    target: int | None
    started: int
    completed: int
    minutes: list[float]

    @property
    def of_target(self) -> float | None:
        """Completed / target, when both may be shown."""
        if not self.target or shown_count(self.completed, MIN_CELL) is None:
            return None
        return self.completed / self.target

    @property
    def completion(self) -> float | None:
        return _rate(self.completed, self.started, self.started - self.completed)

    @property
    def breakoff(self) -> float | None:
        return _rate(self.started - self.completed, self.started, self.completed)

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.minutes) if len(self.minutes) >= MIN_CELL else None

    def shown(self) -> dict[str, str]:
        """The row as the page and the CSV show it."""

        def pct(value: float | None) -> str:
            return "" if value is None else f"{value * 100:.0f}%"

        median = self.median_minutes
        return {
            "site": self.site,
            "group": self.group,
            "target": "" if self.target is None else str(self.target),
            "completed": count_text(self.completed),
            "of_target": pct(self.of_target),
            "started": count_text(self.started),
            "completion": pct(self.completion),
            "breakoff": pct(self.breakoff),
            "median_minutes": "" if median is None else f"{median:.1f}",
        }


class Channel(msgspec.Struct, frozen=True):
    site: str
    channel: str
    started: int
    completed: int


class Quality(msgspec.Struct, frozen=True):
    site: str
    completed: int
    fast: int


class WeekCell(msgspec.Struct, frozen=True):
    """Completed questionnaires of one site and respondent group in one ISO week of
    submission, with the site and group's target for the whole fieldwork."""

    week: str
    site: str
    group: str
    completed: int
    target: int | None

    def shown(self) -> dict[str, str]:
        """The row as the page and the CSV show it ('< 5' for 1 to 4)."""
        return {
            "week": self.week,
            "site": self.site,
            "group": self.group,
            "completed": count_text(self.completed),
            "target": "" if self.target is None else str(self.target),
        }


class Dashboard(msgspec.Struct, frozen=True):
    cells: list[Cell]
    channels: list[Channel]
    weeks: list[tuple[str, int]]
    quality: list[Quality]
    #: Completed per ISO week, site and group (weeks in order, then site and group).
    weekly: list[WeekCell] = []


def channel_of(credential: str | None) -> str:
    """'tablet', 'invitation' or 'other' (single-use invitations and demo starts store no credential)."""
    if credential and credential.startswith("kiosk:"):
        return "tablet"
    if credential and credential.startswith("invitation:"):
        return "invitation"
    return "other"


async def targets(site_ids: list[int]) -> dict[tuple[int, str], int]:
    """(site id, group) -> target."""
    if not site_ids:
        return {}
    rows = await FieldworkTarget.select().where(FieldworkTarget.site.is_in(site_ids))
    return {(row["site"], row["group"]): row["target"] for row in rows}


def parse_target(site_text: str, group: str, target_text: str, site_ids: list[int]) -> tuple[int, str, int]:
    """Check the target form; a TargetError names the field."""
    try:
        site_id = int(site_text)
    except ValueError:
        raise TargetError("site", _("choose a site of this study")) from None
    if site_id not in site_ids:
        raise TargetError("site", _("choose a site of this study"))
    if group not in GROUPS:
        raise TargetError("group", _("the respondent group must be one of %(groups)s") % {"groups": ", ".join(GROUPS)})
    try:
        target = int(target_text.strip())
    except ValueError:
        raise TargetError("target", _("the target must be a whole number from 0 to %(most)s") % {"most": MAX_TARGET}) from None
    if not 0 <= target <= MAX_TARGET:
        raise TargetError("target", _("the target must be a whole number from 0 to %(most)s") % {"most": MAX_TARGET})
    return site_id, group, target


async def set_target(site_id: int, group: str, target: int) -> None:
    """Set the target of one site and group, replacing an earlier one (one upsert on the
    unique (site, group) key, so two people saving at once leave one row)."""
    await FieldworkTarget.insert(FieldworkTarget(site=site_id, group=group, target=target)).on_conflict(
        target=(FieldworkTarget.site, FieldworkTarget.group), action="DO UPDATE", values=[FieldworkTarget.target]
    ).run()


async def dashboard(study_id: int, sites: list[SiteOut]) -> Dashboard:
    """The dashboard over `sites` (already restricted to what the user may see)."""
    site_ids = [s.id for s in sites]
    code = {s.id: s.code for s in sites}
    if not site_ids:
        return Dashboard(cells=[], channels=[], weeks=[], quality=[])
    responses = await Response.select(
        Response.id, Response.site, Response.respondent_group, Response.started_at, Response.submitted_at
    ).where((Response.study == study_id) & Response.site.is_in(site_ids))
    credentials = {
        str(row["response"]): row["credential"]
        for row in await ResponseStart.select(ResponseStart.response, ResponseStart.credential).where(
            (ResponseStart.response.study == study_id) & ResponseStart.response.site.is_in(site_ids)
        )
    }
    answer_counts = Counter(
        str(row["response"])
        for row in await Answer.select(Answer.response).where(
            (Answer.response.study == study_id) & Answer.response.site.is_in(site_ids) & Answer.response.submitted_at.is_not_null()
        )
    )
    wanted = await targets(site_ids)
    started: Counter[tuple[int, str]] = Counter()
    completed: Counter[tuple[int, str]] = Counter()
    minutes: dict[tuple[int, str], list[float]] = defaultdict(list)
    channel_started: Counter[tuple[int, str]] = Counter()
    channel_completed: Counter[tuple[int, str]] = Counter()
    weeks: Counter[str] = Counter()
    weekly: Counter[tuple[str, int, str]] = Counter()
    fast: Counter[int] = Counter()
    for row in responses:
        key = (row["site"], row["respondent_group"])
        channel = (row["site"], channel_of(credentials.get(str(row["id"]))))
        started[key] += 1
        channel_started[channel] += 1
        if row["submitted_at"] is None:
            continue
        completed[key] += 1
        channel_completed[channel] += 1
        week = iso_week(row["submitted_at"])
        weeks[week] += 1
        weekly[(week, *key)] += 1
        seconds = (row["submitted_at"] - row["started_at"]).total_seconds()
        minutes[key].append(seconds / 60)
        answers = answer_counts[str(row["id"])]
        if answers and seconds < FAST_SECONDS_PER_ANSWER * answers:
            fast[row["site"]] += 1
    keys = sorted(set(started) | set(wanted), key=lambda k: (code[k[0]], k[1]))
    cells = [
        Cell(site=code[k[0]], group=k[1], target=wanted.get(k), started=started[k], completed=completed[k], minutes=minutes[k])
        for k in keys
    ]
    channels = [
        Channel(site=code[s], channel=c, started=channel_started[(s, c)], completed=channel_completed[(s, c)])
        for s in sorted(site_ids, key=code.__getitem__)
        for c in CHANNELS
        if channel_started[(s, c)]
    ]
    quality = [
        Quality(site=code[s], completed=sum(completed[(s, g)] for g in GROUPS), fast=fast[s])
        for s in sorted(site_ids, key=code.__getitem__)
    ]
    week_cells = [
        WeekCell(week=w, site=code[s], group=g, completed=n, target=wanted.get((s, g)))
        for (w, s, g), n in sorted(weekly.items(), key=lambda item: (item[0][0], code[item[0][1]], item[0][2]))
    ]
    return Dashboard(cells=cells, channels=channels, weeks=sorted(weeks.items()), quality=quality, weekly=week_cells)
