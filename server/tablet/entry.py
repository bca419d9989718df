"""Where a new response may start: which study, site and respondent group.

Three ways in: an enrolled ward tablet (kiosk; its site is fixed), an invitation code on
the respondent's own device (study and group fixed, site possibly), or the open demo
welcome screen. The kiosk and invitation records belong to the researcher workspace
(`server.storage.workspace_tables`); this module only reads and redeems them, so the
tablet depends on one small interface.
"""

import datetime as dt
import hashlib
import secrets

import msgspec

from server.instrument_registry import InstrumentRegistry
from server.respondent.questionnaire_choice import choose, offers, study_pairs
from server.storage.database import write_transaction
from server.storage.tables import Site, Study
from server.storage.workspace_tables import InvitationCode, KioskEnrolment, KioskTablet
from server.tablet.codes import code_hash
from server.tablet.config import TABLET_SETTINGS


class SiteChoice(msgspec.Struct, frozen=True):
    """A site a respondent can answer for."""

    study_code: str
    study_name: str
    site_code: str
    site_name: str
    setting: str
    #: The study's data controller and contact, shown before consent ("" if not set).
    data_controller: str = ""
    contact: str = ""


class Kiosk(msgspec.Struct, frozen=True):
    """An enrolled ward tablet: its site and how long it waits before asking "still there?"."""

    site: SiteChoice
    idle_seconds: int


class Invitation(msgspec.Struct, frozen=True):
    """What an invitation code allows: one study and group, at one site or any of its sites.

    An invitation issued for a site lists just that site (the respondent starts there);
    a study-wide one lists every site of the study, and the respondent picks their ward.
    """

    group: str
    sites: list[SiteChoice]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_SITE_COLUMNS = (
    Site.study.code.as_alias("study_code"),
    Site.study.name.as_alias("study_name"),
    Site.code.as_alias("site_code"),
    Site.name.as_alias("site_name"),
    Site.setting.as_alias("setting"),
    Site.study.data_controller.as_alias("data_controller"),
    Site.study.contact.as_alias("contact"),
)


async def open_sites() -> list[SiteChoice]:
    """Every site of every open study (the open welcome screen)."""
    rows = await Site.select(*_SITE_COLUMNS).where(Site.study.is_open == True).order_by(Site.study.code).order_by(Site.code)  # noqa: E712
    return [SiteChoice(**row) for row in rows]


async def _site(site_id: int) -> SiteChoice | None:
    row = await Site.select(*_SITE_COLUMNS).where((Site.id == site_id) & (Site.study.is_open == True)).first()  # noqa: E712
    return SiteChoice(**row) if row else None


async def enrol_tablet(code: str) -> tuple[str, SiteChoice] | None:
    """Redeem a one-time enrolment code; return the tablet's new bearer token and its site."""
    now = _now()
    async with write_transaction():
        row = await KioskEnrolment.select(
            KioskEnrolment.id, KioskEnrolment.site, KioskEnrolment.expires_at, KioskEnrolment.idle_seconds
        ).where(
            (KioskEnrolment.code_hash == code_hash(code)) & KioskEnrolment.redeemed_at.is_null()
        ).first()
        if row is None or _aware(row["expires_at"]) <= now:
            return None
        token = secrets.token_urlsafe(32)
        await KioskEnrolment.update({KioskEnrolment.redeemed_at: now}).where(KioskEnrolment.id == row["id"])
        await KioskTablet.insert(
            KioskTablet(site=row["site"], token_hash=_token_hash(token), enrolled_at=now, idle_seconds=row["idle_seconds"])
        )
    site = await _site(row["site"])
    return (token, site) if site else None


async def kiosk(token: str | None) -> Kiosk | None:
    """An enrolled, not revoked tablet's site and idle time, or None."""
    if not token:
        return None
    row = await KioskTablet.select(KioskTablet.site, KioskTablet.idle_seconds).where(
        (KioskTablet.token_hash == _token_hash(token)) & KioskTablet.revoked_at.is_null()
    ).first()
    site = await _site(row["site"]) if row else None
    if site is None:
        return None
    # Tablets enrolled without their own idle time (or before it existed) follow the server's.
    return Kiosk(site=site, idle_seconds=row["idle_seconds"] or TABLET_SETTINGS.kiosk_idle_seconds)


async def _invitation_row(code: str) -> dict | None:
    row = await InvitationCode.select(InvitationCode.all_columns()).where(InvitationCode.code_hash == code_hash(code)).first()
    if row is None or row["revoked_at"] is not None or _aware(row["expires_at"]) <= _now() or row["uses"] >= row["max_uses"]:
        return None
    return row


async def check_invitation(code: str | None) -> Invitation | None:
    """What a valid invitation code allows, or None (unknown, revoked, expired or used up)."""
    if not code:
        return None
    row = await _invitation_row(code)
    if row is None:
        return None
    if row["site"] is not None:
        site = await _site(row["site"])
        sites = [site] if site else []
    else:
        study = await Study.select(Study.code).where(Study.id == row["study"]).first()
        sites = [s for s in await open_sites() if study and s.study_code == study["code"]]
    return Invitation(group=row["respondent_group"], sites=sites) if sites else None


async def use_invitation(code: str) -> bool:
    """Count one use of an invitation code, atomically; False if it has none left."""
    async with write_transaction():
        row = await _invitation_row(code)
        if row is None:
            return False
        await InvitationCode.update({InvitationCode.uses: InvitationCode.uses + 1}).where(InvitationCode.id == row["id"])
    return True


def site_key(site: SiteChoice) -> str:
    """How a ward picker names a site: "<study code>/<site code>"."""
    return f"{site.study_code}/{site.site_code}"


def chosen_site(sites: list[SiteChoice], key: str | None) -> SiteChoice | None:
    """The ward a new questionnaire is for: the only one offered (a ward tablet, an
    invitation for one site), else the one the respondent picked; None if not picked."""
    if len(sites) == 1:
        return sites[0]
    return next((site for site in sites if site_key(site) == key), None)


async def offered(
    registry: InstrumentRegistry, sites: list[SiteChoice], groups: tuple[str, ...], settings: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Of `groups`, those a questionnaire is chosen for at any of `sites`, and every language
    offered to them there (the welcome screen's choices). `settings` replaces each site's
    own setting where the respondent picks one (the open welcome screen)."""
    available = offers(registry)
    pairs = {code: await study_pairs(code) for code in sorted({site.study_code for site in sites})}
    found: set[str] = set()
    languages: set[str] = set()
    for site in sites:
        for setting in settings or (site.setting,):
            for group in groups:
                choice = choose(available, pairs[site.study_code], group, setting)
                if choice is not None:
                    found.add(group)
                    languages.update(choice.languages)
    return tuple(g for g in groups if g in found), tuple(sorted(languages))
