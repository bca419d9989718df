"""The audit log: who did what, when. Entries are only ever inserted.

Only staff actions are recorded; nothing about respondents, no IP addresses, and a
failed login records the username tried, never the password.
"""

import datetime as dt
from typing import Any

import msgspec

from server.storage.workspace_tables import AuditEntry


class Action:
    """The audited action names (stable strings; filters and tests rely on them)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"
    STUDY_CREATED = "study_created"
    STUDY_CHANGED = "study_changed"
    SITE_CREATED = "site_created"
    INSTRUMENT_CHANGED = "instrument_changed"
    KIOSK_CODE_ISSUED = "kiosk_code_issued"
    KIOSK_ENROLLED = "kiosk_enrolled"
    KIOSK_REVOKED = "kiosk_revoked"
    INVITATIONS_ISSUED = "invitations_issued"
    INVITATION_REVOKED = "invitation_revoked"
    FIELDWORK_TARGET_SET = "fieldwork_target_set"
    EXPORT = "export"
    IMPORT = "import"


class AuditRecord(msgspec.Struct, frozen=True):
    """One entry as shown to admins."""

    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


async def record(actor: str, action: str, target: str = "", **detail: Any) -> None:
    """Append one entry. `detail` must hold no respondent data and no secrets."""
    await AuditEntry.insert(
        AuditEntry(actor=actor, action=action, target=target[:200], detail=msgspec.json.encode(detail).decode())
    ).run()


async def entries(limit: int = 200, offset: int = 0, action: str | None = None) -> list[AuditRecord]:
    """The newest entries first."""
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit).offset(offset)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = await query
    out = []
    for row in rows:
        detail = row["detail"]
        out.append(
            AuditRecord(
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                target=row["target"],
                detail=msgspec.json.decode(detail) if isinstance(detail, str | bytes) else detail,
            )
        )
    return out
