"""The report: numbers equal the result object's, small cells stay out, it prints to PDF."""

import datetime as dt
import functools
import io
import re

import msgspec
import pytest
import tinyhtml5
from PIL import Image

from analysis.gradation import analyse
from server.publication.rendering import interval, number
from server.publication.report import report_html, report_pdf
from server.publication.store import PreparedPublication, StoredPublication, prepare_publication
from tests.publication.conftest import QUICK, simulated

H = "{http://www.w3.org/1999/xhtml}"
PUBLISHED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)


@functools.cache
def prepared_publication() -> PreparedPublication:
    """The conftest's simulated data, published once per test session (shared by the report tests)."""
    from server.gradation.runner import reference_tiers

    return prepare_publication(simulated(), QUICK, reference_tiers())


@functools.cache
def stored_publication() -> StoredPublication:
    """Publication 3, a draft, as it reads back from the store."""
    return prepared_publication().as_stored(3, PUBLISHED, "researcher1")


def report_pdf_of(publication: StoredPublication, language: str) -> bytes:
    """The PDF of a report, rendered once per session for each publication and language."""
    return _pdf(msgspec.msgpack.encode(publication), language)


@functools.cache
def _pdf(publication: bytes, language: str) -> bytes:
    return report_pdf(report_html(msgspec.msgpack.decode(publication, type=StoredPublication), language))


@pytest.fixture(scope="module")
def prepared() -> PreparedPublication:
    return prepared_publication()


@pytest.fixture(scope="module")
def publication() -> StoredPublication:
    return stored_publication()


@pytest.fixture(scope="module", params=["en", "da"])
def html(request: pytest.FixtureRequest, publication: StoredPublication) -> str:
    return report_html(publication, request.param)


def _by_class(root, tag: str, cls: str) -> list:
    return [e for e in root.iter(H + tag) if cls in e.get("class", "").split()]


def test_report_prints_the_result_objects_numbers(html: str, dataset, reference) -> None:
    result = analyse(dataset, QUICK, reference=reference)
    root = tinyhtml5.parse(html)
    language = next(root.iter(H + "html")).get("lang")
    tables = _by_class(root, "table", "measures")
    assert {(t.get("data-group"), t.get("data-setting")) for t in tables} == {("patient", "general_adult"), ("staff", "general_adult")}
    for table in tables:
        group = result.group(table.get("data-group"), table.get("data-setting"))
        rows = [r for r in table.iter(H + "tr") if r.get("data-measure")]
        assert [r.get("data-measure") for r in rows] == [m.measure for m in group.measures]
        for row, expected in zip(rows, group.measures, strict=True):
            cells = list(row.iter(H + "td"))
            assert int(cells[2].get("data-value")) == expected.n
            assert float(cells[3].get("data-value")) == round(expected.mean, 6)
            # Printed in the report's language; the full value stays in data-value.
            assert cells[3].text == number(expected.mean, 1, language)
            assert ("," in cells[3].text) is (language == "da") and ("." in cells[3].text) is (language == "en")
            ci = cells[4]
            assert float(ci.get("data-low")) == round(expected.ci_low, 6) and float(ci.get("data-high")) == round(expected.ci_high, 6)
            assert ci.text == interval(expected.ci_low, expected.ci_high, 1, language)
            # Tiers are numbered from 1, as in the JSON.
            assert row.get("data-tier") == str(expected.tier + 1)
            assert (int(cells[7].get("data-low")), int(cells[7].get("data-high"))) == (expected.rank_low, expected.rank_high)
    # The verdict matrix holds every pair's verdict, from both sides.
    matrix = next(t for t in _by_class(root, "table", "matrix") if t.get("data-group") == "patient")
    shown = {(td.get("data-a"), td.get("data-b")): td.get("data-verdict") for td in matrix.iter(H + "td") if td.get("data-a")}
    inverse = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    for pair in result.group("patient", "general_adult").pairwise:
        assert shown[(pair.measure_a, pair.measure_b)] == pair.verdict
        assert shown[(pair.measure_b, pair.measure_a)] == inverse[pair.verdict]
    # Yes/no/don't know answers.
    allowed = next(t for t in _by_class(root, "table", "allowed") if t.get("data-group") == "staff")
    staff = {a.measure: a for a in result.group("staff", "general_adult").allowed}
    for row in (r for r in allowed.iter(H + "tr") if r.get("data-measure")):
        cells = list(row.iter(H + "td"))
        assert float(cells[2].get("data-value")) == round(staff[row.get("data-measure")].pct_yes, 6)
    provenance = _by_class(root, "code", "data-sha")[0].text
    assert provenance == result.snapshot.sha256


def test_report_suppresses_small_cells_everywhere(html: str, publication: StoredPublication) -> None:
    root = tinyhtml5.parse(html)
    assert not [e for e in root.iter() if e.get("data-group") == "relative"]
    for element in root.iter():
        if element.get("data-n") is not None:
            assert int(element.get("data-n")) >= 5
    for table in _by_class(root, "table", "measures"):
        for row in (r for r in table.iter(H + "tr") if r.get("data-measure")):
            assert int(list(row.iter(H + "td"))[2].get("data-value")) >= 5
    # The three forensic relatives are in the data but only as "<5" counts.
    dq = publication.report.data_quality
    assert dq.respondents == 403
    assert all(s.respondents is None or s.respondents >= 5 for s in dq.sites)
    assert all(r.n >= 5 for r in publication.report.subgroups)
    # Named in the notes, in the report's words.
    text = "".join(root.itertext())
    assert "Pårørende / Retspsykiatri" in text or "Relatives / Forensic psychiatry" in text


def test_report_is_self_contained_and_made_for_a4(html: str) -> None:
    assert "size: A4" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html
    root = tinyhtml5.parse(html)
    assert {s.get("id") for s in root.iter(H + "section")} >= {"ladders", "measures", "pairwise", "groups", "allowed", "data-quality", "method", "provenance"}
    # Method text is written from the settings actually used.
    method = "".join(next(s for s in root.iter(H + "section") if s.get("id") == "method").itertext())
    assert f"{QUICK.margin:g}" in method and str(QUICK.bootstrap_resamples) in method
    assert re.search(r"[Gg]ender|[Kk]øn", "".join(root.itertext()))


def test_published_gradation_bytes_are_what_the_report_reads(publication: StoredPublication) -> None:
    document = msgspec.json.decode(publication.gradation)
    assert document["schema"] == "leastmeans.gradation/3"
    assert [t["index"] for t in document["groups"][0]["tiers"]][:2] == [1, 2]


def test_pdf_renders_and_page_one_is_not_blank(publication: StoredPublication) -> None:
    import pypdfium2

    pdf = report_pdf_of(publication, "da")
    assert pdf.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) >= 5
    width, height = document[0].get_size()
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    image = document[0].render(scale=1).to_pil().convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200]) / (image.width * image.height)
    assert dark > 0.005, "page 1 is blank"
    assert isinstance(Image.open(io.BytesIO(_png(image))), Image.Image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
