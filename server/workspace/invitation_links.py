"""The own-device link of an invitation code (`/i/<code>`) and its QR code.

Links are absolute because they leave the server: on paper, or scanned by a phone that
knows nothing of the page that showed them. `PUBLIC_URL` names the address respondents
reach (behind a proxy the request's own address may be an internal one); without it the
request's base URL is the best guess.
"""

import csv
import datetime as dt
import io
import os

import msgspec
from litestar import Request
from markupsafe import Markup

from server.workspace.card_language import DEFAULT_CARD_LANGUAGE, card_date, card_text
from server.workspace.enrolment import IssuedCode
from server.workspace.qr_codes import qr_svg


class InvitationCard(msgspec.Struct, frozen=True):
    """What a handout shows for one code: the code to type, the link and its QR code
    (named in the card's language), and the expiry date as the card writes it."""

    code: str
    expires_at: dt.datetime
    link: str
    qr: Markup
    valid_until: str = ""


def public_origin(request: Request) -> str:
    """Scheme and host respondents use to reach this server, without a trailing slash."""
    configured = os.environ.get("PUBLIC_URL", "").strip()
    return (configured or str(request.base_url)).rstrip("/")


def invitation_link(origin: str, code: str) -> str:
    """The link that opens the questionnaire with `code` on the respondent's own device."""
    return f"{origin}/i/{code}"


def invitation_cards(
    request: Request, codes: list[IssuedCode], scale: int = 4, language: str = DEFAULT_CARD_LANGUAGE
) -> list[InvitationCard]:
    """A card per issued code in `language` (see `card_language`), its link rooted at `public_origin`."""
    origin = public_origin(request)
    text = card_text(language)
    cards = []
    for issued in codes:
        link = invitation_link(origin, issued.code)
        qr = qr_svg(link, text.qr_label.format(link=link), scale)
        cards.append(InvitationCard(issued.code, issued.expires_at, link, qr, card_date(issued.expires_at, language)))
    return cards


#: Columns of the CSV of links handed to a hospital's own SMS or e-mail system.
CSV_COLUMNS = ("link", "group", "site", "expires")


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; quote it as text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def links_csv(origin: str, codes: list[IssuedCode], group: str, site: str | None) -> str:
    """One row per new code: its link, group, site ("" for any of the study's) and expiry
    (UTC, ISO 8601). Nothing identifies a respondent: the hospital's own system pairs links
    with people, and this server never learns who got which."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for issued in codes:
        expires = issued.expires_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
        writer.writerow([invitation_link(origin, issued.code), _cell(group), _cell(site or ""), expires])
    return out.getvalue()
