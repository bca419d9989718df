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

    @classmethod
    def from_env(cls) -> "Settings":
        """Read settings from DATABASE_URL, HOST, PORT, DEBUG, MAX_BODY_BYTES, PUBLIC_URL and HTTPS."""
        return cls(
            database_url=os.environ.get("DATABASE_URL") or _default_database_url(),
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            debug=os.environ.get("DEBUG", "") == "1",
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", "1048576")),
            https=https_configured(),
        )
