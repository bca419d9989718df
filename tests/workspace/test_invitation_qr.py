"""Issued invitation codes come with QR codes of their own-device links, on screen and as
a printable sheet; the QR codes scan to the link and are plain inline SVG."""

import io
import re
from collections.abc import Callable

import cairosvg
import httpx
import pytest
import segno
import zxingcpp
from PIL import Image

from server.credentials.invitation import check_invitation
from server.workspace.qr_codes import ERROR_LEVEL
from server.workspace.roles import Role
from tests.workspace.conftest import csrf_headers
from tests.workspace.test_studies import _study_with_two_sites

#: QR codes on pages and sheets, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_PATH_DATA = re.compile(r'\bd="([^"]+)"')


def _svgs(html: str) -> list[str]:
    return _SVG.findall(html)


def _scan(svg: str) -> list[str]:
    """What a QR reader makes of the SVG, drawn on white as on paper."""
    # Inline SVG in HTML needs no namespace; a standalone SVG file does.
    standalone = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    png = cairosvg.svg2png(bytestring=standalone.encode(), output_width=400, background_color="white")
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _path_data(svg: str) -> str:
    match = _PATH_DATA.search(svg)
    assert match, svg[:200]
    return match.group(1)


def _expected_path_data(link: str) -> str:
    """segno's own drawing of `link` (same error level): the modules must match exactly."""
    return _path_data(segno.make(link, error=ERROR_LEVEL, micro=False).svg_inline())


async def test_issued_invitations_show_a_qr_code_of_their_public_link(
    client: httpx.AsyncClient, as_role: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    monkeypatch.setenv("PUBLIC_URL", "https://survey.example.org/")
    issued = await researcher.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations", data={"group": "patient", "count": "2"}, headers=csrf_headers(researcher)
    )
    assert issued.status_code == 200, issued.text
    codes = [part.split("<")[0] for part in issued.text.split('<span class="code">')[1:]]
    svgs = _svgs(issued.text)
    assert len(codes) == 2 and len(svgs) == 2
    for code, svg in zip(codes, svgs):
        link = f"https://survey.example.org/i/{code}"
        assert f'href="{link}"' in issued.text
        assert _scan(svg) == [link]
        assert _path_data(svg) == _expected_path_data(link)
        assert await check_invitation(code) is not None
        # Only presentation attributes: the CSP forbids inline styles.
        assert "style" not in svg and "<script" not in svg
        assert 'role="img"' in svg and f"<title>QR code of {link}</title>" in svg


async def test_without_public_url_the_link_uses_the_requests_base_url(
    client: httpx.AsyncClient, as_role: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    issued = await researcher.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations", data={"group": "staff", "count": "1"}, headers=csrf_headers(researcher)
    )
    code = issued.text.split('<span class="code">')[1].split("<")[0]
    [svg] = _svgs(issued.text)
    assert _scan(svg) == [f"http://testserver/i/{code}"]


async def test_the_printable_sheet_issues_cards_with_qr_codes_and_is_audited(
    client: httpx.AsyncClient, as_role: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://survey.example.org")
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    study_page = await researcher.get(f"/workspace/studies/{study_id}")
    assert f'formaction="/workspace/fieldwork/studies/{study_id}/invitations/print"' in study_page.text
    sheet = await researcher.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations/print",
        data={"group": "relative", "count": "3", "valid_days": "10"},
        headers=csrf_headers(researcher),
    )
    assert sheet.status_code == 200, sheet.text
    assert sheet.text.count('class="print-card"') == 3
    codes = [part.split("<")[0] for part in sheet.text.split('<span class="code">')[1:]]
    svgs = _svgs(sheet.text)
    assert len(codes) == len(svgs) == 3
    for code, svg in zip(codes, svgs):
        assert _scan(svg) == [f"https://survey.example.org/i/{code}"]
        invitation = await check_invitation(code)
        assert invitation is not None and invitation.group == "relative"
    assert "https://survey.example.org/tablet/invite" in sheet.text

    refused = await researcher.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations/print", data={"group": "visitor", "count": "3"}, headers=csrf_headers(researcher)
    )
    assert refused.status_code == 400 and "group" in refused.text and "<svg" not in refused.text


async def test_only_fieldwork_roles_may_print_invitation_cards(client: httpx.AsyncClient, as_role: Callable, new_client: Callable) -> None:
    study_id = await _study_with_two_sites(await as_role(Role.RESEARCHER))
    path = f"/workspace/fieldwork/studies/{study_id}/invitations/print"
    authority = await as_role(Role.AUTHORITY)
    denied = await authority.post(path, data={"group": "patient", "count": "1"}, headers=csrf_headers(authority))
    assert denied.status_code == 403
    anonymous = new_client()
    await anonymous.get("/workspace/login")
    refused = await anonymous.post(path, data={"group": "patient", "count": "1"}, headers=csrf_headers(anonymous))
    assert refused.status_code in (401, 303)
