"""A coordinator's fieldwork in the workspace, walked in Chromium as people do it: a
researcher sets a study up and sets targets, an admin gives the coordinator one ward, the
coordinator watches that ward's progress and rates move as a ward tablet submits
questionnaires (never seeing the other ward's numbers, on a tablet or a phone), names and
revokes a tablet, revokes an invitation and downloads a batch of invitation links; an
admin imports a file with a wrong row, sees the row named and nothing stored, then imports
it corrected; the workspace switches between Danish and English, and axe finds no serious
or critical violation on any workspace page in either language.

One live server and one browser; the study is made once for the module, through the pages.
Screenshots go to /tmp/walk-*.png.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.seeding import enrolled_tablet, publication, staff_account
from tests.browser.workspace_steps import (
    PHONE_VIEWPORT,
    AxeLog,
    WardTablet,
    log_in,
    new_page,
    sideways_overflow,
    table_cells,
    table_rows,
)

pytestmark = pytest.mark.browser

STUDY_CODE = "walk"
#: The coordinator's ward, and a ward that is not theirs.
OWN_SITE, OTHER_SITE = "walk-north", "walk-south"
#: The ward whose answers the import test exports, and the study code it imports them under.
IMPORT_SITE, IMPORTED_STUDY = "walk-east", "walk-imported"
SCREENSHOTS = Path("/tmp")


@dataclass(frozen=True)
class Fieldwork:
    """The study the walk-through works in, with its people."""

    base: str
    database: Path
    study_id: int
    sites: dict[str, int]
    accounts: dict[str, tuple[str, str]]
    #: Each role's browser state (session cookie) from signing in through the login form once.
    signed_in: dict[str, dict]

    def page_as(self, chromium: Any, role: str, **options: Any) -> Any:
        """A new, blank browser page (own context) of `role`, still signed in."""
        return new_page(chromium, storage_state=self.signed_in[role], **options)

    @property
    def study_url(self) -> str:
        return f"{self.base}/workspace/studies/{self.study_id}"


@pytest.fixture(scope="module")
def fieldwork(live_server: str, live_database: Path, chromium: Any) -> Iterator[Fieldwork]:
    """A study with two wards set up through the pages by a researcher, and a coordinator
    given the first ward by an admin on the users page."""
    accounts = {role: staff_account(live_database, role) for role in ("admin", "researcher", "coordinator")}
    signed_in: dict[str, dict] = {}
    researcher = new_page(chromium)
    try:
        log_in(researcher, live_server, *accounts["researcher"])
        signed_in["researcher"] = researcher.context.storage_state()
        researcher.locator("nav a[href='/workspace/studies']").click()
        researcher.locator("#code").fill(STUDY_CODE)
        researcher.locator("#name").fill("Walk-through study")
        researcher.locator("form[action='/workspace/studies/'] button[type=submit]").click()
        researcher.wait_for_url(re.compile(r"/workspace/studies/\d+$"))
        study_id = int(researcher.url.rsplit("/", 1)[1])
        for code, name in ((OWN_SITE, "Afsnit Nord"), (OTHER_SITE, "Afsnit Syd")):
            researcher.locator("#site_code").fill(code)
            researcher.locator("#site_name").fill(name)
            researcher.locator("#setting").select_option("general_adult")
            researcher.locator(f"form[action='/workspace/studies/{study_id}/sites'] button[type=submit]").click()
            researcher.wait_for_url(re.compile(rf"/workspace/studies/{study_id}$"))
        options = researcher.locator("#site option").evaluate_all("os => os.map(o => [o.textContent.trim(), o.value])")
        sites = {code: int(value) for code, value in options if value}
        assert set(sites) == {OWN_SITE, OTHER_SITE}, options
    finally:
        researcher.context.close()

    admin = new_page(chromium)
    try:
        log_in(admin, live_server, *accounts["admin"])
        signed_in["admin"] = admin.context.storage_state()
        admin.locator("nav a[href='/workspace/admin/users']").click()
        row = admin.locator("tr", has=admin.get_by_role("rowheader", name=accounts["coordinator"][0], exact=True))
        row.locator(f"input[name=sites][value='{sites[OWN_SITE]}']").check()
        row.locator("button[type=submit]").click()
        admin.wait_for_url(re.compile(r"/workspace/admin/users$"))
        row = admin.locator("tr", has=admin.get_by_role("rowheader", name=accounts["coordinator"][0], exact=True))
        assert row.locator(f"input[name=sites][value='{sites[OWN_SITE]}']").is_checked()
        assert not row.locator(f"input[name=sites][value='{sites[OTHER_SITE]}']").is_checked()
    finally:
        admin.context.close()
    coordinator = new_page(chromium)
    try:
        log_in(coordinator, live_server, *accounts["coordinator"])
        signed_in["coordinator"] = coordinator.context.storage_state()
    finally:
        coordinator.context.close()
    yield Fieldwork(live_server, live_database, study_id, sites, accounts, signed_in)
    # Closed afterwards, so the demo welcome of later tablet tests offers only the demo study's wards.
    researcher = new_page(chromium, storage_state=signed_in["researcher"], axe=False)
    try:
        researcher.goto(f"{live_server}/workspace/studies/{study_id}")
        researcher.locator(f"form[action='/workspace/studies/{study_id}/status'] button[type=submit]").click()
        researcher.wait_for_url(re.compile(rf"/workspace/studies/{study_id}$"))
    finally:
        researcher.context.close()


@pytest.fixture
def axe() -> AxeLog:
    """This test's axe findings (each test asserts its own)."""
    return AxeLog()


