"""Settings read once from the environment."""

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("var") / "leastmeans.sqlite3"


def _default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def https_configured() -> bool:
    """Whether the deployment says it is reached over https (PUBLIC_URL, or HTTPS=1), as
    behind a TLS-terminating proxy, where the app itself only sees plain http."""
    return os.environ.get("PUBLIC_URL", "").startswith("https://") or os.environ.get("HTTPS") == "1"


def trusted_proxies() -> tuple[str, ...]:
    """The reverse proxies whose X-Forwarded-For the app believes (LEASTMEANS_TRUSTED_PROXIES:
    addresses or networks, separated by commas or spaces); empty means read no forwarded
    header and take the socket peer as the client (see server/client_identity.py)."""
    raw = os.environ.get("LEASTMEANS_TRUSTED_PROXIES", "")
    return tuple(part for part in raw.replace(",", " ").split() if part)


class DemoModeRefused(RuntimeError):
    """LEASTMEANS_DEMO_MODE was asked for where real data may be collected."""


def demo_mode_from_env() -> bool:
    """LEASTMEANS_DEMO_MODE=1: the open welcome screen and credential-less API starts.

    Demo mode lets anyone start a questionnaire for any study, site, setting and group, so
    it refuses to turn on where real data may be collected: with a PostgreSQL database or
    a PUBLIC_URL (raises DemoModeRefused, which stops the server before it serves).
    """
    if os.environ.get("LEASTMEANS_DEMO_MODE", "") != "1":
        return False
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "postgresql+")):
        raise DemoModeRefused("LEASTMEANS_DEMO_MODE=1 is refused with a PostgreSQL DATABASE_URL: demo mode is for SQLite demos only")
    if os.environ.get("PUBLIC_URL"):
        raise DemoModeRefused("LEASTMEANS_DEMO_MODE=1 is refused when PUBLIC_URL is set: a public deployment needs enrolled tablets or invitations")
    return True


def _positive_int(name: str, default: int) -> int:
    value = int(os.environ.get(name, str(default)))
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


@dataclass(frozen=True)
class Settings:
    """Deployment settings; every field has a safe default for `make run`."""

    database_url: str = field(default_factory=_default_database_url)
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    #: Largest request body accepted; answers are tiny, so this only stops abuse.
    max_body_bytes: int = 1_048_576
    #: Reached over https (see `https_configured`): send HSTS even on plain-http requests.
    https: bool = False
    #: Anonymous starts from the open welcome screen and the API (see `demo_mode_from_env`).
    demo_mode: bool = False
    #: Starts one credential (a ward tablet, a shared invitation) may make per 10 minutes
    #: a person needs minutes for a questionnaire, so more is a script (answered 429).
    starts_per_window: int = 20

    @classmethod
    def from_env(cls) -> "Settings":
        """Read settings from DATABASE_URL, HOST, PORT, DEBUG, MAX_BODY_BYTES, PUBLIC_URL, HTTPS,
        LEASTMEANS_DEMO_MODE and LEASTMEANS_STARTS_PER_WINDOW."""
        return cls(
            database_url=os.environ.get("DATABASE_URL") or _default_database_url(),
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            debug=os.environ.get("DEBUG", "") == "1",
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", "1048576")),
            https=https_configured(),
            demo_mode=demo_mode_from_env(),
            starts_per_window=_positive_int("LEASTMEANS_STARTS_PER_WINDOW", 20),
        )
