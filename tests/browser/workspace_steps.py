"""Steps of people using the workspace in Chromium: log in through the form, run axe on the
page in view, read a table as it is shown, and a ward tablet enrolled through its own
enrolment page that answers questionnaires through the respondent API as the tablet's
pages do.

Selectors lean on ids, form actions and links rather than on words where the words are
translated (the workspace speaks Danish and English), so the same steps serve both.
"""

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: A ward tablet in landscape, and a phone.
TABLET_VIEWPORT = {"width": 1024, "height": 768}
PHONE_VIEWPORT = {"width": 390, "height": 844}
#: axe impacts that fail a page.
FAILING_IMPACTS = ("serious", "critical")
#: Every walk-through respondent rates the first measure here (0-100) and answers nothing
#: else, so they share every quasi-identifier an export's k-anonymity looks at.
RATING = 50


def axe_source() -> str:
    """axe-core as shipped by the axe-playwright-python wheel (the app never serves it)."""
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-core not installed: pip install axe-playwright-python (it ships axe.min.js)")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@functools.cache
def axe_in_every_page() -> str:
    """axe-core's source, read once per test process: given to each context as an init
    script, it is in every page from the start (cheaper than injecting it before each check)."""
    return axe_source()


def new_page(
    chromium: Any,
    viewport: dict[str, int] = TABLET_VIEWPORT,
    locale: str = "en-GB",
    storage_state: dict | None = None,
    axe: bool = True,
) -> Any:
    """A fresh page in its own context (own cookies, or those of `storage_state`), with axe
    loaded in every page unless `axe` is False. CSP is bypassed only so axe can run;
    tests/browser/test_content_security.py checks the policy itself."""
    context = chromium.new_context(
        viewport=viewport, has_touch=True, locale=locale, bypass_csp=axe, storage_state=storage_state
    )
    context.set_default_timeout(10_000)
    if axe:
        context.add_init_script(axe_in_every_page())
    return context.new_page()


def log_in(page: Any, base: str, username: str, password: str) -> None:
    """Sign in through the login form, as a person does, and land on the workspace's home."""
    page.goto(f"{base}/workspace/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form[action='/workspace/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/workspace/?$"))


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def table_rows(table: Any) -> list[list[str]]:
    """The body rows of a table (a locator), as the cells' visible texts."""
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )


def table_cells(row: Any) -> list[str]:
    """The visible texts of one table row's cells."""
    return row.evaluate("r => Array.from(r.cells).map(c => c.innerText.trim())")


@dataclass
class AxeLog:
    """axe-core's serious and critical violations per page visited, for one failure listing all."""

    found: dict[str, list[dict]] = field(default_factory=dict)

    def check(self, page: Any, name: str) -> None:
        """Run axe on the page in view (a page of `new_page`) and keep its serious and
        critical violations under `name`."""
        page.wait_for_load_state()
        result = json.loads(page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"))
        self.found[name] = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in FAILING_IMPACTS
        ]

    def failures(self) -> dict[str, list[dict]]:
        """Pages with at least one serious or critical violation."""
        return {name: found for name, found in self.found.items() if found}


class WardTablet:
    """A ward tablet in its own browser context, enrolled with a code the workspace issued,
    typed into the tablet's enrolment page; it keeps only its token cookie."""

    def __init__(self, chromium: Any, base: str, code: str) -> None:
        self.base = base
        self.page = new_page(chromium, locale="da-DK", axe=False)
        self.page.goto(f"{base}/tablet/kiosk")
        self.page.locator("#code").fill(code)
        self.page.locator("form[action='/tablet/kiosk'] button[type=submit]").click()
        # Enrolled: the page offers the first respondent's clean start.
        self.page.locator("a[href^='/tablet/kiosk/reset']").wait_for()

    def welcome_ward(self) -> str | None:
        """The ward the tablet's welcome screen names as its own (None: it is no ward's tablet)."""
        self.page.goto(f"{self.base}/")
        shown = self.page.locator("p.site-name")
        return shown.inner_text().strip() if shown.count() else None

    def start(self) -> Any:
        """Start a patient's questionnaire with the tablet's credential (its cookie); the answer as returned."""
        body = {"group": "patient", "language": "da", "consent": True}
        return self.page.request.post(f"{self.base}/api/v1/responses", data=body, fail_on_status_code=False)

    def respond(self, count: int, submit: bool = True) -> None:
        """`count` patients start; each rates the first measure and, if `submit`, submits."""
        for _ in range(count):
            started = self.start()
            assert started.status == 201, started.text()
            body = started.json()
            headers = {"x-session-key": body["session_key"]}
            if not submit:
                continue
            item = next(i["code"] for i in body["items"] if i["kind"] == "rating")
            url = f"{self.base}/api/v1/responses/{body['id']}"
            saved = self.page.request.put(f"{url}/answers/{item}", data={"value": RATING}, headers=headers)
            assert saved.status == 200, saved.text()
            assert self.page.request.post(f"{url}/submit", headers=headers).status == 200

    def close(self) -> None:
        """Put the tablet away."""
        self.page.context.close()