def _dashboard_rows(page: Any) -> dict[tuple[str, str], dict[str, str]]:
    """The dashboard's main table by (site, group code): target, completed, of target, started,
    rates. The page shows the group's name ("Patient"); its code is the name in lower case."""
    names = ("site", "group", "target", "completed", "of_target", "bar", "started", "completion", "breakoff", "median")
    return {(r[0], r[1].lower()): dict(zip(names, r, strict=True)) for r in table_rows(page.locator("table.dashboard"))}


def _enrolment_code_form(page: Any, site_id: int, label: str) -> None:
    """On the study page: ask for a tablet enrolment code for the site, with the tablet's name."""
    form = page.locator(f"form[action='/workspace/fieldwork/sites/{site_id}/kiosk-code']")
    form.locator("input[name=label]").fill(label)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _enrolment_code(page: Any, site_id: int, label: str) -> str:
    """The enrolment code issued for a tablet with this name at the site (from the study page)."""
    _enrolment_code_form(page, site_id, label)
    return page.locator(".code").first.inner_text().strip()


def _issue_on_screen(page: Any, study_id: int) -> None:
    """On the study page: issue the invitation codes as the form stands, shown on screen."""
    page.locator(f"form[action='/workspace/fieldwork/studies/{study_id}/invitations'] button:not([formaction])").click()


