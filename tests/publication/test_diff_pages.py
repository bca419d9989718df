"""The publication diff as JSON (/api/v1/gradation/{a}/diff/{b}), as a workspace page and
as the report's "what changed" section, on SQLite and PostgreSQL: two publications whose
data differ only in one measure's ratings, shifted by +20 points."""

from collections.abc import Callable

import httpx
import msgspec
import pytest
import tinyhtml5

from server.publication.diff import PublicationDiff, diff_documents
from server.publication.release import release, review
from server.publication.rendering import render
from server.publication.store import PreparedPublication, store_publication
from server.publication.tokens import issue_token
from server.publication.wording import measure_label, word
from server.workspace.roles import Role
from tests.publication.test_diff import SHIFTED, assert_only_the_shifted_measure, prepared_pair
from tests.workspace.conftest import accounts, as_role, fast_password_hashing, new_client  # noqa: F401  (fixtures)

H = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def pair() -> tuple[PreparedPublication, PreparedPublication]:
    return prepared_pair()


async def _store(pair: tuple[PreparedPublication, PreparedPublication], released: tuple[bool, bool] = (True, True)) -> None:
    """Publications 1 (before) and 2 (after the shift), released as asked."""
    for prepared, make_released in zip(pair, released):
        info = await store_publication(prepared, actor="researcher-user")
        if make_released:
            await review(info.number, "admin-user")
            await release(info.number, "admin-user")


async def _token() -> dict[str, str]:
    return {"Authorization": f"Bearer {(await issue_token('authority systems')).secret}"}


def _rows(html: str, css_class: str) -> list[dict[str, str]]:
    """The data attributes of the body rows of the tables with `css_class`."""
    root = tinyhtml5.parse(html)
    return [
        dict(row.attrib)
        for table in root.iter(H + "table")
        if css_class in (table.get("class") or "").split()
        for row in table.iter(H + "tr")
        if row.get("data-measure")
    ]


