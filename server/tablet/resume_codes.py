"""Resume codes: pause on one device, continue later on the same or another one.

A code is random (31-letter alphabet without look-alikes, 8 letters: about 8.5e11
possibilities), stored only as its hash, valid for a few days, and used up when redeemed,
so a code seen on paper later cannot reopen the answers. Guessing is throttled by a
shared count of failed attempts per time window; nothing about the guesser (no IP) is kept.
"""

import datetime as dt
import time
import uuid

from server.tablet.codes import code_hash, new_code
from server.workspace.store import DatabaseStore

#: Failed attempts allowed in one window across the whole service before it refuses for
#: the rest of the window. Honest respondents mistype a few times; a guesser needs ~1e11.
MAX_FAILURES_PER_WINDOW = 30
WINDOW_SECONDS = 600

_codes = DatabaseStore("tablet").with_namespace("resume")
_failures = DatabaseStore("tablet").with_namespace("resume-failures")


class TooManyAttempts(RuntimeError):
    """Too many wrong codes lately; try again after the window."""


async def issue(response_id: uuid.UUID, days: int) -> str:
    """A new code for a paused response (any earlier code of it stays valid until it expires)."""
    code = new_code()
    await _codes.set(code_hash(code), str(response_id), expires_in=dt.timedelta(days=days))
    return code


def _window() -> str:
    return str(int(time.time()) // WINDOW_SECONDS)


async def redeem(code: str) -> uuid.UUID | None:
    """The response a code belongs to (the code is used up), or None for a wrong code."""
    window = _window()
    failures = int((await _failures.get(window)) or b"0")
    if failures >= MAX_FAILURES_PER_WINDOW:
        raise TooManyAttempts(window)
    key = code_hash(code)
    value = await _codes.get(key)
    if value is None:
        await _failures.set(window, str(failures + 1), expires_in=WINDOW_SECONDS * 2)
        return None
    await _codes.delete(key)
    return uuid.UUID(value.decode())