def _set_target(page: Any, site_id: int, target: int) -> None:
    """On the dashboard: set the patient target of a site with the targets form."""
    page.locator("#target-site").select_option(str(site_id))
    page.locator("#target-group").select_option("patient")
    page.locator("#target-number").fill(str(target))
    page.locator("form[action$='/dashboard/targets'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def test_the_coordinator_sees_their_ward_move_against_its_target_and_nothing_of_the_other(
    fieldwork: Fieldwork, chromium: Any, axe: AxeLog
) -> None:
    researcher = fieldwork.page_as(chromium, "researcher")
    coordinator = fieldwork.page_as(chromium, "coordinator")
    tablets: list[WardTablet] = []
    try:
        # The researcher sets both wards' patient targets on the dashboard.
        researcher.goto(fieldwork.study_url)
        researcher.locator(f"a[href='/workspace/studies/{fieldwork.study_id}/dashboard']").click()
        _set_target(researcher, fieldwork.sites[OWN_SITE], 12)
        _set_target(researcher, fieldwork.sites[OTHER_SITE], 10)
        rows = _dashboard_rows(researcher)
        assert (rows[(OWN_SITE, "patient")]["target"], rows[(OTHER_SITE, "patient")]["target"]) == ("12", "10")
        axe.check(researcher, "dashboard (researcher, targets form)")
        # The other ward's tablet submits five questionnaires.
        researcher.goto(fieldwork.study_url)
        code = _enrolment_code(researcher, fieldwork.sites[OTHER_SITE], "Syd dagligstue")
        tablets.append(WardTablet(chromium, fieldwork.base, code))
        tablets[-1].respond(5)

        # The coordinator finds the study from the studies list and opens its dashboard.
        coordinator.goto(f"{fieldwork.base}/workspace/")
        coordinator.locator("nav a[href='/workspace/studies']").click()
        coordinator.locator(f"a[href='/workspace/studies/{fieldwork.study_id}']").click()
        axe.check(coordinator, "study (coordinator)")
        code = _enrolment_code(coordinator, fieldwork.sites[OWN_SITE], "Nord dagligstue")
        tablets.append(WardTablet(chromium, fieldwork.base, code))
        coordinator.goto(f"{fieldwork.study_url}/dashboard")
        rows = _dashboard_rows(coordinator)
        assert list(rows) == [(OWN_SITE, "patient")]
        assert (rows[(OWN_SITE, "patient")]["target"], rows[(OWN_SITE, "patient")]["completed"]) == ("12", "0")
        # No set-target form for a coordinator.
        assert coordinator.locator("#target-number").count() == 0

        # Three completed: shown as "< 5", and no rate is computed from so few.
        tablets[-1].respond(3)
        coordinator.reload()
        own = _dashboard_rows(coordinator)[(OWN_SITE, "patient")]
        assert (own["completed"], own["started"], own["of_target"], own["completion"]) == ("< 5", "< 5", "", "")
        # Three more, and two who start but do not finish.
        tablets[-1].respond(3)
        tablets[-1].respond(2, submit=False)
        coordinator.reload()
        own = _dashboard_rows(coordinator)[(OWN_SITE, "patient")]
        assert (own["completed"], own["started"], own["of_target"]) == ("6", "8", "50%")
        # A rate that would reveal the two break-offs (a count under 5) is not shown.
        assert (own["completion"], own["breakoff"]) == ("", "")
        tablets[-1].respond(3, submit=False)
        coordinator.reload()
        own = _dashboard_rows(coordinator)[(OWN_SITE, "patient")]
        assert (own["completed"], own["started"], own["completion"], own["breakoff"]) == ("6", "11", "55%", "45%")
        # Nothing of the other ward anywhere on the coordinator's dashboard.
        assert OTHER_SITE not in coordinator.locator("main").inner_text()
        axe.check(coordinator, "dashboard (coordinator)")
        coordinator.screenshot(path=str(SCREENSHOTS / "walk-dashboard-tablet.png"), full_page=True)
        overflow = {"dashboard (tablet)": sideways_overflow(coordinator)}
        with coordinator.expect_download() as download:
            coordinator.locator(f"a[href='/workspace/studies/{fieldwork.study_id}/dashboard.csv']").click()
        table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert [(r["site"], r["completed"], r["started"]) for r in table] == [(OWN_SITE, "6", "11")]

        # The study page's per-site table says the same, for the coordinator's ward only.
        coordinator.goto(fieldwork.study_url)
        assert OTHER_SITE not in coordinator.locator("main").inner_text()
        per_site = table_rows(coordinator.get_by_role("table", name="Per site", exact=True))
        assert per_site == [[OWN_SITE, "11", "6", "55%"]], per_site
        # The ward's tablet, by its name, with what it started and completed.
        tablet_row = coordinator.locator("table.tablets tr", has=coordinator.get_by_role("rowheader", name="Nord dagligstue"))
        cells = table_cells(tablet_row)
        assert (cells[1], cells[4], cells[5]) == (OWN_SITE, "11", "6"), cells
        coordinator.screenshot(path=str(SCREENSHOTS / "walk-study-tablet.png"), full_page=True)
        overflow["study (tablet)"] = sideways_overflow(coordinator)

        # The researcher sees both wards.
        researcher.goto(f"{fieldwork.study_url}/dashboard")
        rows = _dashboard_rows(researcher)
        assert (rows[(OTHER_SITE, "patient")]["completed"], rows[(OTHER_SITE, "patient")]["of_target"]) == ("5", "50%")
        assert rows[(OWN_SITE, "patient")]["completed"] == "6"
    finally:
        for tablet in tablets:
            tablet.close()
        researcher.context.close()
        coordinator.context.close()

    # The same two pages on the coordinator's phone; on both devices, no sideways scrolling.
    phone = fieldwork.page_as(chromium, "coordinator", viewport=PHONE_VIEWPORT)
    try:
        for name, url in (("dashboard", f"{fieldwork.study_url}/dashboard"), ("study", fieldwork.study_url)):
            phone.goto(url)
            phone.screenshot(path=str(SCREENSHOTS / f"walk-{name}-phone.png"), full_page=True)
            axe.check(phone, f"{name} (coordinator, phone)")
            overflow[f"{name} (phone)"] = sideways_overflow(phone)
    finally:
        phone.context.close()
    assert axe.failures() == {}
    # Pixels each page is wider than the 1024 px tablet or the 390 px phone.
    assert overflow == dict.fromkeys(("dashboard (tablet)", "study (tablet)", "dashboard (phone)", "study (phone)"), 0)


