"""Fieldwork actions for site coordinators (and researchers): enrol ward tablets, issue
invitation codes. Codes are shown once, on the page that issued them (on screen, or as a
printable sheet of cards with QR codes of their own-device links, in Danish or English).
A refused form sends the study page back with what was typed and the field marked."""

import msgspec
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.bounded_integers import form_integer
from server.instrument_registry import RegistryDep
from server.workspace import audit
from server.workspace.access import require_site, study_site_ids
from server.workspace.audit import Action
from server.storage.tables import Site
from server.workspace.enrolment import (
    EnrolmentError,
    IssuedCode,
    issue_invitations,
    invitation_exists,
    issue_kiosk_code,
    revoke_invitation_by_id,
    revoke_tablet,
    tablet_label,
)
from server.workspace.card_language import CardLanguageError, card_language, card_text
from server.workspace.field_errors import FieldError
from server.workspace.forms import Form, form_text
from server.workspace.invitation_links import invitation_cards, links_csv, public_origin
from server.workspace.studies import get_study
from server.workspace.studies_pages import study_page
from server.workspace.rendering import page
from server.workspace.roles import FIELDWORK, allow
from server.workspace.i18n import _, current_language


_TOO_LARGE = 10**18


def _int(data: dict, name: str, default: int) -> int:
    """A whole number from the form, `default` when the field is left empty; anything but
    digits is refused naming the field."""
    value = data.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return default
    # ASCII digits only: "²".isdigit() is true, yet int() refuses it. Ranges are checked
    # where the number is used (server/workspace/enrolment.py); int() refuses more than
    # 4,300 digits, and anything past 18 is outside every range anyway.
    if not (text.isascii() and text.isdigit()):
        raise EnrolmentError(name, _("must be a whole number"))
    return int(text) if len(text) <= 18 else _TOO_LARGE


def _optional_seconds(data: dict, name: str) -> int | None:
    """A whole number of seconds, or None when the field is left empty; refuses anything else."""
    value = data.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise EnrolmentError(name, _("must be a whole number of seconds"))
    return int(text) if len(text) <= 18 else _TOO_LARGE


