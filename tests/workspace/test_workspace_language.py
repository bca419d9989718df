"""The workspace in Danish and English: every marked string has Danish, no page shows the
other language's words, the `lang` attribute follows, and the choice sticks to the user."""

from collections.abc import Callable

import httpx
import pytest
import tinyhtml5

from server.workspace.i18n import LANGUAGE_COOKIE
from server.workspace.i18n_catalogue import danish, extracted, problems
from server.workspace.roles import Role
from tests.workspace.conftest import PASSWORD, accounts, as_role, csrf_headers, fast_password_hashing, login, new_client  # noqa: F401  (fixtures)

H = "{http://www.w3.org/1999/xhtml}"
ONE_DATABASE = pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)


def _lang(page: httpx.Response) -> str | None:
    return tinyhtml5.parse(page.text).get("lang")


def test_every_marked_string_has_danish_with_the_same_placeholders() -> None:
    found = problems(extracted(), danish())
    assert not found, "run `.venv/bin/python -m server.workspace.i18n_catalogue` and translate:\n" + "\n".join(found)


@ONE_DATABASE
@pytest.mark.parametrize(
    ("accept_language", "language", "log_in"),
    [(None, "da", "Log ind"), ("da-DK,da;q=0.9,en;q=0.8", "da", "Log ind"), ("en-GB,en;q=0.9,da;q=0.5", "en", "Log in"), ("de-DE", "da", "Log ind")],
)
async def test_the_browser_language_picks_the_login_page_language(
    new_client: Callable, accept_language: str | None, language: str, log_in: str
) -> None:
    browser = new_client()
    browser.headers.pop("Accept-Language", None)
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = await browser.get("/workspace/login", headers=headers)
    assert _lang(page) == language
    assert f">{log_in}</h1>" in page.text


@ONE_DATABASE
async def test_the_switch_on_the_login_page_is_remembered_by_the_browser(new_client: Callable) -> None:
    browser = new_client()
    await browser.get("/workspace/login", headers={"Accept-Language": "en"})
    switched = await browser.post(
        "/workspace/language", data={"language": "da", "next": "/workspace/login"}, headers=csrf_headers(browser)
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/workspace/login"
    assert browser.cookies.get(LANGUAGE_COOKIE) == "da"
    page = await browser.get("/workspace/login", headers={"Accept-Language": "en"})
    assert _lang(page) == "da" and "Forkert" not in page.text and ">Log ind</h1>" in page.text


@ONE_DATABASE
async def test_the_switch_refuses_other_languages_and_foreign_return_addresses(new_client: Callable) -> None:
    browser = new_client()
    await browser.get("/workspace/login")
    refused = await browser.post("/workspace/language", data={"language": "sv"}, headers=csrf_headers(browser))
    assert refused.status_code == 400 and "language" in refused.text
    elsewhere = await browser.post(
        "/workspace/language", data={"language": "en", "next": "https://example.org/"}, headers=csrf_headers(browser)
    )
    assert elsewhere.headers["location"] == "/workspace/"


async def test_the_users_choice_is_kept_across_logins_and_browsers(
    accounts: dict[Role, str], new_client: Callable
) -> None:
    first = new_client()
    assert (await login(first, accounts[Role.RESEARCHER])).status_code == 303
    home = await first.get("/workspace/")
    assert _lang(home) == "en" and "Signed in as" in home.text
    switched = await first.post("/workspace/language", data={"language": "da", "next": "/workspace/"}, headers=csrf_headers(first))
    assert switched.headers["location"] == "/workspace/"
    home = await first.get("/workspace/")
    assert _lang(home) == "da" and "Logget ind som" in home.text and "forsker" in home.text
    await first.post("/workspace/logout", headers=csrf_headers(first))

    # Another browser that asks for English: the account's choice wins once signed in.
    second = new_client()
    assert second.headers["Accept-Language"] == "en"
    assert (await login(second, accounts[Role.RESEARCHER], PASSWORD)).status_code == 303
    home = await second.get("/workspace/")
    assert _lang(home) == "da" and "Logget ind som" in home.text
    # A refusal speaks the user's language too.
    refused = await second.get("/workspace/admin/users")
    assert refused.status_code == 403 and "må ikke bruge denne side" in refused.text