def test_the_coordinator_names_a_tablet_and_revokes_it(fieldwork: Fieldwork, chromium: Any, axe: AxeLog) -> None:
    label = "Nord vagtstue ved vinduet"
    coordinator = fieldwork.page_as(chromium, "coordinator")
    tablet = None
    try:
        coordinator.goto(fieldwork.study_url)
        # A tablet needs a name: blanks are refused, the field marked and its message beside it.
        _enrolment_code_form(coordinator, fieldwork.sites[OWN_SITE], "   ")
        marked = coordinator.locator("input[name=label][aria-invalid=true]")
        assert marked.count() == 1
        message = coordinator.locator(f"#{marked.get_attribute('aria-describedby')}").inner_text()
        assert marked.get_attribute("id") == f"label-{fieldwork.sites[OWN_SITE]}" and "name" in message, message
        axe.check(coordinator, "study with a refused tablet name (coordinator)")
        code = _enrolment_code(coordinator, fieldwork.sites[OWN_SITE], label)
        # The code page names the ward and the tablet the code is for.
        assert label in coordinator.locator("h1").inner_text() and OWN_SITE in coordinator.locator("h1").inner_text()
        axe.check(coordinator, "codes (tablet enrolment)")
        tablet = WardTablet(chromium, fieldwork.base, code)
        assert tablet.welcome_ward() == "Afsnit Nord"
        assert tablet.start().status == 201

        coordinator.goto(fieldwork.study_url)
        row = coordinator.locator("table.tablets tr", has=coordinator.get_by_role("rowheader", name=label, exact=True))
        assert table_cells(row)[1] == OWN_SITE
        row.locator("button[type=submit]").click()
        coordinator.wait_for_url(re.compile(rf"/workspace/studies/{fieldwork.study_id}$"))
        row = coordinator.locator("table.tablets tr", has=coordinator.get_by_role("rowheader", name=label, exact=True))
        assert "revoked" in table_cells(row)[-1].lower(), table_cells(row)
        assert row.locator("button").count() == 0
        axe.check(coordinator, "study with a revoked tablet (coordinator)")

        # The revoked tablet can start no questionnaire, neither through the API nor on its screen.
        refused = tablet.start()
        assert refused.status == 401, refused.text()
        # Its welcome screen is no longer the ward's (the live server runs in demo mode, where
        # any browser gets the open demo welcome instead; elsewhere it says "not enrolled").
        assert tablet.welcome_ward() is None
    finally:
        if tablet is not None:
            tablet.close()
        coordinator.context.close()
    assert axe.failures() == {}


