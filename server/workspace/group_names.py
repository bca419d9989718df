"""Respondent groups by name, in the page's language, where a person reads them.

The stored code (patient, relative, staff) stays the code in CSV files, form values and
URLs; tables and choice lists show the name. In English the name is the code itself.
The relative and staff questionnaires carry the same words as codes, so the study page
names questionnaires by their title in the page's language, not by code: a Danish page
shows no English word for either.
"""

from typing import Final

from server.workspace.i18n import N_, _

GROUP_NAMES: Final = {
    "patient": N_("patient"),
    "relative": N_("relative"),
    "staff": N_("staff"),
}


def group_name(code: str | None) -> str:
    """A respondent group's name in the page's language (unknown values as they are)."""
    return _(GROUP_NAMES[code]) if code in GROUP_NAMES else (code or "")
