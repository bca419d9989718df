"""The reasons `analysis.tidy` gives for refusing rows, in the language of the request.

`analysis` knows nothing of the workspace's languages (it also serves the command line
and the gradation), so its `TidyDataError` carries the column, the problem and the rows
apart; the import puts them together here, translating the problems it knows. A problem
with values in it (the examples a refusal quotes) is matched by pattern, and the values
are kept as they are; a problem not listed stays in English rather than be lost.
"""

import re
from typing import Final

from analysis.tidy import TidyDataError
from server.workspace.i18n import N_, _

#: The fixed problems of `analysis.tidy`, marked for the catalogue, translated where shown.
_FIXED: Final = frozenset(
    (
        N_("expected numbers"),
        N_("expected text values"),
        N_("must not be empty"),
        N_("must not be infinite"),
        N_("rating rows need a measure code"),
        N_("a rating without a missing code needs a number"),
        N_("ratings must lie on 0-100"),
        N_("a rating with a missing code must have no value"),
        N_("allowed rows need a measure code"),
        N_("an allowed row without a missing code needs a choice"),
        N_("paired rows need both measures"),
        N_("a pair must compare two different measures"),
        N_("a paired choice must be one of the two measures"),
        N_("a paired row without a missing code needs a choice"),
        N_("each respondent may answer an item only once"),
        N_("must be the same on all rows of a respondent"),
    )
)

#: Problems with values in them: a pattern and the message its named groups fill.
_PATTERNS: Final = (
    (re.compile(r"expected a number, got (?P<examples>.+)"), N_("expected a number, got %(examples)s")),
    (
        re.compile(r"unexpected value\(s\) (?P<examples>\[.*?\]); expected one of (?P<allowed>\[.*?\]) or empty"),
        N_("unexpected value(s) %(examples)s; expected one of %(allowed)s or empty"),
    ),
)


def _problem(problem: str) -> str:
    """`problem` in the request's language when it is one `analysis.tidy` is known to give."""
    if problem in _FIXED:
        return _(problem)
    for pattern, message in _PATTERNS:
        match = pattern.fullmatch(problem)
        if match:
            return _(message) % match.groupdict()
    return problem


def tidy_reason(exc: TidyDataError) -> str:
    """The refusal `exc` describes, in the request's language: column, problem and rows."""
    if exc.column is None or not exc.rows:
        return _problem(str(exc))
    shown = ", ".join(str(r) for r in exc.rows[:5])
    if exc.count > 5:
        rows = _("%(shown)s and %(num)s more") % {"shown": shown, "num": exc.count - 5}
    else:
        rows = shown
    # "rows" whatever the count, as `analysis.tidy` writes it on the command line.
    return _("column '%(column)s': %(problem)s (rows %(rows)s)") % {"column": exc.column, "problem": _problem(exc.problem), "rows": rows}
