"""Workspace fixtures: one account per role and logged-in clients for each."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from server.workspace.config import CSRF_COOKIE
from server.workspace.roles import Role
from server.workspace.users import create_user

PASSWORD = "correct horse battery staple"
#: Test clients read the workspace in English, its source language: without an
#: Accept-Language header a page is Danish. test_workspace_language.py covers Danish.
ENGLISH = {"Accept-Language": "en"}


def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """The double-submit header matching the client's CSRF cookie."""
    return {"x-csrftoken": client.cookies.get(CSRF_COOKIE) or ""}


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Fetch the login form (sets the CSRF cookie) and post the credentials; the client
    asks for English unless it already names a language."""
    client.headers.setdefault("Accept-Language", ENGLISH["Accept-Language"])
    form = await client.get("/workspace/login")
    assert form.status_code == 200, form.text
    return await client.post(
        "/workspace/login",
        data={"username": username, "password": password, "_csrf_token": client.cookies.get(CSRF_COOKIE)},
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in tests; production keeps argon2-cffi's defaults."""
    from argon2 import PasswordHasher

    from server.workspace import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
async def accounts(client: httpx.AsyncClient) -> dict[Role, str]:
    """One active account per role; username = role value + '-user'."""
    names = {}
    for role in Role:
        made = await create_user(f"{role.value}-user", PASSWORD, role.value)
        names[role] = made.username
    return names


@pytest.fixture
async def new_client(client: httpx.AsyncClient) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    """Make further clients (own cookie jars) on the same running app."""
    made: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver", headers=ENGLISH)
        made.append(other)
        return other

    yield make
    for other in made:
        await other.aclose()


@pytest.fixture
async def as_role(accounts: dict[Role, str], new_client: Callable[[], httpx.AsyncClient]) -> Callable:
    """`await as_role(Role.ADMIN)` -> a client logged in with that role."""

    async def make(role: Role) -> httpx.AsyncClient:
        other = new_client()
        response = await login(other, accounts[role])
        assert response.status_code == 303, response.text
        return other

    return make
