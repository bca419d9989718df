"""Enrolled ward tablets: redeeming an enrolment code, and the tablet's bearer token.

A coordinator's one-time enrolment code (issued by `server.workspace.enrolment`) binds a
tablet to one site; the tablet then holds a random bearer token (the `lm_kiosk` cookie,
or `Authorization: Bearer <token>` on the JSON API) of which only the SHA-256 is stored.
"""

import datetime as dt
import hashlib
import secrets

import msgspec

from server.credentials.codes import code_hash
from server.credentials.sites import SiteChoice, aware, now, site_by_id
from server.storage.database import write_transaction
from server.storage.workspace_tables import KioskEnrolment, KioskTablet
from server.tablet.config import TABLET_SETTINGS

#: A ward tablet is shared by patients and their relatives; staff answer on their own device.
KIOSK_GROUPS = ("patient", "relative")
#: A tablet's last-seen time is written at most this often: the workspace shows it to the
#: minute, and a busy tablet must not write on every page.
SEEN_EVERY = dt.timedelta(minutes=1)


class Kiosk(msgspec.Struct, frozen=True):
    """An enrolled ward tablet: its site and how long it waits before asking "still there?"."""

    site: SiteChoice
    idle_seconds: int
    #: The tablet's row id, so its starts can be counted (`server.credentials.starts`).
    tablet_id: int = 0


def token_hash(token: str) -> str:
    """The stored form of a tablet's bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def enrol_tablet(code: str) -> tuple[str, SiteChoice] | None:
    """Redeem a one-time enrolment code; return the tablet's new bearer token and its site."""
    moment = now()
    async with write_transaction():
        row = await KioskEnrolment.select(
            KioskEnrolment.id, KioskEnrolment.site, KioskEnrolment.expires_at, KioskEnrolment.idle_seconds, KioskEnrolment.label
        ).where(
            (KioskEnrolment.code_hash == code_hash(code)) & KioskEnrolment.redeemed_at.is_null()
        ).first()
        if row is None or aware(row["expires_at"]) <= moment:
            return None
        token = secrets.token_urlsafe(32)
        await KioskEnrolment.update({KioskEnrolment.redeemed_at: moment}).where(KioskEnrolment.id == row["id"])
        await KioskTablet.insert(
            KioskTablet(
                site=row["site"],
                token_hash=token_hash(token),
                enrolled_at=moment,
                idle_seconds=row["idle_seconds"],
                label=row["label"] or "",
                last_seen_at=moment,
            )
        )
    site = await site_by_id(row["site"])
    return (token, site) if site else None


async def kiosk(token: str | None) -> Kiosk | None:
    """An enrolled, not revoked tablet's site and idle time, or None."""
    if not token:
        return None
    row = await KioskTablet.select(KioskTablet.id, KioskTablet.site, KioskTablet.idle_seconds, KioskTablet.last_seen_at).where(
        (KioskTablet.token_hash == token_hash(token)) & KioskTablet.revoked_at.is_null()
    ).first()
    site = await site_by_id(row["site"]) if row else None
    if site is None:
        return None
    await _seen(row["id"], row["last_seen_at"])
    # Tablets enrolled without their own idle time (or before it existed) follow the server's.
    return Kiosk(site=site, idle_seconds=row["idle_seconds"] or TABLET_SETTINGS.kiosk_idle_seconds, tablet_id=row["id"])


async def _seen(tablet_id: int, last_seen_at: dt.datetime | None) -> None:
    """Record that the tablet was just used, unless that was recorded under a minute ago."""
    moment = now()
    if last_seen_at is not None and moment - aware(last_seen_at) < SEEN_EVERY:
        return
    await KioskTablet.update({KioskTablet.last_seen_at: moment}).where(KioskTablet.id == tablet_id)
