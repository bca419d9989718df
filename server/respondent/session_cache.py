"""The open sessions this worker saved last, so the next save needs no read (PostgreSQL).

A tablet keeps its connection open between answers, so its saves keep reaching the
same worker. After a save the worker knows the session exactly as stored: its state
before, plus the answer it wrote, minus the answers it dropped, at the response row's
new `xmin`. The next save is decided on that and written with the guarded statement
(`answer_store.write_guarded`), which writes nothing unless the row's `xmin` is still
that one. So a cached state is never trusted: if any other worker, a submit or a
withdrawal wrote the session since, the guard fails and the save reads afresh.

The cache holds health data in the worker's memory, so it is small and short-lived:
bounded in entries, an entry expires after a few idle minutes, and a submit or
withdrawal on this worker drops its entry at once.
"""

import uuid

from cachetools import TTLCache

from server.respondent.answer_store import SessionState

#: Enough for every tablet of a large deployment answering at once.
MAX_SESSIONS = 4096
#: A respondent idle for longer is probably gone; their next save reads afresh.
IDLE_SECONDS = 600

_sessions: TTLCache[uuid.UUID, SessionState] = TTLCache(maxsize=MAX_SESSIONS, ttl=IDLE_SECONDS)


def cached_session(response_id: uuid.UUID) -> SessionState | None:
    """The state this worker last stored for the session, if it still holds it."""
    return _sessions.get(response_id)


def remember_session(response_id: uuid.UUID, state: SessionState) -> None:
    """Keep `state` (an open session exactly as this worker just stored it)."""
    _sessions[response_id] = state


def forget_session(response_id: uuid.UUID) -> None:
    """Drop the session (submitted, withdrawn, or its cached state proved stale)."""
    _sessions.pop(response_id, None)
