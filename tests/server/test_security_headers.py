"""Every response carries security headers; oversized bodies are refused."""

import pytest
from httpx import ASGITransport, AsyncClient
from piccolo.engine.base import Engine

from server.app import create_app
from server.settings import Settings
from tests.conftest import running

#: Headers, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only


async def test_pages_and_api_carry_security_headers(client: AsyncClient) -> None:
    for path in ("/", "/health", "/static/tablet.css"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "server" not in response.headers
        assert "strict-transport-security" not in response.headers  # plain http here


async def test_hsts_is_sent_over_https(client: AsyncClient) -> None:
    response = await client.get("https://testserver/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_hsts_is_sent_behind_a_tls_proxy_when_the_deployment_says_https(engine: Engine) -> None:
    app = create_app(Settings(https=True), engine=engine)
    async with running(app):
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
            response = await client.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_public_url_on_https_means_the_deployment_is_on_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTPS", raising=False)
    monkeypatch.setenv("PUBLIC_URL", "https://survey.example.org")
    assert Settings.from_env().https
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:8000")
    assert not Settings.from_env().https


async def test_oversized_bodies_are_refused_before_reaching_storage(client: AsyncClient) -> None:
    huge = b'{"study": "' + b"x" * 2_000_000 + b'"}'
    response = await client.post("/api/v1/responses", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
