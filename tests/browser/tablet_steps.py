"""Steps a respondent takes on the tablet, shared by the browser tests."""

import json
import re
import sqlite3
import uuid
from pathlib import Path

import msgspec

from server.respondent.answer_store import decode_value
from surveys.routing import RouteStep, visible_codes

ITEM_URL = re.compile(r"/tablet/questions/\d+$")
END_URL = re.compile(r"/tablet/questions/end$")

#: How far the page reaches past the right edge of the window (0 when it does not scroll
#: sideways), at normal text and at the largest size: the classes the text-size control sets.
OVERFLOW = """() => {
    const root = document.documentElement;
    return ['', 'text-3'].map(size => {
        root.classList.remove('text-1', 'text-2', 'text-3');
        if (size) { root.classList.add(size); }
        return root.scrollWidth - window.innerWidth;
    });
}"""

#: The database behind each live server's address (`conftest.live_server` fills it in).
DATABASES: dict[str, Path] = {}


def enrol_kiosk(page, base: str, code: str) -> None:
    """Enrol this browser as a ward tablet by typing `code` on the kiosk page."""
    page.goto(f"{base}/tablet/kiosk")
    page.get_by_label("Tilmeldingskode").fill(code)
    page.get_by_role("button", name="Tilmeld").click()
    page.get_by_text("Denne tablet er nu tilmeldt").wait_for()


def response_id(page) -> str:
    """The questionnaire id in the current item page's URL."""
    return page.locator("form.item-form").get_attribute("data-response-id")


def index(page) -> int:
    """The current item's position."""
    return int(page.locator("form.item-form").get_attribute("data-index"))


def consent(page, yes: bool = True) -> None:
    """Answer the consent screen."""
    page.get_by_role("heading", name=re.compile("Før du begynder|Before you start")).wait_for()
    page.get_by_role("button" if yes else "link", name=re.compile("Ja, jeg vil gerne svare|Yes, I want to answer|Nej tak|No thanks")).click()


def start_questionnaire(page, base: str) -> str:
    """From the open welcome screen through consent to the first question; its questionnaire id."""
    page.goto(f"{base}/")
    page.get_by_role("button", name=re.compile("^Start$")).click()
    consent(page)
    page.wait_for_url(ITEM_URL)
    return response_id(page)


def skip_until(page, attribute: str, wanted: str) -> None:
    """Skip items until one whose `data-<attribute>` is `wanted` is on screen."""
    while page.locator("form.item-form").get_attribute(f"data-{attribute}") != wanted:
        press(page, "Spring over")


def wait_for_index(page, wanted: int) -> None:
    """Wait until the item at `wanted` is on screen (pages may be swapped in without a load)."""
    page.wait_for_function(
        "n => { const f = document.querySelector('form.item-form'); return f && Number(f.dataset.index) === n; }",
        arg=wanted,
    )


def press(page, name: str) -> None:
    """Press a button on an item screen and wait for the next screen and, while online,
    for the answer to reach the server (the device shows the next screen at once and
    sends the answer behind it)."""
    before = index(page)
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_function(
        "n => { const f = document.querySelector('form.item-form'); return !f || Number(f.dataset.index) !== n; }", arg=before
    )
    page.wait_for_function(
        "() => !navigator.onLine || !(window.leastmeans && window.leastmeans.pendingAnswers)"
        " || window.leastmeans.pendingAnswers() === 0"
    )


def skip_to_end(page, skip: str = "Spring over") -> int:
    """Skip every remaining item; return how many screens were skipped."""
    count = 0
    while page.locator("form.item-form").count():
        press(page, skip)
        count += 1
    page.wait_for_url(END_URL)
    return count


def stored(base: str, rid: str) -> dict | None:
    """The questionnaire as the server's database holds it (None once deleted).

    Read from the database, not the API: the API shows a session only to the device that
    holds its key, and never after submit.
    """
    with sqlite3.connect(DATABASES[base]) as connection:
        connection.row_factory = sqlite3.Row
        # Piccolo stores UUIDs as text with dashes.
        session = connection.execute(
            "SELECT r.respondent_group, r.language, r.submitted_at, r.released_at, v.instrument"
            " FROM response r JOIN instrument_version v ON v.id = r.instrument_version WHERE r.id = ?",
            (str(uuid.UUID(rid)),),
        ).fetchone()
        if session is None:
            return None
        rows = connection.execute("SELECT item, value, missing FROM answer WHERE response = ? ORDER BY id", (str(uuid.UUID(rid)),))
        answers = {
            row["item"]: {"item": row["item"], "value": decode_value(row["value"]), "missing": row["missing"]}
            for row in rows
        }
    return {
        "group": session["respondent_group"],
        "language": session["language"],
        "instrument": session["instrument"],
        "submitted_at": session["submitted_at"],
        "released_at": session["released_at"],
        "answers": answers,
    }


def asked(page, stored_answers: dict | None = None) -> list[str]:
    """The item codes the questionnaire on screen asks, under the server's own skip rules
    (works with scripts off too): its embedded route plan with the answers the page was
    rendered with, or with `stored_answers` (from `stored`) once more were given."""
    bundle = json.loads(page.locator("#lm-questionnaire").text_content())
    plan = msgspec.convert(bundle["plan"], list[RouteStep])
    if stored_answers is None:
        answers = {code: (value, missing) for code, (value, missing) in bundle["answers"].items()}
    else:
        answers = {code: (answer["value"], answer["missing"]) for code, answer in stored_answers.items()}
    return visible_codes(plan, answers)