class FieldworkPages(Controller):
    """Tablet enrolment and invitation codes."""

    path = "/fieldwork"
    include_in_schema = False
    opt = allow(FIELDWORK)

    @post("/sites/{site_id:int}/kiosk-code")
    async def kiosk_code(self, request: Request, site_id: FromPath[int], data: Form, registry: RegistryDep) -> Template:
        """Issue a one-time enrolment code for a ward tablet; the tablet must be named."""
        user = request.state.user
        site = await require_site(user, site_id)
        typed = {name: form_text(data, name) for name in ("label", "idle_seconds")}
        try:
            idle_seconds = _optional_seconds(data, "idle_seconds")
            label = tablet_label(typed["label"])
            if not label:
                # A name is how the tablet is told apart on the study page and revoked when lost.
                raise EnrolmentError("label", _("give the tablet a name, such as where it stands"))
            issued = await issue_kiosk_code(site_id, user["id"], _int(data, "valid_hours", 24), idle_seconds, label)
        except EnrolmentError as exc:
            invalid = FieldError(f"kiosk-{site_id}", exc.field, exc.reason)
            return await study_page(request, site["study"], registry, 400, invalid, typed=typed)
        await audit.record(
            user["username"], Action.KIOSK_CODE_ISSUED, f"site:{site['code']}", idle_seconds=idle_seconds, label=label
        )
        return page(
            request,
            "codes.html",
            codes=[issued],
            kind="kiosk",
            study_id=site["study"],
            site=site["code"],
            idle_seconds=idle_seconds,
            label=label,
        )

    @post("/sites/{site_id:int}/tablets/{tablet_id:int}/revoke")
    async def revoke(self, request: Request, site_id: FromPath[int], tablet_id: FromPath[int]) -> Redirect:
        """End a ward tablet's enrolment (lost or replaced tablet)."""
        user = request.state.user
        site = await require_site(user, site_id)
        if await revoke_tablet(tablet_id, [site_id]):
            await audit.record(user["username"], Action.KIOSK_REVOKED, f"site:{site['code']}", tablet=tablet_id)
        return Redirect(f"/workspace/studies/{site['study']}", status_code=303)

    @post("/studies/{study_id:int}/invitations")
    async def invitations(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template:
        """Issue invitation codes for one respondent group (optionally one site), shown on screen."""
        issued = await _issue_invitations(request, study_id, data, "screen", registry)
        if isinstance(issued, Template):
            return issued
        # On screen the codes are for the coordinator: in the workspace's own language.
        return await _render(request, study_id, issued, "codes.html", language=current_language())

    @post("/studies/{study_id:int}/invitations/print")
    async def invitations_print(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template:
        """Issue invitation codes as a printable sheet: one card per code, with its QR code,
        the study's name, purpose and contact, in the chosen card language (Danish unless
        English is chosen).

        A POST that issues, not a GET that lists: only hashes are stored, so codes can be
        shown (and printed) only at the moment they are made.
        """
        issued = await _issue_invitations(request, study_id, data, "print", registry)
        if isinstance(issued, Template):
            return issued
        return await _render(request, study_id, issued, "invitations_print.html", qr_scale=5, language=issued.card_language)

    @post("/studies/{study_id:int}/invitations/csv")
    async def invitations_csv(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template | Response:
        """Issue invitation codes as a CSV of links (link, group, site, expires) for the
        hospital's own SMS or e-mail system; like the cards, the only copy of the codes."""
        issued = await _issue_invitations(request, study_id, data, "csv", registry)
        if isinstance(issued, Template):
            return issued
        site = None
        if issued.site_id is not None:
            site = (await Site.select(Site.code).where(Site.id == issued.site_id).first())["code"]
        body = links_csv(public_origin(request), issued.codes, issued.group, site)
        return Response(
            content=body,
            media_type="text/csv; charset=utf-8",
            status_code=200,
            headers={
                "content-disposition": f'attachment; filename="invitation-links-study-{study_id}.csv"',
                # Working codes: no cache on the way may keep a copy.
                "cache-control": "no-store",
            },
        )

    @post("/studies/{study_id:int}/invitations/{invitation_id:int}/revoke")
    async def revoke_invitation(self, request: Request, study_id: FromPath[int], invitation_id: FromPath[int]) -> Redirect:
        """Withdraw one invitation (a coordinator: one tied to their own sites); audited once."""
        user = request.state.user
        allowed_sites = await study_site_ids(user, study_id)
        scope = allowed_sites if user["role"] == "coordinator" else None
        if await revoke_invitation_by_id(invitation_id, study_id, scope):
            await audit.record(user["username"], Action.INVITATION_REVOKED, f"study:{study_id}", invitation=invitation_id)
        elif not await invitation_exists(invitation_id, study_id, scope):
            # Another study's, or (for a coordinator) another site's: as if it did not exist.
            raise NotFoundException(f"no invitation {invitation_id} in this study")
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)


class _Issued(msgspec.Struct, frozen=True):
    """Codes just issued, with the group and site they are for."""

    codes: list[IssuedCode]
    group: str
    site_id: int | None
    card_language: str


#: The fields of the invitation form, kept as typed after a refusal.
_INVITATION_FIELDS = ("group", "site", "count", "valid_days", "card_language")


async def _issue_invitations(request: Request, study_id: int, data: dict, form: str, registry: RegistryDep) -> "_Issued | Template":
    """Validate, issue and audit new codes (`form`: screen, print or csv); a refusal is the
    study page with the form as it was sent and the refused field marked."""
    user = request.state.user
    typed = {name: form_text(data, name) for name in _INVITATION_FIELDS}

    async def refused(field: str, reason: str) -> Template:
        return await study_page(request, study_id, registry, 400, FieldError("invitations", field, reason), typed=typed)

    allowed_sites = await study_site_ids(user, study_id)
    # An id goes to the database as it is: one no id column can hold is refused here.
    site_id = form_integer("site", data.get("site", "")) or None
    if user["role"] == "coordinator" and site_id not in allowed_sites:
        # A coordinator's codes are always tied to one of their own sites.
        site_id = allowed_sites[0] if len(allowed_sites) == 1 else None
        if site_id is None:
            return await refused("site", _("choose one of your sites"))
    group = typed["group"]
    try:
        language = card_language(typed["card_language"])
    except CardLanguageError as exc:
        return await refused(exc.field, exc.reason)
    try:
        codes = await issue_invitations(
            study_id,
            group,
            _int(data, "count", 1),
            user["id"],
            site_id=site_id,
            valid_days=_int(data, "valid_days", 30),
            max_uses=_int(data, "max_uses", 1),
        )
    except EnrolmentError as exc:
        return await refused(exc.field, exc.reason)
    detail = {"card_language": language} if form == "print" else {}
    await audit.record(
        user["username"], Action.INVITATIONS_ISSUED, f"study:{study_id}", group=group, count=len(codes), site=site_id, form=form, **detail
    )
    return _Issued(codes, group, site_id, language)


async def _render(
    request: Request, study_id: int, issued: _Issued, template: str, qr_scale: int = 4, language: str = "en"
) -> Template:
    """The new codes on screen or as cards (in `language`), with the study's name, purpose and contact."""
    cards = invitation_cards(request, issued.codes, qr_scale, language)
    return page(
        request,
        template,
        codes=issued.codes,
        cards=cards,
        origin=public_origin(request),
        kind="invitation",
        study_id=study_id,
        group=issued.group,
        study=await get_study(study_id),
        card_language=language,
        card_text=card_text(language),
    )
