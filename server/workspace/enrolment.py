"""Issuing kiosk enrolment codes and invitation codes (the workspace side).

The credentials package (`server.credentials`) checks and redeems what is issued here:

- `issue_kiosk_code(site_id, ...)` returns a one-time code, valid for `valid_hours`, that
  sets the tablet's idle time (`idle_seconds`). A
  site coordinator types it on a ward tablet; `server.credentials.kiosk.enrol_tablet(code)`
  redeems it once and gives the tablet a bearer token bound to that site (a
  `KioskTablet` row). `revoke_tablet` ends a tablet's enrolment.
- `issue_invitations(study_id, group, count, ...)` returns `count` codes for one study
  and respondent group, optionally tied to one site, each usable `max_uses` times until
  `valid_days` have passed. `server.credentials.invitation.check_invitation` / `count_use`
  read and count them; `revoke_invitation` withdraws one.

Codes are random and shown once: only their SHA-256 is stored (see
`server.credentials.codes`), so a copy of the database reveals no working code.
"""

import datetime as dt

import msgspec

from piccolo.query.functions.aggregate import Count

from server.storage.credential_tables import ResponseStart
from server.storage.database import write_transaction
from server.storage.tables import Site, Study
from server.storage.workspace_tables import InvitationCode, KioskEnrolment, KioskTablet
from server.credentials.codes import code_hash, new_code
from server.workspace.i18n import _

GROUPS = ("patient", "relative", "staff")
MAX_INVITATIONS_PER_BATCH = 500
#: A kiosk's idle time: under half a minute interrupts people still reading a question;
#: over ten minutes leaves a walked-away respondent's answers on screen too long.
DEFAULT_IDLE_SECONDS = 90
MIN_IDLE_SECONDS = 30
MAX_IDLE_SECONDS = 600
#: A tablet's name, as long as the column holds.
MAX_LABEL_LENGTH = 100


class EnrolmentError(ValueError):
    """An issuing request was refused; `field` names the offending input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class IssuedCode(msgspec.Struct, frozen=True):
    """A code in clear text (shown once) and when it stops working."""

    code: str
    expires_at: dt.datetime


class TabletOut(msgspec.Struct, frozen=True):
    """An enrolled tablet as the study page lists it, with the questionnaires it started."""

    id: int
    site: str
    label: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None
    last_seen_at: dt.datetime | None = None
    started: int = 0
    completed: int = 0


def tablet_label(text: str) -> str:
    """A tablet's name as typed, trimmed: at most 100 characters, one line; "" for none."""
    label = " ".join(text.split())
    if len(label) > MAX_LABEL_LENGTH:
        raise EnrolmentError("label", _("must be at most %(most)s characters (it has %(length)s)") % {"most": MAX_LABEL_LENGTH, "length": len(label)})
    if any(not ch.isprintable() for ch in label):
        raise EnrolmentError("label", _("must hold no control characters"))
    return label


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def issue_kiosk_code(
    site_id: int, created_by: int | None, valid_hours: int = 24, idle_seconds: int | None = None, label: str = ""
) -> IssuedCode:
    """A one-time code that enrols one tablet at `site_id` within `valid_hours`.

    The tablet asks "are you still there?" after `idle_seconds` without a touch (then
    clears itself after the grace time): a ward with slow readers may want longer. None
    leaves it to the server-wide setting (`LEASTMEANS_KIOSK_IDLE_SECONDS`, 90 by default).
    `label` names the tablet on the study page ("Tablet by the door, ward A").
    """
    label = tablet_label(label)
    if not 1 <= valid_hours <= 24 * 14:
        raise EnrolmentError("valid_hours", _("must be between %(least)s and %(most)s") % {"least": 1, "most": 336})
    if idle_seconds is not None and not MIN_IDLE_SECONDS <= idle_seconds <= MAX_IDLE_SECONDS:
        raise EnrolmentError("idle_seconds", _("must be between %(least)s and %(most)s seconds") % {"least": MIN_IDLE_SECONDS, "most": MAX_IDLE_SECONDS})
    if not await Site.exists().where(Site.id == site_id):
        raise EnrolmentError("site", _("no site with id %(id)s") % {"id": site_id})
    code, expires = new_code(), _now() + dt.timedelta(hours=valid_hours)
    await KioskEnrolment.insert(
        KioskEnrolment(
            site=site_id,
            code_hash=code_hash(code),
            created_by=created_by,
            expires_at=expires,
            idle_seconds=idle_seconds,
            label=label,
        )
    ).run()
    return IssuedCode(code=code, expires_at=expires)


async def issue_invitations(
    study_id: int,
    group: str,
    count: int,
    created_by: int | None,
    site_id: int | None = None,
    valid_days: int = 30,
    max_uses: int = 1,
) -> list[IssuedCode]:
    """`count` invitation codes for one study and respondent group (optionally one site)."""
    if group not in GROUPS:
        raise EnrolmentError("group", _("'%(group)s' is not one of %(groups)s") % {"group": group, "groups": ", ".join(GROUPS)})
    if not 1 <= count <= MAX_INVITATIONS_PER_BATCH:
        raise EnrolmentError("count", _("must be between %(least)s and %(most)s") % {"least": 1, "most": MAX_INVITATIONS_PER_BATCH})
    if not 1 <= valid_days <= 365:
        raise EnrolmentError("valid_days", _("must be between %(least)s and %(most)s") % {"least": 1, "most": 365})
    if not 1 <= max_uses <= 1000:
        raise EnrolmentError("max_uses", _("must be between %(least)s and %(most)s") % {"least": 1, "most": 1000})
    if not await Study.exists().where(Study.id == study_id):
        raise EnrolmentError("study", _("no study with id %(id)s") % {"id": study_id})
    if site_id is not None and not await Site.exists().where((Site.id == site_id) & (Site.study == study_id)):
        raise EnrolmentError("site", _("site %(id)s is not a site of this study") % {"id": site_id})
    expires = _now() + dt.timedelta(days=valid_days)
    codes = [new_code(12) for _ in range(count)]
    async with write_transaction():
        await InvitationCode.insert(
            *[
                InvitationCode(
                    study=study_id,
                    site=site_id,
                    respondent_group=group,
                    code_hash=code_hash(code),
                    created_by=created_by,
                    expires_at=expires,
                    max_uses=max_uses,
                )
                for code in codes
            ]
        ).run()
    return [IssuedCode(code=code, expires_at=expires) for code in codes]


