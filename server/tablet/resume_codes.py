"""Resume codes: pause on one device, continue later on the same or another one.

A code is random (31-letter alphabet without look-alikes, 8 letters: about 8.5e11
possibilities), stored only as its hash, valid for a few days, and used up when redeemed
(taken from the store in one statement, so two devices cannot both redeem it), so a code
seen on paper later cannot reopen the answers.

How guessing is limited, and why this way:

- Per code, counting attempts would mean nothing: a guesser tries each wrong code once,
  and a wrong code belongs to nobody. What protects a code is the size of the code
  space against the number of guesses one can make before codes expire.
- Service-wide counting (one counter for everybody) would let anyone who types 30
  wrong codes refuse every respondent's genuine code. A genuine code must never be
  refused because of someone else's wrong ones.
- So the guessing *client* is limited: each client (the keyed hash of its address, see
  `server.client_identity`; no address is kept) may make MAX_FAILURES_PER_WINDOW wrong
  attempts per WINDOW_SECONDS. The attempt is counted before the code is looked up, in
  one atomic step (`server.workspace.store.count_hit`), so parallel requests cannot
  slip past the limit; a right code takes its count back. At 20 wrong codes per
  10 minutes a client needs, on average, far longer than a code lives to hit any one of
  even a thousand open codes.
- Devices behind one network address (a ward's tablets behind a hospital's NAT) share
  that address's budget; a genuine code from such a device is refused only after
  MAX_FAILURES_PER_WINDOW wrong codes came from the same address in the same window.

The counters live in the workspace's throttle store (Redis when REDIS_URL is set, else
the database) under keys that expire with their window.
"""

import datetime as dt
import math
import time
import uuid

from litestar.connection import ASGIConnection
from litestar.stores.base import Store

from server.client_identity import client_key
from server.credentials.codes import code_hash, new_code
from server.workspace.config import THROTTLE_STORE
from server.workspace.store import DatabaseStore, count_hit

#: Wrong codes one client may try per window. Honest respondents mistype a few times.
MAX_FAILURES_PER_WINDOW = 20
WINDOW_SECONDS = 600

_codes = DatabaseStore("tablet").with_namespace("resume")


class TooManyAttempts(RuntimeError):
    """This client tried too many wrong codes lately; it may try again after `retry_after_s`."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


async def issue(response_id: uuid.UUID, days: int) -> str:
    """A new code for a paused response (any earlier code of it stays valid until it expires)."""
    code = new_code()
    await _codes.set(code_hash(code), str(response_id), expires_in=dt.timedelta(days=days))
    return code


def _store(connection: ASGIConnection) -> Store:
    return connection.app.stores.get(THROTTLE_STORE)


async def redeem(code: str, connection: ASGIConnection) -> uuid.UUID | None:
    """The response a code belongs to (the code is used up), or None for a wrong code.

    Raises TooManyAttempts when the asking client has used up its wrong attempts.
    """
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    store, key = _store(connection), f"resume:client:{client_key(connection)}:{window}"
    if await count_hit(store, key, WINDOW_SECONDS) > MAX_FAILURES_PER_WINDOW:
        raise TooManyAttempts(max(math.ceil((window + 1) * WINDOW_SECONDS - now), 1))
    value = await _codes.pop(code_hash(code))
    if value is None:
        return None
    await count_hit(store, key, WINDOW_SECONDS, delta=-1)
    return uuid.UUID(value.decode())