def test_the_coordinator_revokes_an_invitation_and_downloads_links(fieldwork: Fieldwork, chromium: Any, axe: AxeLog) -> None:
    coordinator = fieldwork.page_as(chromium, "coordinator")
    phone = new_page(chromium, viewport=PHONE_VIEWPORT, locale="da-DK", axe=False)
    try:
        coordinator.goto(fieldwork.study_url)
        # A coordinator's codes are for their own ward only.
        sites = coordinator.locator("#site option").evaluate_all("os => os.map(o => o.value)")
        assert sites == [str(fieldwork.sites[OWN_SITE])]
        coordinator.locator("#group").select_option("patient")
        coordinator.locator("#count").fill("3")
        with coordinator.expect_download() as download:
            coordinator.locator("button[formaction$='/invitations/csv']").click()
        assert download.value.suggested_filename == f"invitation-links-study-{fieldwork.study_id}.csv"
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert rows[0] == ["link", "group", "site", "expires"]
        links = [row[0] for row in rows[1:]]
        assert len(links) == 3 and len(set(links)) == 3
        link_pattern = rf"{re.escape(fieldwork.base)}/i/[A-HJKMNP-Z2-9]{{4}}(-[A-HJKMNP-Z2-9]{{4}}){{2}}"
        assert all(re.fullmatch(link_pattern, link) for link in links), links
        assert {(row[1], row[2]) for row in rows[1:]} == {("patient", OWN_SITE)}

        # The batch is listed (newest first, codes not kept); the coordinator revokes the newest.
        coordinator.goto(fieldwork.study_url)
        listed = table_rows(coordinator.locator("table.invitations"))
        newest = listed[:3]
        assert all([r[1].lower(), r[2], r[3], r[4]] == ["patient", OWN_SITE, listed[0][3], "0/1"] for r in newest), listed
        revoked_id = newest[0][0]
        row = coordinator.locator("table.invitations tr", has=coordinator.get_by_role("rowheader", name=revoked_id, exact=True))
        row.locator("button[type=submit]").click()
        coordinator.wait_for_url(re.compile(rf"/workspace/studies/{fieldwork.study_id}$"))
        after = {r[0]: r for r in table_rows(coordinator.locator("table.invitations"))}
        status = {number: after[number][-1].lower() for number in (r[0] for r in newest)}
        assert ["revoked" in text for text in status.values()] == [True, False, False], status
        axe.check(coordinator, "study with a revoked invitation (coordinator)")

        # On a phone, two links open the questionnaire's start and the revoked one is refused.
        opened = []
        for link in links:
            response = phone.goto(link)
            opened.append("refused" if response.status == 400 else "works" if re.search(r"/\?lang=da$", phone.url) else phone.url)
        assert sorted(opened) == ["refused", "works", "works"], opened

        # New codes as printable cards, and on screen (the only times codes are shown).
        coordinator.locator("#count").fill("2")
        coordinator.locator("button[formaction$='/invitations/print']").click()
        assert coordinator.locator(".print-card svg.qr").count() == 2
        axe.check(coordinator, "invitations print")
        coordinator.goto(fieldwork.study_url)
        coordinator.locator("#count").fill("2")
        _issue_on_screen(coordinator, fieldwork.study_id)
        assert coordinator.locator(".invitation-card svg.qr").count() == 2
        axe.check(coordinator, "codes (invitations on screen)")
    finally:
        phone.context.close()
        coordinator.context.close()
    assert axe.failures() == {}


@dataclass(frozen=True)
class _Edited:
    """The export as a researcher might hand-edit it: a copy with one wrong row, and the
    same copy corrected, both under a new study code (so an import would add a study)."""

    wrong: Path
    corrected: Path
    line: int
    respondents: int


def _edited(export: Path, folder: Path) -> _Edited:
    """data.csv and the questionnaires of the export, under study IMPORTED_STUDY; in the
    wrong copy, the last row names an item its questionnaire does not have."""
    with zipfile.ZipFile(export) as original:
        instruments = {n: original.read(n) for n in original.namelist() if n.startswith("instruments/")}
        rows = list(csv.reader(io.StringIO(original.read("data.csv").decode("utf-8"))))
    header = rows[0]
    assert len(rows) > 2, "the export holds no answers"
    for row in rows[1:]:
        row[header.index("study")] = IMPORTED_STUDY
    wrong_rows = [list(row) for row in rows]
    wrong_rows[-1][header.index("item")] = "no_such_item"

    def write(name: str, content: list[list[str]]) -> Path:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(content)
        with zipfile.ZipFile(folder / name, "w", compression=zipfile.ZIP_DEFLATED) as out:
            out.writestr("data.csv", text.getvalue())
            for member, data in instruments.items():
                out.writestr(member, data)
        return folder / name

    respondents = len({row[header.index("respondent")] for row in rows[1:]})
    # The last row's line in the file, the header being line 1.
    return _Edited(write("walk-wrong-row.zip", wrong_rows), write("walk-corrected.zip", rows), len(rows), respondents)


