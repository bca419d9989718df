"""Kiosk enrolment and invitation codes written straight into the live server's database,
as the researcher workspace would (only the codes' hashes are stored)."""

import sqlite3
from pathlib import Path

from server.credentials.codes import code_hash, new_code

FAR_FUTURE = "2099-01-01 00:00:00+00:00"


def _site_id(connection: sqlite3.Connection, site: str) -> tuple[int, int]:
    row = connection.execute("SELECT id, study FROM site WHERE code = ?", (site,)).fetchone()
    assert row is not None, f"no site {site}"
    return row[0], row[1]


def enrolment_code(database: Path, site: str = "ward-a", idle_seconds: int | None = None) -> str:
    """A fresh one-time kiosk enrolment code for `site` (with its own idle time, if given)."""
    code = new_code()
    with sqlite3.connect(database) as connection:
        site_id, _ = _site_id(connection, site)
        connection.execute(
            "INSERT INTO kiosk_enrolment (site, code_hash, created_at, expires_at, idle_seconds) VALUES (?, ?, ?, ?, ?)",
            (site_id, code_hash(code), "2026-01-01 00:00:00+00:00", FAR_FUTURE, idle_seconds),
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


def staff_account(database: Path, role: str) -> tuple[str, str]:
    """A fresh active workspace account with `role`; returns (username, password)."""
    from server.workspace.passwords import hash_password

    username, password = f"{role}-{new_code(4).lower()}", "browser test password"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO staff_user (username, password_hash, role, is_active, created_at, password_changed_at)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (username, hash_password(password), role, "2026-01-01 00:00:00+00:00", "2026-01-01 00:00:00+00:00"),
        )
    return username, password


def enrolled_tablet(database: Path, site: str = "ward-a") -> None:
    """An enrolled tablet row at `site` (so the study page lists it with its revoke button)."""
    with sqlite3.connect(database) as connection:
        site_id, _ = _site_id(connection, site)
        connection.execute(
            "INSERT INTO kiosk_tablet (site, token_hash, label, enrolled_at) VALUES (?, ?, '', ?)",
            (site_id, code_hash(new_code(12)), "2026-01-01 00:00:00+00:00"),
        )


def publication(database: Path, released: bool = False, public: bool = False, seed: int = 7) -> int:
    """A publication of simulated answers (drawn with `seed`) to a non-demo study, computed
    by someone else and, if asked, reviewed, released and made public; returns its number."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from server.gradation.runner import reference_tiers
    from server.publication.release import release, review, set_public
    from server.publication.store import publish_frame
    from server.storage.database import engine_for_url, use_database
    from tests.publication.conftest import WORKFLOW, simulated

    async def work() -> int:
        use_database(engine_for_url(f"sqlite:///{database}"))
        info = await publish_frame(simulated(seed=seed, per_group=40), WORKFLOW, reference_tiers(), actor="researcher-elsewhere", studies=["national"])
        if released or public:
            await review(info.number, "reviewer-elsewhere")
            await release(info.number, "admin-elsewhere", reason="browser tests release the same simulated answers again")
        if public:
            await set_public(info.number, True, "admin-elsewhere")
        return info.number

    # Playwright's sync API runs an event loop in the test's thread: compute in another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work()).result()
