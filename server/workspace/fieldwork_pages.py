"""Fieldwork actions for site coordinators (and researchers): enrol ward tablets, issue
invitation codes. Codes are shown once, on the page that issued them (on screen, or as a
printable sheet of cards with QR codes of their own-device links)."""

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.bounded_integers import form_integer
from server.workspace import audit
from server.workspace.access import require_site, study_site_ids
from server.workspace.audit import Action
from server.workspace.enrolment import EnrolmentError, issue_invitations, issue_kiosk_code, revoke_tablet, tablet_label
from server.workspace.forms import Form
from server.workspace.invitation_links import invitation_cards, public_origin
from server.workspace.rendering import page
from server.workspace.roles import FIELDWORK, allow


_TOO_LARGE = 10**18


def _int(data: dict, name: str, default: int) -> int:
    value = data.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    # ASCII digits only: "²".isdigit() is true, yet int() refuses it. Ranges are checked
    # where the number is used (server/workspace/enrolment.py); int() refuses more than
    # 4,300 digits, and anything past 18 is outside every range anyway.
    if not (text.isascii() and text.isdigit()):
        return default
    return int(text) if len(text) <= 18 else _TOO_LARGE


def _optional_seconds(data: dict, name: str) -> int | None:
    """A whole number of seconds, or None when the field is left empty; refuses anything else."""
    value = data.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise EnrolmentError(name, "must be a whole number of seconds")
    return int(text) if len(text) <= 18 else _TOO_LARGE


class FieldworkPages(Controller):
    """Tablet enrolment and invitation codes."""

    path = "/fieldwork"
    include_in_schema = False
    opt = allow(FIELDWORK)

    @post("/sites/{site_id:int}/kiosk-code")
    async def kiosk_code(self, request: Request, site_id: FromPath[int], data: Form) -> Template:
        """Issue a one-time enrolment code for a ward tablet."""
        user = request.state.user
        site = await require_site(user, site_id)
        label = data.get("label", "")
        try:
            idle_seconds = _optional_seconds(data, "idle_seconds")
            label = tablet_label(label if isinstance(label, str) else "")
            issued = await issue_kiosk_code(site_id, user["id"], _int(data, "valid_hours", 24), idle_seconds, label)
        except EnrolmentError as exc:
            return page(request, "codes.html", status_code=400, error=str(exc), codes=[], study_id=site["study"])
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
    async def invitations(self, request: Request, study_id: FromPath[int], data: Form) -> Template:
        """Issue invitation codes for one respondent group (optionally one site), shown on screen."""
        return await _issue_invitations(request, study_id, data, "codes.html")

    @post("/studies/{study_id:int}/invitations/print")
    async def invitations_print(self, request: Request, study_id: FromPath[int], data: Form) -> Template:
        """Issue invitation codes as a printable sheet: one card per code, with its QR code.

        A POST that issues, not a GET that lists: only hashes are stored, so codes can be
        shown (and printed) only at the moment they are made.
        """
        return await _issue_invitations(request, study_id, data, "invitations_print.html", qr_scale=5)


async def _issue_invitations(request: Request, study_id: int, data: dict, template: str, qr_scale: int = 4) -> Template:
    """Validate, issue, audit, and render the new codes with `template` (refusals: the codes page)."""
    user = request.state.user
    allowed_sites = await study_site_ids(user, study_id)
    # An id goes to the database as it is: one no id column can hold is refused here.
    site_id = form_integer("site", data.get("site", "")) or None
    if user["role"] == "coordinator" and site_id not in allowed_sites:
        # A coordinator's codes are always tied to one of their own sites.
        site_id = allowed_sites[0] if len(allowed_sites) == 1 else None
        if site_id is None:
            return page(request, "codes.html", status_code=400, error="site: choose one of your sites", codes=[], study_id=study_id)
    group = data.get("group", "")
    try:
        codes = await issue_invitations(
            study_id,
            group if isinstance(group, str) else "",
            _int(data, "count", 1),
            user["id"],
            site_id=site_id,
            valid_days=_int(data, "valid_days", 30),
            max_uses=_int(data, "max_uses", 1),
        )
    except EnrolmentError as exc:
        return page(request, "codes.html", status_code=400, error=str(exc), codes=[], study_id=study_id)
    await audit.record(
        user["username"], Action.INVITATIONS_ISSUED, f"study:{study_id}", group=group, count=len(codes), site=site_id
    )
    cards = invitation_cards(request, codes, qr_scale)
    return page(
        request, template, codes=codes, cards=cards, origin=public_origin(request), kind="invitation", study_id=study_id, group=group
    )