def test_an_import_with_a_wrong_row_names_the_row_and_stores_nothing_until_corrected(
    fieldwork: Fieldwork, chromium: Any, axe: AxeLog, tmp_path: Path
) -> None:
    admin = fieldwork.page_as(chromium, "admin")
    tablet = None
    try:
        # A third ward of its own, so this test's answers move no other test's counts.
        admin.goto(fieldwork.study_url)
        admin.locator("#site_code").fill(IMPORT_SITE)
        admin.locator("#site_name").fill("Afsnit Øst")
        admin.locator(f"form[action='/workspace/studies/{fieldwork.study_id}/sites'] button[type=submit]").click()
        site_id = admin.locator("#site option", has_text=IMPORT_SITE).get_attribute("value")
        tablet = WardTablet(chromium, fieldwork.base, _enrolment_code(admin, int(site_id), "Øst dagligstue"))
        tablet.respond(5)

        # The admin downloads the study's export from the export page.
        admin.locator("nav a[href='/workspace/export']").click()
        admin.locator("#study").select_option(STUDY_CODE)
        with admin.expect_download(timeout=60_000) as download:
            admin.locator("form[action='/workspace/export/'][method=post] button[type=submit]").click()
        edited = _edited(Path(download.value.path()), tmp_path)
        studies_before = _study_links(admin, fieldwork.base)
        admin.goto(f"{fieldwork.base}/workspace/export")
        axe.check(admin, "export (with history)")

        # The copy with the wrong row is refused, naming the row; nothing is stored.
        admin.locator("a[href='/workspace/import/']").click()
        admin.locator("#file").set_input_files(str(edited.wrong))
        admin.locator("form[action='/workspace/import/'] button[type=submit]").click()
        # The upload field is marked, and the refusal beside it names the row.
        marked = admin.locator("#file[aria-invalid=true]")
        refusal = admin.locator(f"#{marked.get_attribute('aria-describedby')}").inner_text()
        assert f"row {edited.line}:" in refusal and "no_such_item" in refusal, refusal
        axe.check(admin, "import (refused)")
        assert _study_links(admin, fieldwork.base) == studies_before
        admin.goto(f"{fieldwork.base}/workspace/import/")
        assert edited.wrong.name not in admin.locator("main").inner_text()

        # Corrected, the same file is imported: the report, the new study, the past import.
        admin.locator("#file").set_input_files(str(edited.corrected))
        admin.locator("form[action='/workspace/import/'] button[type=submit]").click()
        report = admin.get_by_role("status").locator("dd").all_inner_texts()
        assert report[:2] == [IMPORTED_STUDY, str(edited.respondents)], report
        axe.check(admin, "import (report)")
        assert edited.corrected.name in admin.locator("main").inner_text()
        assert len(_study_links(admin, fieldwork.base)) == len(studies_before) + 1
    finally:
        if tablet is not None:
            tablet.close()
        admin.context.close()
    assert axe.failures() == {}


