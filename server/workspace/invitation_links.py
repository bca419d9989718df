"""The own-device link of an invitation code (`/i/<code>`) and its QR code.

Links are absolute because they leave the server: on paper, or scanned by a phone that
knows nothing of the page that showed them. `PUBLIC_URL` names the address respondents
reach (behind a proxy the request's own address may be an internal one); without it the
request's base URL is the best guess.
"""

import datetime as dt
import os

import msgspec
from litestar import Request
from markupsafe import Markup

from server.workspace.enrolment import IssuedCode
from server.workspace.qr_codes import qr_svg


class InvitationCard(msgspec.Struct, frozen=True):
    """What a handout shows for one code: the code to type, the link and its QR code."""

    code: str
    expires_at: dt.datetime
    link: str
    qr: Markup


def public_origin(request: Request) -> str:
    """Scheme and host respondents use to reach this server, without a trailing slash."""
    configured = os.environ.get("PUBLIC_URL", "").strip()
    return (configured or str(request.base_url)).rstrip("/")


def invitation_link(origin: str, code: str) -> str:
    """The link that opens the questionnaire with `code` on the respondent's own device."""
    return f"{origin}/i/{code}"


def invitation_cards(request: Request, codes: list[IssuedCode], scale: int = 4) -> list[InvitationCard]:
    """A card per issued code, its link rooted at `public_origin`."""
    origin = public_origin(request)
    cards = []
    for issued in codes:
        link = invitation_link(origin, issued.code)
        cards.append(InvitationCard(issued.code, issued.expires_at, link, qr_svg(link, f"QR code of {link}", scale)))
    return cards