async def revoke_invitation(code: str) -> bool:
    """Withdraw an invitation code; False if no such code."""
    rows = await InvitationCode.update({InvitationCode.revoked_at: _now()}).where(
        InvitationCode.code_hash == code_hash(code)
    ).returning(InvitationCode.id)
    return bool(rows)


class InvitationOut(msgspec.Struct, frozen=True):
    """An issued invitation as the study page lists it (its code was shown once and is not kept)."""

    id: int
    group: str
    site: str | None
    created_at: dt.datetime
    uses: int
    max_uses: int
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


#: The study page lists this many of the newest invitations.
LISTED_INVITATIONS = 200


async def invitations(study_id: int, site_ids: list[int] | None) -> list[InvitationOut]:
    """The study's invitations, newest first; `site_ids` (a coordinator's) keeps those tied to them."""
    where = InvitationCode.study == study_id
    if site_ids is not None:
        if not site_ids:
            return []
        where = where & InvitationCode.site.is_in(site_ids)
    rows = await InvitationCode.select(
        InvitationCode.id,
        InvitationCode.respondent_group,
        InvitationCode.site.code.as_alias("site"),
        InvitationCode.created_at,
        InvitationCode.uses,
        InvitationCode.max_uses,
        InvitationCode.expires_at,
        InvitationCode.revoked_at,
    ).where(where).order_by(InvitationCode.id, ascending=False).limit(LISTED_INVITATIONS)
    return [InvitationOut(group=row.pop("respondent_group"), **row) for row in rows]


def _one_invitation(invitation_id: int, study_id: int, site_ids: list[int] | None) -> object:
    where = (InvitationCode.id == invitation_id) & (InvitationCode.study == study_id)
    if site_ids is not None:
        # Never empty: `server.workspace.access.study_site_ids` refuses a coordinator without sites here.
        where = where & InvitationCode.site.is_in(site_ids or [-1])
    return where


async def invitation_exists(invitation_id: int, study_id: int, site_ids: list[int] | None) -> bool:
    """Whether this invitation is the study's (a coordinator's: tied to one of `site_ids`)."""
    return await InvitationCode.exists().where(_one_invitation(invitation_id, study_id, site_ids))  # type: ignore[arg-type]


async def revoke_invitation_by_id(invitation_id: int, study_id: int, site_ids: list[int] | None) -> bool:
    """Withdraw one of the study's invitations (a coordinator: only one tied to `site_ids`);
    False if it is not there or was already withdrawn, so a repeated click changes nothing."""
    where = _one_invitation(invitation_id, study_id, site_ids) & InvitationCode.revoked_at.is_null()  # type: ignore[operator]
    rows = await InvitationCode.update({InvitationCode.revoked_at: _now()}).where(where).returning(InvitationCode.id)
    return bool(rows)


async def tablets(site_ids: list[int]) -> list[TabletOut]:
    """Enrolled tablets of these sites, newest first, with the questionnaires each started
    and how many of those were submitted."""
    if not site_ids:
        return []
    rows = await KioskTablet.select(
        KioskTablet.id,
        KioskTablet.site.code.as_alias("site"),
        KioskTablet.label,
        KioskTablet.enrolled_at,
        KioskTablet.revoked_at,
        KioskTablet.last_seen_at,
    ).where(KioskTablet.site.is_in(site_ids)).order_by(KioskTablet.id, ascending=False)
    if not rows:
        return []
    credentials = [f"kiosk:{row['id']}" for row in rows]
    started = await _starts_by_credential(ResponseStart.credential.is_in(credentials))
    completed = await _starts_by_credential(
        ResponseStart.credential.is_in(credentials) & ResponseStart.response.submitted_at.is_not_null()
    )
    return [
        TabletOut(
            **row,
            started=started.get(f"kiosk:{row['id']}", 0),
            completed=completed.get(f"kiosk:{row['id']}", 0),
        )
        for row in rows
    ]


async def _starts_by_credential(where: object) -> dict[str, int]:
    rows = await ResponseStart.select(ResponseStart.credential, Count(alias="n")).where(where).group_by(ResponseStart.credential)  # type: ignore[arg-type]
    return {row["credential"]: row["n"] for row in rows}


async def revoke_tablet(tablet_id: int, site_ids: list[int]) -> bool:
    """End a tablet's enrolment (only among `site_ids`); False if it is not there."""
    rows = await KioskTablet.update({KioskTablet.revoked_at: _now()}).where(
        (KioskTablet.id == tablet_id) & KioskTablet.site.is_in(site_ids) & KioskTablet.revoked_at.is_null()
    ).returning(KioskTablet.id)
    return bool(rows)