def _study_links(page: Any, base: str) -> list[str]:
    page.goto(f"{base}/workspace/studies")
    return page.locator("main a[href^='/workspace/studies/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def _in_danish(english: str) -> str:
    """The workspace's Danish for an English text, from its catalogue."""
    from server.workspace.i18n import translations

    danish = translations("da").gettext(english)
    assert danish != english, f"no Danish for {english!r}"
    return danish


def _shows(page: Any, language: str) -> None:
    """The page is in `language`: its lang attribute and the words of its navigation."""
    assert page.locator("html").get_attribute("lang") == language
    studies = page.locator("nav a[href='/workspace/studies']").inner_text().strip()
    assert studies == ("Studies & fieldwork" if language == "en" else _in_danish("Studies & fieldwork"))


def _switch(page: Any, language: str) -> None:
    """Press the language switch in the navigation."""
    page.locator(f"nav form.language-switch button[name=language][value={language}]").click()
    page.wait_for_function(f"document.documentElement.lang === '{language}'")


def _every_page(page: Any, fieldwork: Fieldwork, numbers: list[int], axe: AxeLog, language: str) -> None:
    """Visit every workspace page an admin reaches, by its links and forms, running axe on each."""
    study = f"/workspace/studies/{fieldwork.study_id}"

    def check(name: str) -> None:
        axe.check(page, f"{name} ({language})")

    page.locator("nav a[href='/workspace/']").click()
    check("home")
    page.locator("nav a[href='/workspace/studies']").click()
    check("studies")
    page.locator(f"main a[href='{study}']").click()
    assert page.locator("table.tablets").count() == 1
    check("study")
    page.locator("#count").fill("1")
    _issue_on_screen(page, fieldwork.study_id)
    page.locator(".invitation-card").wait_for()
    check("codes (invitations)")
    page.goto(f"{fieldwork.base}{study}")
    page.locator("#count").fill("1")
    page.locator("button[formaction$='/invitations/print']").click()
    page.locator(".print-card").wait_for()
    check("invitations print")
    page.goto(f"{fieldwork.base}{study}")
    _enrolment_code(page, fieldwork.sites[OTHER_SITE], f"Syd reserve {language}")
    check("codes (tablet enrolment)")
    page.goto(f"{fieldwork.base}{study}")
    page.locator(f"a[href='{study}/dashboard']").click()
    check("dashboard")
    page.screenshot(path=str(SCREENSHOTS / f"walk-dashboard-{language}.png"), full_page=True)
    page.locator("nav a[href='/workspace/export']").click()
    check("export")
    page.locator("a[href='/workspace/import/']").click()
    check("import")
    page.locator("nav a[href='/workspace/admin/users']").click()
    check("users")
    page.locator("nav a[href='/workspace/admin/audit']").click()
    check("audit")
    page.locator("nav a[href='/workspace/publications/']").click()
    check("publications")
    page.locator(f"a[href='/workspace/publications/{numbers[1]}']").click()
    check("publication")
    page.locator("#compare").select_option(str(numbers[0]))
    page.locator("form.compare-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/diff/{numbers[1]}$|/diff/{numbers[0]}$"))
    check("publication diff")
    page.locator("nav a[href='/workspace/password']").click()
    check("password")


def test_the_workspace_switches_between_danish_and_english_and_every_page_passes_axe(
    fieldwork: Fieldwork, chromium: Any, axe: AxeLog
) -> None:
    numbers = [publication(fieldwork.database, seed=seed) for seed in (31, 32)]
    # A tablet without a name, so the study page's tablet list is there in both languages.
    enrolled_tablet(fieldwork.database, OTHER_SITE)
    # An admin of their own, so the language chosen here stays with this account.
    username, password = staff_account(fieldwork.database, "admin")
    page = new_page(chromium, locale="da-DK")
    try:
        # A Danish browser gets the login page in Danish.
        page.goto(f"{fieldwork.base}/workspace/login")
        assert page.locator("html").get_attribute("lang") == "da"
        axe.check(page, "login (da)")
        log_in(page, fieldwork.base, username, password)
        _shows(page, "da")
        _every_page(page, fieldwork, numbers, axe, "da")

        _switch(page, "en")
        _shows(page, "en")
        assert page.locator("main h1").inner_text() == "Change password"  # the switch stays on the page
        _every_page(page, fieldwork, numbers, axe, "en")

        # The choice is the account's: after logging out and in, still English.
        page.locator("nav form[action='/workspace/logout'] button").click()
        page.wait_for_url(re.compile(r"/workspace/login"))
        axe.check(page, "login (en)")
        log_in(page, fieldwork.base, username, password)
        _shows(page, "en")
        assert page.locator("main h1").inner_text() == "Workspace"

        _switch(page, "da")
        _shows(page, "da")
        assert page.locator("main h1").inner_text() == _in_danish("Workspace")
    finally:
        page.context.close()
    assert axe.failures() == {}
