"""Kiosk enrolment and invitation codes written straight into the live server's database,
as the researcher workspace would (only the codes' hashes are stored)."""

import sqlite3
from pathlib import Path

from server.tablet.codes import code_hash, new_code

FAR_FUTURE = "2099-01-01 00:00:00+00:00"


def _site_id(connection: sqlite3.Connection, site: str) -> tuple[int, int]:
    row = connection.execute("SELECT id, study FROM site WHERE code = ?", (site,)).fetchone()
    assert row is not None, f"no site {site}"
    return row[0], row[1]


def enrolment_code(database: Path, site: str = "ward-a") -> str:
    """A fresh one-time kiosk enrolment code for `site`."""
    code = new_code()
    with sqlite3.connect(database) as connection:
        site_id, _ = _site_id(connection, site)
        connection.execute(
            "INSERT INTO kiosk_enrolment (site, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (site_id, code_hash(code), "2026-01-01 00:00:00+00:00", FAR_FUTURE),
        )
    return code


def invitation_code(database: Path, group: str, site: str | None = "ward-b") -> str:
    """A fresh invitation code for `group` in the demo study (at one site, or any)."""
    code = new_code()
    with sqlite3.connect(database) as connection:
        site_id, study_id = _site_id(connection, site or "ward-a")
        connection.execute(
            "INSERT INTO invitation_code (study, site, respondent_group, code_hash, created_at, expires_at, max_uses, uses)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (study_id, site_id if site else None, group, code_hash(code), "2026-01-01 00:00:00+00:00", FAR_FUTURE, 5, 0),
        )
    return code
