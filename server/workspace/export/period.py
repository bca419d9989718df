"""The export's time column: when a questionnaire was submitted, coarsened to a period.

An exact time, or even the ISO week, singles respondents out: whoever knows that a patient
answered during the week of their stay can find their rows. Exports therefore carry the
calendar quarter by default (`2026-Q1`); the ISO week (`2026-W10`) only when asked, and
both are quasi-identifiers for k-anonymity (`server.workspace.export.kanon`).
"""

import datetime as dt
import re
from typing import Final, Literal

PeriodUnit = Literal["quarter", "week"]
PERIOD_UNITS: Final[tuple[str, ...]] = ("quarter", "week")

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def period_of(moment: dt.datetime, unit: PeriodUnit) -> str:
    """'2026-Q1' (calendar quarter) or '2026-W10' (ISO year and week) of `moment`."""
    if unit == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def period_start(period: str) -> dt.datetime:
    """The first moment (UTC) of a period written by `period_of`: the first day of the
    quarter, or the Monday of the ISO week. Raises ValueError on anything else."""
    quarter = _QUARTER.match(period)
    if quarter:
        day = dt.date(int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 1)
    else:
        week = _WEEK.match(period)
        if not week:
            raise ValueError(f"period: expected YYYY-Qn or YYYY-Www, got {period!r}")
        day = dt.date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
