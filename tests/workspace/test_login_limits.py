"""Login limits cannot be turned against users: bursts check few passwords, a stranger's
failures do not lock the real admin out, stores hold no client address, anonymous page
views store no session, and weak passwords are refused with the estimator's reasons.

Each test runs on SQLite and PostgreSQL with the database store, and on Redis.
"""

import asyncio
import datetime as dt
import ipaddress
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.connection import ASGIConnection
from piccolo.engine.base import Engine

from server import client_identity
from server.app import create_app
from server.storage.workspace_tables import StaffUser, StoreEntry
from server.workspace import store as store_module
from server.workspace import throttle, users
from server.workspace.config import CSRF_COOKIE, SESSION_COOKIE
from server.workspace.roles import Role
from server.workspace.store import DatabaseStore, count_hit
from server.workspace.users import create_user
from tests.conftest import flush_redis, running
from tests.workspace.conftest import PASSWORD, csrf_headers, login

REDIS_URL = "redis://127.0.0.1:6379/11"
STRANGER, ADMIN_DESK, IPV6_GUESSER = "203.0.113.7", "198.51.100.20", "2001:db8:5:7::42"


@dataclass
class Limits:
    """A running app, which store it uses, and clients at chosen addresses."""

    app: Litestar
    kind: str
    made: list[httpx.AsyncClient]

    def at(self, address: str) -> httpx.AsyncClient:
        """A client whose requests come from `address` (its own cookie jar)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50123))
        made = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.made.append(made)
        return made


@pytest.fixture
async def limits(store_kind: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Limits]:
    """The app on the database store (SQLite, PostgreSQL) or on Redis (with SQLite)."""
    if store_kind == "redis":
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        await flush_redis(REDIS_URL)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("LEASTMEANS_TRUSTED_PROXIES", raising=False)
    # Every test starts from a clean purge clock, so purges happen as in a fresh process.
    monkeypatch.setattr(store_module, "_last_purge", 0.0)
    app = create_app(engine=engine)
    limits = Limits(app=app, kind=store_kind, made=[])
    async with running(app):
        yield limits
        for made in limits.made:
            await made.aclose()
    if store_kind == "redis":
        await flush_redis(REDIS_URL)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the login actually verified, in order."""
    checked: list[str] = []
    verify = users.verify_password

    def counting(stored_hash: str | None, password: str) -> bool:
        checked.append(password)
        return verify(stored_hash, password)

    monkeypatch.setattr(users, "verify_password", counting)
    return checked


async def _form(client: httpx.AsyncClient) -> str:
    assert (await client.get("/workspace/login")).status_code == 200
    return client.cookies.get(CSRF_COOKIE) or ""


async def _post_login(client: httpx.AsyncClient, token: str, username: str, password: str) -> httpx.Response:
    return await client.post("/workspace/login", data={"username": username, "password": password, "_csrf_token": token})


async def test_a_parallel_burst_checks_at_most_the_allowed_number_of_passwords(
    limits: Limits, password_checks: list[str]
) -> None:
    admin = (await create_user("chief-admin", PASSWORD, Role.ADMIN.value)).username
    burst = limits.at(STRANGER)
    token = await _form(burst)
    answers = await asyncio.gather(*[_post_login(burst, token, admin, f"guess number {n}") for n in range(64)])
    assert {a.status_code for a in answers} <= {401, 429}
    # The free failures, then one turn for this client; everything else waits.
    assert len(password_checks) <= throttle.FREE_FAILURES + 1, len(password_checks)
    refused = [a for a in answers if a.status_code == 429]
    assert refused and all(int(a.headers["retry-after"]) >= 1 for a in refused)

    # Spread over many usernames, one client still checks at most its own cap.
    password_checks.clear()
    spread = limits.at("203.0.113.8")
    token = await _form(spread)
    answers = await asyncio.gather(*[_post_login(spread, token, f"someone-{n}", "a guess of mine") for n in range(64)])
    assert len(password_checks) <= throttle.CLIENT_MAX_FAILURES, len(password_checks)
    assert sum(a.status_code == 429 for a in answers) >= 64 - throttle.CLIENT_MAX_FAILURES


