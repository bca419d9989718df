"""Every response carries security headers; oversized bodies are refused."""

from httpx import AsyncClient


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


async def test_oversized_bodies_are_refused_before_reaching_storage(client: AsyncClient) -> None:
    huge = b'{"study": "' + b"x" * 2_000_000 + b'"}'
    response = await client.post("/api/v1/responses", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
