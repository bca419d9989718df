"""Workspace settings read once from the environment, and the Litestar pieces built from them.

- SECRET_KEY signs CSRF tokens. Unset, a random key is made once and kept in
  `var/secret_key` (mode 0600) so every worker on the host shares it.
- REDIS_URL, when set, holds sessions and login counters in Redis; otherwise they live in
  the application database (`server.workspace.store.DatabaseStore`), which every worker
  and host already shares.
- PUBLIC_URL starting with https:// (or HTTPS=1) marks cookies Secure.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from litestar.config.csrf import CSRFConfig
from server.workspace.sessions import RotatingSessionConfig
from litestar.stores.base import Store

from server.settings import https_configured
from server.workspace.store import DatabaseStore

SECRET_FILE = Path("var") / "secret_key"
SESSION_MAX_AGE_S = 8 * 60 * 60  # one working day; renewed while in use
SESSION_COOKIE = "lm_session"
CSRF_COOKIE = "lm_csrf"
SESSION_STORE = "workspace_sessions"
THROTTLE_STORE = "workspace_throttle"
RATE_LIMIT_STORE = "workspace_rate_limit"

#: Paths the CSRF middleware skips: the respondent JSON API and the tablet's own form
#: posts. The API authenticates by header (a tablet token, a session key), which a
#: cross-site request cannot set; the tablet's questionnaire and kiosk cookies are
#: SameSite=Strict, so a forged cross-site post arrives without them and opens nothing.
#: Skipping the public GET pages also keeps the CSRF cookie off respondents' devices.
CSRF_EXCLUDE = ["^/api/", "^/tablet/", "^/$", "^/static/", "^/health$", "^/schema"]


def _load_secret() -> str:
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    if SECRET_FILE.exists():
        return SECRET_FILE.read_text().strip()
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: if two workers race, one wins and the other reads the winner's key.
    try:
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return SECRET_FILE.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True)
class WorkspaceSettings:
    """How the workspace keeps sessions and protects forms."""

    secret_key: str = field(default_factory=_load_secret)
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    https: bool = field(default_factory=https_configured)

    def stores(self) -> dict[str, Store]:
        """The named stores the session, throttle and rate-limit code look up on the app."""
        if self.redis_url:
            from litestar.stores.redis import RedisStore

            root = RedisStore.with_client(url=self.redis_url, namespace="leastmeans")
            return {name: root.with_namespace(name) for name in (SESSION_STORE, THROTTLE_STORE, RATE_LIMIT_STORE)}
        root_db = DatabaseStore()
        return {name: root_db.with_namespace(name) for name in (SESSION_STORE, THROTTLE_STORE, RATE_LIMIT_STORE)}

    def session_config(self) -> RotatingSessionConfig:
        """Server-side sessions: only a random id travels in an HttpOnly, SameSite cookie."""
        return RotatingSessionConfig(
            store=SESSION_STORE,
            key=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE_S,
            renew_on_access=True,
            path="/workspace",
            httponly=True,
            samesite="strict",
            secure=self.https,
        )

    def csrf_config(self) -> CSRFConfig:
        """Double-submit CSRF tokens on every unsafe request outside CSRF_EXCLUDE."""
        return CSRFConfig(
            secret=self.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_path="/",
            cookie_secure=self.https,
            cookie_httponly=True,
            cookie_samesite="strict",
            exclude=CSRF_EXCLUDE,
        )