async def test_a_strangers_failures_do_not_lock_the_real_admin_out(limits: Limits, password_checks: list[str]) -> None:
    admin = (await create_user("chief-admin", PASSWORD, Role.ADMIN.value)).username
    stranger = limits.at(STRANGER)
    token = await _form(stranger)
    answers = [await _post_login(stranger, token, admin, f"guess {n}") for n in range(40)]
    assert answers[-1].status_code == 429  # the stranger is slowed down

    # The admin, at another desk, logs in at once with the right password...
    desk = limits.at(ADMIN_DESK)
    assert (await login(desk, admin)).status_code == 303
    assert (await desk.get("/workspace/")).status_code == 200
    # ...and even after a typo of their own, waits no longer than the bounded delay.
    other_desk = limits.at("198.51.100.21")
    typo = await login(other_desk, admin, "correct horse battery stapel")
    after = await login(other_desk, admin)
    if after.status_code == 429:
        assert int(after.headers["retry-after"]) <= throttle.MAX_DELAY_S
    else:
        assert typo.status_code == 401 and after.status_code == 303


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    limits: Limits, password_checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = (await create_user("chief-admin", PASSWORD, Role.ADMIN.value)).username
    # No proxy trusted: a made-up X-Forwarded-For does not buy a fresh identity.
    spoofer = limits.at(STRANGER)
    token = await _form(spoofer)
    for n in range(throttle.CLIENT_MAX_FAILURES + 5):
        await spoofer.post(
            "/workspace/login",
            data={"username": f"nobody-{n}", "password": "a guess of mine", "_csrf_token": token},
            headers={"x-forwarded-for": f"192.0.2.{n}"},
        )
    assert len(password_checks) == throttle.CLIENT_MAX_FAILURES

    # Behind a declared proxy, the clients it forwards are told apart by the right-most
    # hop it appended; what the client itself put further left is ignored.
    monkeypatch.setenv("LEASTMEANS_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    proxy = limits.at("127.0.0.1")
    token = await _form(proxy)
    for n in range(40):
        await proxy.post(
            "/workspace/login",
            data={"username": admin, "password": f"guess {n}", "_csrf_token": token},
            headers={"x-forwarded-for": f"{ADMIN_DESK}, {STRANGER}, 10.1.2.3"},
        )
    desk = limits.at("127.0.0.1")
    await _form(desk)
    answer = await desk.post(
        "/workspace/login",
        data={"username": admin, "password": PASSWORD, "_csrf_token": desk.cookies.get(CSRF_COOKIE)},
        headers={"x-forwarded-for": f"{ADMIN_DESK}, 10.9.9.9"},
    )
    assert answer.status_code == 303


def _connection(peer: str, forwarded: str | None) -> ASGIConnection:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return ASGIConnection({"type": "http", "client": (peer, 1), "headers": headers, "path": "/", "query_string": b""})  # type: ignore[arg-type]


def test_client_address_takes_the_right_most_untrusted_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEASTMEANS_TRUSTED_PROXIES", raising=False)
    assert client_identity.client_address(_connection("10.0.0.5", "203.0.113.9")) == "10.0.0.5"
    monkeypatch.setenv("LEASTMEANS_TRUSTED_PROXIES", "10.0.0.0/8 ::1")
    assert client_identity.client_address(_connection("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.7")) == "203.0.113.9"
    assert client_identity.client_address(_connection("10.0.0.5", None)) == "10.0.0.5"
    assert client_identity.client_address(_connection("192.0.2.1", "203.0.113.9")) == "192.0.2.1"  # peer not trusted
    assert client_identity.client_address(_connection("::1", "[2001:db8::1]:443")) == "2001:db8::1"
    # One IPv6 host owns its whole /64: addresses within it share one key.
    same = client_identity.client_key(_connection("2001:db8:0:1::1", None))
    assert same == client_identity.client_key(_connection("2001:db8:0:1::ffff", None))
    assert same != client_identity.client_key(_connection("2001:db8:0:2::1", None))
    monkeypatch.setenv("LEASTMEANS_TRUSTED_PROXIES", "proxy.internal")
    with pytest.raises(ValueError, match="LEASTMEANS_TRUSTED_PROXIES"):
        client_identity.client_address(_connection("10.0.0.5", None))


def _is_postgres() -> bool:
    return StoreEntry._meta.db.engine_type == "postgres"


async def _stored_keys_and_values(limits: Limits) -> list[tuple[str, bytes, float | None]]:
    """Every stored (key, value, seconds to expiry or None) of the database store, and of
    Redis when the app uses it."""
    rows = await StoreEntry.select(StoreEntry.key, StoreEntry.value, StoreEntry.expires_at)
    found = [(row["key"], bytes(row["value"] or b""), 0.0 if row["expires_at"] else None) for row in rows]
    if limits.kind == "redis":
        connection = aioredis.from_url(REDIS_URL)
        try:
            for key in await connection.keys("*"):
                value = await connection.get(key)
                ttl = await connection.ttl(key)
                found.append((key.decode(), value or b"", float(ttl) if ttl >= 0 else None))
        finally:
            await connection.aclose()
    return found


async def test_no_client_address_is_kept_in_any_store_key_or_value(limits: Limits) -> None:
    admin = (await create_user("chief-admin", PASSWORD, Role.ADMIN.value)).username
    assert (await login(limits.at(ADMIN_DESK), admin)).status_code == 303
    for address in (STRANGER, IPV6_GUESSER):
        guesser = limits.at(address)
        token = await _form(guesser)
        for n in range(8):
            await _post_login(guesser, token, admin, f"guess {n}")
        for _ in range(3):
            await guesser.post("/tablet/resume", data={"code": "ABCDEFGH", "language": "en"})

    stored = await _stored_keys_and_values(limits)
    forbidden = [STRANGER, ADMIN_DESK, IPV6_GUESSER, "2001:db8:5:7", "2001:0db8"]
    packed = [ipaddress.ip_address(a).packed for a in (STRANGER, ADMIN_DESK, IPV6_GUESSER)]
    for key, value, _ in stored:
        assert not any(text in key for text in forbidden), key
        assert not any(text.encode() in value for text in forbidden), key
        assert not any(raw in value or raw in key.encode("latin-1") for raw in packed), key
        assert admin not in key  # usernames are keyed hashes too
    throttle_entries = [entry for entry in stored if "login:" in entry[0] or "resume:client" in entry[0]]
    assert throttle_entries, "the limits stored nothing to look at"
    # Every limit key goes away by itself.
    assert all(expiry is not None for _, _, expiry in throttle_entries)


async def test_expired_rows_are_purged_by_later_writes_without_any_login(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DatabaseStore().with_namespace("workspace_throttle")
    monkeypatch.setattr(store_module, "_last_purge", 0.0)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    await StoreEntry.insert(StoreEntry(key="workspace:workspace_throttle:login:client:old:1", value=b"3", expires_at=past))
    assert await count_hit(store, "login:client:new:2", 60) == 1
    keys = {row["key"] for row in await StoreEntry.select(StoreEntry.key)}
    assert keys == {"workspace:workspace_throttle:login:client:new:2"}


async def test_anonymous_visits_to_the_login_page_store_no_session(limits: Limits) -> None:
    admin = (await create_user("chief-admin", PASSWORD, Role.ADMIN.value)).username
    visitor = limits.at(STRANGER)
    # 2,000 visits on the stores that answer fastest; PostgreSQL's store code is the
    # same as SQLite's, so fewer visits there show the same.
    visits = 500 if _is_postgres() else 2000
    for start in range(0, visits, 50):
        pages = await asyncio.gather(*[visitor.get("/workspace/login") for _ in range(50)])
        assert all(p.status_code == 200 for p in pages), start
        assert not any(SESSION_COOKIE in p.headers.get("set-cookie", "") for p in pages)
    # Neither do anonymous requests to pages that need a login.
    assert (await visitor.get("/workspace/admin/users")).status_code == 303
    stored = await _stored_keys_and_values(limits)
    assert not [key for key, _, _ in stored if "session" in key]
    # The login form still works without a stored session (signed double-submit CSRF cookie).
    assert (await login(visitor, admin)).status_code == 303
    stored = await _stored_keys_and_values(limits)
    assert len([key for key, _, _ in stored if "session" in key]) == 1
    # Logging out ends it on the server.
    assert (await visitor.post("/workspace/logout", headers=csrf_headers(visitor))).status_code == 303
    stored = await _stored_keys_and_values(limits)
    assert not [key for key, _, _ in stored if "session" in key]


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", " " * 12, "Password1234"])
async def test_weak_passwords_are_refused_for_an_admin_naming_the_field(
    weak: str, as_role: Callable, client: httpx.AsyncClient
) -> None:
    admin = await as_role(Role.ADMIN)
    refused = await admin.post(
        "/workspace/admin/users",
        data={"username": "second-admin", "password": weak, "role": "admin"},
        headers=csrf_headers(admin),
    )
    assert refused.status_code == 400
    assert "password: is too easy to guess" in refused.text
    assert "Add another word or two" in refused.text  # the estimator's own advice
    assert not await StaffUser.exists().where(StaffUser.username == "second-admin")

    changed = await admin.post(
        "/workspace/password",
        data={"current_password": PASSWORD, "new_password": weak, "repeat_password": weak},
        headers=csrf_headers(admin),
    )
    assert changed.status_code == 400 and "new_password: is too easy to guess" in changed.text


async def test_admins_need_a_stronger_password_than_other_accounts(as_role: Callable) -> None:
    admin = await as_role(Role.ADMIN)
    fair = "tulipgarden7"  # zxcvbn score 3: enough for a researcher, not for an admin
    made = await admin.post(
        "/workspace/admin/users", data={"username": "res-two", "password": fair, "role": "researcher"}, headers=csrf_headers(admin)
    )
    assert made.status_code == 303
    refused = await admin.post(
        "/workspace/admin/users", data={"username": "adm-two", "password": fair, "role": "admin"}, headers=csrf_headers(admin)
    )
    assert refused.status_code == 400 and "admin account needs 4" in refused.text
