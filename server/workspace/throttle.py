"""Login limits that slow guessing down without letting anyone lock a real user out.

Two counters, each taken *before* the password is checked, in one atomic step
(`server.workspace.store.count_hit`), so a burst of parallel requests cannot all read
the same old count and all be let through:

- Per client (the keyed hash of its address, `server.client_identity`): at most
  CLIENT_MAX_FAILURES attempts that did not log in per CLIENT_WINDOW_S. A success takes
  its own attempt back, so colleagues behind one hospital address who log in fine do
  not use each other's budget. Over the limit, that client (and only it) waits for the
  window to end.
- Per username, from anywhere: the first FREE_FAILURES failures in USER_WINDOW_S cost
  nothing. After that there is no lockout but a progressive delay: each client may try
  that username once per `delay_for(failures)` seconds (2 s, 4 s, 8 s, ... capped at
  MAX_DELAY_S), taken with `claim_turn`, again atomic; an attempt refused for waiting
  pushes that client's next turn further out. The turn is per username *and*
  client, so a stranger hammering an admin's username spends only the stranger's own
  turns: the admin, from another client, gets a turn at once, and after a typo waits
  at most MAX_DELAY_S. A distributed guesser gets one try per client per MAX_DELAY_S
  on top of each client's own cap; the password rules (`passwords.check_strength`)
  are what make that rate useless.

A successful login clears the username's count and the turn of that client. The store
holds only keyed hashes of the username and the client address (never either in clear,
never the password), under keys that expire on their own.
"""

import math
import time
from dataclasses import dataclass

from litestar.stores.base import Store

from server.workspace.store import claim_turn, count_hit

CLIENT_MAX_FAILURES = 20
CLIENT_WINDOW_S = 15 * 60
FREE_FAILURES = 5
USER_WINDOW_S = 60 * 60
FIRST_DELAY_S = 2
MAX_DELAY_S = 60


@dataclass(frozen=True)
class Turn:
    """Whether this attempt may check a password, and if not, how long to wait."""

    allowed: bool
    retry_after_s: int = 0
    #: Failed or refused attempts for the username in this window, this one included.
    username_failures: int = 0


def delay_for(failures: int) -> float:
    """Seconds a client waits between attempts at a username with `failures` so far."""
    if failures <= FREE_FAILURES:
        return 0.0
    return float(min(FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_S))


def _client_key(client: str, now: float) -> str:
    return f"login:client:{client}:{int(now // CLIENT_WINDOW_S)}"


def _user_key(username: str, now: float) -> str:
    return f"login:user:{username}:{int(now // USER_WINDOW_S)}"


def _turn_key(username: str, client: str) -> str:
    return f"login:turn:{username}:{client}"


async def take_turn(store: Store, username: str, client: str) -> Turn:
    """Count this attempt against the client and the username; say whether it may go on.

    `username` and `client` are keyed hashes (`server.client_identity.keyed_hash`).
    """
    now = time.time()
    window = int(now // CLIENT_WINDOW_S)
    if await count_hit(store, _client_key(client, now), CLIENT_WINDOW_S) > CLIENT_MAX_FAILURES:
        return Turn(False, retry_after_s=max(math.ceil((window + 1) * CLIENT_WINDOW_S - now), 1))
    failures = await count_hit(store, _user_key(username, now), USER_WINDOW_S)
    if failures > FREE_FAILURES:
        # A refused attempt pushes this client's next turn further out: hammering only
        # lengthens the hammering client's own wait.
        wait = await claim_turn(store, _turn_key(username, client), delay_for(failures), extend=True)
        if wait > 0:
            return Turn(False, retry_after_s=max(math.ceil(wait), 1), username_failures=failures)
    return Turn(True, username_failures=failures)


async def succeeded(store: Store, username: str, client: str) -> None:
    """After a successful login: give the client its attempt back, forget the username's failures."""
    now = time.time()
    await count_hit(store, _client_key(client, now), CLIENT_WINDOW_S, delta=-1)
    await store.delete(_user_key(username, now))
    await store.delete(_turn_key(username, client))


async def first_refusal(store: Store, username: str) -> bool:
    """True for the first refusal of a username in its window (so the audit log gets one
    entry per episode, not one per request of a flood)."""
    return await claim_turn(store, f"login:refusal-noted:{username}:{int(time.time() // USER_WINDOW_S)}", USER_WINDOW_S) == 0
