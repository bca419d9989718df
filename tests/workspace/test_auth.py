"""Login, sessions, CSRF, lockout, password change and `leastmeans createuser`."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server.storage.workspace_tables import AuditEntry
from server.workspace.config import SESSION_COOKIE
from server.workspace.roles import Role
from server.workspace import throttle
from tests.workspace.conftest import PASSWORD, csrf_headers, login


async def test_login_sets_a_hardened_server_side_session_and_logout_ends_it(
    accounts: dict[Role, str], new_client: Callable
) -> None:
    client = new_client()
    response = await login(client, accounts[Role.RESEARCHER])
    assert response.status_code == 303 and response.headers["location"] == "/workspace/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Secure" not in cookie  # plain http here
    # The cookie holds a random id only; the user id lives on the server.
    assert "uid" not in cookie
    assert (await client.get("/workspace/")).status_code == 200
    out = await client.post("/workspace/logout", headers=csrf_headers(client))
    assert out.status_code == 303
    assert (await client.get("/workspace/")).status_code == 303


async def test_posts_without_a_csrf_token_are_refused(accounts: dict[Role, str], new_client: Callable) -> None:
    client = new_client()
    await client.get("/workspace/login")
    refused = await client.post("/workspace/login", data={"username": accounts[Role.ADMIN], "password": PASSWORD})
    assert refused.status_code == 403
    assert (await login(client, accounts[Role.ADMIN])).status_code == 303
    for path, body in [("/workspace/studies/", {"code": "s", "name": "S"}), ("/workspace/logout", {})]:
        assert (await client.post(path, data=body)).status_code == 403
        forged = await client.post(path, data={**body, "_csrf_token": "forged"})
        assert forged.status_code == 403
    assert (await client.get("/workspace/")).status_code == 200  # still logged in


async def test_respondent_api_needs_no_csrf_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/responses", json={"study": "nope"})
    assert response.status_code != 403


async def test_repeated_failures_slow_the_username_down_even_for_the_right_password(
    accounts: dict[Role, str], new_client: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "delay_for", lambda failures: 30.0 if failures > throttle.FREE_FAILURES else 0.0)
    client = new_client()
    name = accounts[Role.ADMIN]
    for _ in range(throttle.FREE_FAILURES + 1):
        assert (await login(client, name, "wrong password, sorry")).status_code == 401
    slowed = await login(client, name, PASSWORD)
    assert slowed.status_code == 429 and 1 <= int(slowed.headers["retry-after"]) <= 30
    assert "Try again in" in slowed.text
    # Another username is not affected.
    assert (await login(new_client(), accounts[Role.RESEARCHER])).status_code == 303
    failed = await AuditEntry.select().where(AuditEntry.action == "login_failed")
    assert len(failed) == throttle.FREE_FAILURES + 1 and all(row["actor"] == name for row in failed)
    assert not any("wrong password" in str(row) for row in await AuditEntry.select())
    assert await AuditEntry.count().where(AuditEntry.action == "login_locked") == 1


async def test_password_change_ends_other_sessions(accounts: dict[Role, str], new_client: Callable) -> None:
    first, second = new_client(), new_client()
    name = accounts[Role.COORDINATOR]
    await login(first, name)
    await login(second, name)
    weak = await first.post(
        "/workspace/password",
        data={"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
        headers=csrf_headers(first),
    )
    assert weak.status_code == 400 and "at least 12" in weak.text
    new = "a much longer new passphrase"
    changed = await first.post(
        "/workspace/password",
        data={"current_password": PASSWORD, "new_password": new, "repeat_password": new},
        headers=csrf_headers(first),
    )
    assert changed.status_code == 303
    assert (await second.get("/workspace/")).status_code == 303
    assert (await login(new_client(), name, new)).status_code == 303


def test_createuser_makes_the_first_admin_with_an_argon2_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    run = lambda *args, stdin="": subprocess.run(  # noqa: E731
        [str(Path(sys.executable).parent / "leastmeans"), *args], input=stdin, capture_output=True, text=True, env=env, cwd=Path.cwd()
    )
    assert run("migrate").returncode == 0
    weak = run("createuser", "boss", "--password-stdin", stdin="short\n")
    assert weak.returncode != 0 and "password" in weak.stderr
    made = run("createuser", "boss", "--password-stdin", stdin="a sufficiently long one\n")
    assert made.returncode == 0, made.stderr
    assert "created admin 'boss'" in made.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        role, password_hash = db.execute("SELECT role, password_hash FROM staff_user").fetchone()
        actions = [r[0] for r in db.execute("SELECT action FROM audit_entry")]
    assert role == "admin" and password_hash.startswith("$argon2id$")
    assert actions == ["user_created"]
