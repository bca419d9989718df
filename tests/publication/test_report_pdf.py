"""The PDF a health authority reads: tagged for screen readers (PDF/UA-1 structure), marked
as a draft and as simulated data on every page, and rendered to PNG pages that show the
undetermined boundaries, the intervals and locale-correct numbers."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import msgspec
import pikepdf
import pypdfium2
import pytest
import tinyhtml5
from PIL import Image

from server.publication.report import report_html
from server.publication.store import StoredPublication
from tests.publication.test_report import report_pdf_of, stored_publication

H = "{http://www.w3.org/1999/xhtml}"
WATERMARK = {"da": "SIMULEREDE DATA – MÅ IKKE BRUGES", "en": "SIMULATED DATA – NOT FOR USE"}
BANNER = {"da": "Kladde – ikke frigivet", "en": "Draft – not released"}


def _with(publication: StoredPublication, **info: object) -> StoredPublication:
    return msgspec.structs.replace(publication, info=msgspec.structs.replace(publication.info, **info))


def _simulated_draft() -> StoredPublication:
    """The conftest's publication as a draft of simulated data, one boundary undetermined."""
    publication = stored_publication()
    document = msgspec.json.decode(publication.gradation)
    patient = next(g for g in document["groups"] if g["group"] == "patient")
    patient["tiers"][1]["boundary_above"] = "undetermined"
    return _with(msgspec.structs.replace(publication, gradation=msgspec.json.encode(document)), status="draft", simulated=True)


@pytest.fixture(scope="module", params=["da", "en"])
def pdf(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    return request.param, report_pdf_of(_simulated_draft(), request.param)


def _structure(pdf_bytes: bytes) -> tuple[pikepdf.Pdf, list[pikepdf.Dictionary]]:
    document = pikepdf.open(io.BytesIO(pdf_bytes))
    elements: list[pikepdf.Dictionary] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                elements.append(node)
            if "/K" in node:
                walk(node.K)

    walk(document.Root.StructTreeRoot.K)
    return document, elements


def test_pdf_is_tagged_with_language_title_alt_texts_and_table_headers(pdf: tuple[str, bytes]) -> None:
    language, data = pdf
    document, elements = _structure(data)
    assert document.Root.MarkInfo.Marked is True
    assert str(document.Root.Lang) == language
    assert document.Root.ViewerPreferences.DisplayDocTitle is True
    with document.open_metadata() as xmp:
        title = xmp.get("dc:title")
        assert title and ("Graduering af tvangsformer" if language == "da" else "Gradation of coercive measures") in title
        assert xmp.get("pdfuaid:part") == "1"
    kinds = [str(e.S) for e in elements]
    for kind in ("/Document", "/H1", "/H2", "/Table", "/TH", "/TD", "/Figure", "/Caption"):
        assert kind in kinds, kind
    # Every figure (ladders and forests) carries a text alternative that names its tiers.
    figures = [e for e in elements if str(e.S) == "/Figure"]
    assert len(figures) >= 4
    tier_word = "Trin 1" if language == "da" else "Tier 1"
    for figure in figures:
        assert "/Alt" in figure and len(str(figure.Alt)) > 10
    assert sum(tier_word.lower() in str(f.Alt).lower() for f in figures) >= 4
    # Tables have header cells: the measures tables' column headers are TH.
    assert kinds.count("/TH") >= 9 * 2
    # Data cells point at their headers, so a screen reader announces the column.
    cells = [e for e in elements if str(e.S) == "/TD"]
    linked = [c for c in cells if "/A" in c and "/Headers" in c.A and len(c.A.Headers) > 0]
    assert len(linked) > len(cells) / 2


def test_every_page_is_watermarked_and_the_first_says_draft(pdf: tuple[str, bytes]) -> None:
    language, data = pdf
    pages = pypdfium2.PdfDocument(data)
    texts = [pages[i].get_textpage().get_text_range() for i in range(len(pages))]
    assert len(texts) >= 5
    for number, text in enumerate(texts, 1):
        assert " ".join(text.split()).count(WATERMARK[language]) == 1, f"page {number}"
    assert BANNER[language] in texts[0]


def test_released_real_data_carry_neither_banner_nor_watermark() -> None:
    publication = _with(stored_publication(), status="released", simulated=False)
    for language in ("da", "en"):
        html = report_html(publication, language)
        root = tinyhtml5.parse(html)
        assert not [e for e in root.iter() if "watermark" in e.get("class", "").split() or "banner" in e.get("class", "").split()]
        assert WATERMARK[language] not in html and BANNER[language] not in html
    reviewed = tinyhtml5.parse(report_html(_with(stored_publication(), status="reviewed", simulated=False), "en"))
    banner = next(e for e in reviewed.iter(H + "div") if "banner" in e.get("class", "").split())
    assert BANNER["en"] in "".join(banner.itertext())


def test_pages_render_to_png_showing_boundaries_intervals_and_local_numbers(pdf: tuple[str, bytes], tmp_path: Path) -> None:
    language, data = pdf
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm (poppler-utils) is needed in CI")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "6", str(source), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 6
    for png in pngs:
        image = Image.open(png).convert("L")
        assert abs(image.width / image.height - 595 / 842) < 0.01  # A4
        low, high = image.getextrema()
        assert high - low > 100, f"{png.name} is blank"
    # What those pages say, as text: the undetermined boundary, an interval, local decimals.
    pages = pypdfium2.PdfDocument(data)
    text = " ".join(" ".join(pages[i].get_textpage().get_text_range().split()) for i in range(6))
    assert ("uafklaret grænse" if language == "da" else "undetermined boundary") in text
    document = msgspec.json.decode(_simulated_draft().gradation)
    first = document["groups"][0]["measures"][0]
    from server.publication.rendering import interval

    assert interval(first["ci_low"], first["ci_high"], 1, language) in text
