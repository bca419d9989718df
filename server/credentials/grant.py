"""What a presented credential allows, and the start fields derived from it.

A start names no place of its own choosing: an enrolled tablet fixes study, site and
setting (groups patient and relative); an invitation fixes study and group, and a site
or the study's sites to pick from. Fields a client sends anyway must agree, else 400
naming the field. Only demo mode (`server.settings.demo_mode_from_env`) starts without a
credential, for any open study, site, setting and group the client names.
"""

from typing import Literal

import msgspec

from server.credentials.errors import CredentialRequired
from server.credentials.invitation import Invitation, check_invitation
from server.credentials.kiosk import KIOSK_GROUPS, Kiosk, kiosk
from server.credentials.sites import SiteChoice, open_sites
from server.respondent.errors import InvalidInput

GROUPS = ("patient", "relative", "staff")


class StartLimits(msgspec.Struct, frozen=True):
    """What a start with this credential counts and is limited by (`server.credentials.starts`)."""

    #: "kiosk:<id>" or "invitation:<id>" (a shared, multi-use invitation); None: not counted.
    credential: str | None = None
    #: The invitation whose use this start takes.
    invitation_id: int | None = None
    #: The tablet whose starts are counted (locked while counting, on PostgreSQL).
    tablet_id: int | None = None
    #: Starts allowed per window for `credential`.
    max_starts: int = 20


class Grant(msgspec.Struct, frozen=True):
    """A credential as checked: where and who may start with it."""

    kind: Literal["kiosk", "invitation", "demo"]
    sites: list[SiteChoice]
    groups: tuple[str, ...]
    kiosk: Kiosk | None = None
    invitation: Invitation | None = None

    def limits(self, max_starts: int) -> StartLimits | None:
        """What starts with this grant count against (None for demo mode)."""
        if self.kiosk is not None:
            return StartLimits(credential=f"kiosk:{self.kiosk.tablet_id}", tablet_id=self.kiosk.tablet_id, max_starts=max_starts)
        if self.invitation is not None:
            # A single-use code is limited by its one use, and is never named with the response.
            shared = self.invitation.max_uses > 1
            credential = f"invitation:{self.invitation.invitation_id}" if shared else None
            return StartLimits(credential=credential, invitation_id=self.invitation.invitation_id, max_starts=max_starts)
        return None


async def grant_for(
    kiosk_token: str | None, invitation_code: str | None, demo_mode: bool, demo_groups: tuple[str, ...] = GROUPS
) -> Grant:
    """The grant of the presented credential: a tablet's token first, then an invitation
    code; without either, demo mode's open grant. Raise CredentialRequired otherwise (and
    for a token or code that does not work: it is never quietly treated as none)."""
    if kiosk_token:
        tablet = await kiosk(kiosk_token)
        if tablet is None:
            raise CredentialRequired("this tablet is not enrolled (or its enrolment was revoked)")
        return Grant(kind="kiosk", sites=[tablet.site], groups=KIOSK_GROUPS, kiosk=tablet)
    if invitation_code:
        invitation = await check_invitation(invitation_code)
        if invitation is None:
            raise CredentialRequired("the invitation code is unknown, revoked, expired or used up")
        return Grant(kind="invitation", sites=invitation.sites, groups=(invitation.group,), invitation=invitation)
    if demo_mode:
        return Grant(kind="demo", sites=await open_sites(), groups=demo_groups)
    raise CredentialRequired("a start needs an enrolled tablet's token or an invitation code")


class Place(msgspec.Struct, frozen=True):
    """Where and as whom a start is made, as the credential allows."""

    site: SiteChoice
    setting: str
    group: str


def place_for(grant: Grant, study: str | None, site: str | None, setting: str | None, group: str | None) -> Place:
    """The study, site, setting and group of a start: from the credential, with the
    client's own values checked against it (400 naming the first that disagrees)."""
    what = {"kiosk": "this tablet", "invitation": "this invitation", "demo": "demo mode"}[grant.kind]
    if group is None:
        if len(grant.groups) != 1:
            raise InvalidInput("group", f"say which group answers: {', '.join(grant.groups)}")
        group = grant.groups[0]
    if group not in grant.groups:
        raise InvalidInput("group", f"{what} does not start questionnaires for group '{group}'")
    candidates = grant.sites
    if study is not None:
        candidates = [s for s in candidates if s.study_code == study]
        if not candidates:
            raise InvalidInput("study", f"{what} does not start questionnaires for study '{study}'")
    if site is not None:
        candidates = [s for s in candidates if s.site_code == site]
        if not candidates:
            raise InvalidInput("site", f"{what} does not start questionnaires at site '{site}'")
    if len(candidates) != 1:
        raise InvalidInput("site", f"choose the site: one of {', '.join(s.site_code for s in candidates)}")
    chosen = candidates[0]
    if setting is not None and setting != chosen.setting and grant.kind != "demo":
        raise InvalidInput("setting", f"site '{chosen.site_code}' is a '{chosen.setting}' ward, not '{setting}'")
    return Place(site=chosen, setting=setting or chosen.setting, group=group)
