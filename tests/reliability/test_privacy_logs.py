"""A respondent's IP address never reaches the logs or the database."""

from pathlib import Path

import httpx

from server.process import run_cli, serving

FORWARDED_IP = "203.0.113.77"


def test_respondent_addresses_are_neither_logged_nor_stored(tmp_path: Path) -> None:
    database = tmp_path / "privacy.sqlite3"
    url = f"sqlite:///{database}"
    run_cli(url, "migrate")
    run_cli(url, "demo", "--respondents", "0", "--no-publish")
    token = run_cli(url, "enrol-tablet", "demo", "ward-a").strip()
    headers = {"x-forwarded-for": FORWARDED_IP, "x-real-ip": FORWARDED_IP, "forwarded": f"for={FORWARDED_IP}"}
    with serving(url, tmp_path / "server.log") as server, httpx.Client(base_url=server.base_url, headers=headers) as client:
        assert client.get("/").status_code == 200
        started = client.post(
            "/api/v1/responses",
            json={"study": "demo", "site": "ward-a", "group": "patient", "setting": "general_adult", "language": "da", "consent": True},
            headers={"authorization": f"Bearer {token}"},
        )
        assert started.status_code == 201, started.text
        assert client.get("/api/v1/responses/00000000-0000-0000-0000-000000000000").status_code == 404
        assert client.post("/api/v1/responses", json={"study": 1}).status_code == 400
        assert client.get("/no/such/page").status_code == 404
        log = server.log()
    assert FORWARDED_IP not in log
    client_lines = [line for line in log.splitlines() if "127.0.0.1" in line and "running on" not in line.lower() and "serving on" not in line]
    assert client_lines == []
    stored = database.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("privacy.sqlite3-*"))
    assert FORWARDED_IP.encode() not in stored
    assert b"127.0.0.1" not in stored