async def test_the_json_diff_names_only_the_shifted_measure(client: httpx.AsyncClient, pair) -> None:
    await _store(pair)
    headers = await _token()
    response = await client.get("/api/v1/gradation/1/diff/2", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_only_the_shifted_measure(msgspec.json.decode(response.content, type=PublicationDiff))

    etag = response.headers["etag"]
    assert etag.startswith('"1-2-')
    again = await client.get("/api/v1/gradation/1/diff/2", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # Without a token or session: 401, as for the rest of the authority API.
    assert (await client.get("/api/v1/gradation/1/diff/2")).status_code == 401
    # The route takes no query parameters; one is refused by name, not ignored.
    refused = await client.get("/api/v1/gradation/1/diff/2?setting=forensic", headers=headers)
    assert refused.status_code == 400 and "setting" in refused.text and "query" in refused.text


async def test_the_json_diff_of_unreleased_publications_is_not_found(client: httpx.AsyncClient, pair) -> None:
    await _store(pair, released=(True, False))
    headers = await _token()
    for path in ("/api/v1/gradation/1/diff/2", "/api/v1/gradation/2/diff/1", "/api/v1/gradation/1/diff/99"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
    same = await client.get("/api/v1/gradation/1/diff/1", headers=headers)
    assert same.status_code == 200 and same.json()["unchanged"] is True


async def test_the_workspace_page_shows_the_move_and_the_mean_change(client: httpx.AsyncClient, as_role: Callable, pair) -> None:
    await _store(pair, released=(False, False))
    researcher = await as_role(Role.RESEARCHER)
    page = await researcher.get("/workspace/publications/1/diff/2")
    assert page.status_code == 200, page.text
    moves = _rows(page.text, "diff-moves")
    assert [(r["data-measure"], r["data-from"], r["data-to"], r["data-kind"]) for r in moves] == [(SHIFTED, "2", "3", "moved")] * 2
    means = _rows(page.text, "diff-means")
    assert [r["data-measure"] for r in means] == [SHIFTED] * 2
    assert all(abs(float(r["data-difference"]) - 20.0) < 0.5 for r in means)
    assert measure_label(SHIFTED, "en") in page.text
    assert "diff-boundaries" not in page.text and "No changes." not in page.text
    assert {(s.get("data-group"), s.get("data-setting")) for s in tinyhtml5.parse(page.text).iter(H + "section")} == {("patient", "general_adult"), ("staff", "general_adult")}
    # The method table holds only the data hash.
    assert 'data-key="data_sha256"' in page.text and 'data-key="settings.' not in page.text

    unchanged = await researcher.get("/workspace/publications/2/diff/2")
    assert unchanged.status_code == 200 and 'data-unchanged="true"' in unchanged.text and "No changes." in unchanged.text

    # The form's choice leads to the page.
    chosen = await researcher.get("/workspace/publications/diff", params={"a": 1, "b": 2})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/workspace/publications/1/diff/2"
    form = await researcher.get("/workspace/publications/diff")
    assert form.status_code == 200 and 'name="a"' in form.text and 'name="b"' in form.text


async def test_the_authority_sees_the_diff_page_of_released_publications_only(client: httpx.AsyncClient, as_role: Callable, pair) -> None:
    await _store(pair, released=(True, False))
    authority = await as_role(Role.AUTHORITY)
    assert (await authority.get("/workspace/publications/1/diff/2")).status_code == 404
    await review(2, "admin-user")
    await release(2, "admin-user")
    page = await authority.get("/workspace/publications/1/diff/2")
    assert page.status_code == 200 and [r["data-measure"] for r in _rows(page.text, "diff-moves")] == [SHIFTED] * 2
    coordinator = await as_role(Role.COORDINATOR)
    assert (await coordinator.get("/workspace/publications/1/diff/2")).status_code == 403


@pytest.mark.parametrize("language, heading", [("da", "Hvad er ændret siden offentliggørelse 1"), ("en", "What changed since publication 1")])
def test_the_report_section_names_only_the_shifted_measure(pair, language: str, heading: str) -> None:
    before, after = (msgspec.json.decode(p.gradation) for p in pair)
    changes = diff_documents(before, after, 1, 2)
    html = render(
        "publication/report_changes.html",
        changes=changes,
        language=language,
        label=lambda code: measure_label(code, language),
        word=lambda key: word(key, language),
    )
    root = tinyhtml5.parse(html)
    [section] = [s for s in root.iter(H + "section") if s.get("id") == "changes"]
    assert heading in "".join(section.find(H + "h2").itertext())
    moves = _rows(html, "changes-moves")
    assert [(r["data-measure"], r["data-from"], r["data-to"]) for r in moves] == [(SHIFTED, "2", "3")] * 2
    means = _rows(html, "changes-means")
    assert [r["data-measure"] for r in means] == [SHIFTED] * 2
    assert measure_label(SHIFTED, language) in html
    assert "changes-boundaries" not in html and "changed-cells" not in html
    # Danish decimal comma, English point, in the printed change.
    printed = "".join(list(root.iter(H + "td"))[7].itertext())
    assert printed.startswith("+20,0" if language == "da" else "+20.0"), printed


def test_the_report_section_says_no_changes_when_nothing_changed(pair) -> None:
    before = msgspec.json.decode(pair[0].gradation)
    html = render("publication/report_changes.html", changes=diff_documents(before, before, 1, 1), language="da", label=str, word=str)
    assert 'data-unchanged="true"' in html and "Ingen ændringer" in html


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_full_report_carries_the_section(pair, language: str) -> None:
    import datetime as dt

    from server.publication.report import report_html

    before, after = pair
    stored = after.as_stored(2, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    changes = diff_documents(msgspec.json.decode(before.gradation), msgspec.json.decode(after.gradation), 1, 2)
    html = report_html(stored, language, changes=changes)
    [section] = [s for s in tinyhtml5.parse(html).iter(H + "section") if s.get("id") == "changes"]
    assert section.get("data-old") == "1"
    assert [(r["data-measure"], r["data-from"], r["data-to"]) for r in _rows(html, "changes-moves")] == [(SHIFTED, "2", "3")] * 2
    assert 'id="changes"' not in report_html(stored, language)


def _edited(prepared: PreparedPublication) -> PreparedPublication:
    """The same publication with a method setting and a library version changed, a measure
    gone from the patients' cell and the staff's tier 2 split in two."""
    import copy

    document = copy.deepcopy(msgspec.json.decode(prepared.gradation))
    document["settings"]["margin"] = 8.0
    document["library_versions"]["numpy"] = "9.9.9"
    patients, staff = document["groups"]
    patients["measures"] = [m for m in patients["measures"] if m["measure"] != "belt_long"]
    for tier in patients["tiers"]:
        tier["measures"] = [m for m in tier["measures"] if m != "belt_long"]
    lower, upper = staff["tiers"][1]["measures"][:1], staff["tiers"][1]["measures"][1:]
    staff["tiers"][1:2] = [{**staff["tiers"][1], "measures": lower, "status": "single"}, {**staff["tiers"][1], "measures": upper, "status": "single"}]
    for k, tier in enumerate(staff["tiers"]):
        tier["index"] = k + 1
    return msgspec.structs.replace(prepared, gradation=msgspec.json.encode(document, order="sorted"))


async def test_the_workspace_page_shows_removed_measures_split_tiers_and_method_changes(client: httpx.AsyncClient, as_role: Callable, pair) -> None:
    await _store((pair[0], _edited(pair[0])), released=(False, False))
    researcher = await as_role(Role.RESEARCHER)
    page = await researcher.get("/workspace/publications/1/diff/2")
    assert page.status_code == 200, page.text
    root = tinyhtml5.parse(page.text)
    assert [li.get("data-removed") for li in root.iter(H + "li") if li.get("data-removed")] == ["belt_long"]
    assert [li.get("data-change") for li in root.iter(H + "li") if li.get("data-change")] == ["separated"]
    assert "Now separated: between tier 2" in page.text
    # The measure split off its tier is regrouped; every tier above keeps its neighbours.
    moves = [(r["data-measure"], r["data-from"], r["data-to"], r["data-kind"]) for r in _rows(page.text, "diff-moves")]
    assert moves == [
        ("holding_short", "2", "3", "regrouped"), ("holding_long", "3", "4", "renumbered"), ("belt_short", "3", "4", "renumbered"),
        ("sedation_danger", "4", "5", "renumbered"), ("belt_long", "4", "5", "renumbered"),
    ]
    assert page.text.count("same neighbours, renumbered") == 4
    keys = [row.get("data-key") for row in root.iter(H + "tr") if row.get("data-key")]
    assert keys == ["settings.margin", "library.numpy"]
    assert _rows(page.text, "diff-means") == []


@pytest.mark.parametrize("language, separated", [("da", "Nu adskilt: trin 2"), ("en", "Now separated: tier 2")])
def test_the_report_section_names_split_tiers_removed_measures_and_method_changes(pair, language: str, separated: str) -> None:
    before = msgspec.json.decode(pair[0].gradation)
    changes = diff_documents(before, msgspec.json.decode(_edited(pair[0]).gradation), 1, 2)
    html = render("publication/report_changes.html", changes=changes, language=language, label=lambda c: measure_label(c, language), word=lambda k: word(k, language))
    root = tinyhtml5.parse(html)
    assert separated in html
    assert [li.get("data-removed") for li in root.iter(H + "li") if li.get("data-removed")] == ["belt_long"]
    assert [row.get("data-key") for row in root.iter(H + "tr") if row.get("data-key")] == ["settings.margin", "library.numpy"]
    assert [r["data-kind"] for r in _rows(html, "changes-moves")] == ["regrouped"] + ["renumbered"] * 4
