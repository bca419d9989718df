"""Session and CSRF cookie settings, and the Redis store used when REDIS_URL is set."""

import asyncio
import socket

import pytest

from server.workspace.config import CSRF_EXCLUDE, SESSION_STORE, WorkspaceSettings


def test_cookies_are_secure_over_https_and_http_only_always() -> None:
    https = WorkspaceSettings(secret_key="x" * 32, redis_url=None, https=True)
    plain = WorkspaceSettings(secret_key="x" * 32, redis_url=None, https=False)
    assert https.session_config().secure and https.csrf_config().cookie_secure
    assert not plain.session_config().secure
    for settings in (https, plain):
        session = settings.session_config()
        assert session.httponly and session.samesite == "strict"
    assert any(p.startswith("^/api/") for p in CSRF_EXCLUDE)
    assert not any("workspace" in p for p in CSRF_EXCLUDE)


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_redis_store_when_redis_url_is_set() -> None:
    settings = WorkspaceSettings(secret_key="x" * 32, redis_url="redis://127.0.0.1:6379/0", https=False)
    store = settings.stores()[SESSION_STORE]

    async def roundtrip() -> bytes | None:
        await store.set("probe", b"value", expires_in=5)
        got = await store.get("probe")
        await store.delete("probe")
        return got

    assert asyncio.run(roundtrip()) == b"value"
