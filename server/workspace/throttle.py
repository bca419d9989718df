"""Login lockout: after MAX_FAILURES failed logins for one username within the window,
that username is locked for the rest of the window, even with the right password.

Counters live in the shared store (database or Redis) so every worker sees them. They
hold the username only, never the password tried.
"""

from litestar.stores.base import Store

MAX_FAILURES = 5
WINDOW_S = 15 * 60


def _key(username: str) -> str:
    return f"fail:{username.strip().lower()}"


async def is_locked(store: Store, username: str) -> bool:
    """True while the username has used up its failures in the window."""
    raw = await store.get(_key(username))
    return raw is not None and int(raw) >= MAX_FAILURES


async def register_failure(store: Store, username: str) -> int:
    """Count one failure; return the count in the current window.

    The window starts at the first failure and is not extended by later ones, so a lock
    always ends WINDOW_S after the first failure.
    """
    key = _key(username)
    raw = await store.get(key)
    count = (int(raw) if raw is not None else 0) + 1
    remaining = await store.expires_in(key) if raw is not None else None
    await store.set(key, str(count), expires_in=remaining if remaining and remaining > 0 else WINDOW_S)
    return count


async def clear(store: Store, username: str) -> None:
    """Forget failures after a successful login."""
    await store.delete(_key(username))
