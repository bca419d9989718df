"""Counting, limiting and recording starts: idempotence by start key, one use per
invitation use, and a per-credential limit sized for people.

Everything here runs inside the start's write transaction (`server.respondent.service`),
so a refusal undoes the invitation use and the response together, and two parallel
starts with one start key leave one session: the second's insert of the key waits for the
first's commit (PostgreSQL) or for its turn (SQLite), finds the key taken, and rolls back.
"""

import datetime as dt
import hashlib
import uuid

from piccolo.engine.postgres import PostgresEngine

from server.credentials.errors import InvitationUsedUp, TooManyStarts
from server.credentials.grant import StartLimits
from server.credentials.invitation import count_use
from server.credentials.sites import now
from server.storage.credential_tables import ResponseStart
from server.storage.database import current_engine

#: The window over which a credential's starts are counted.
WINDOW_S = 600


class AlreadyStarted(Exception):
    """The start key was taken by a parallel start with the same key."""


def key_hash(start_key: str) -> str:
    """The stored form of a client's start key."""
    return hashlib.sha256(start_key.encode()).hexdigest()


async def started_with(key: str) -> uuid.UUID | None:
    """The response a start key (its hash) already made, if any."""
    row = await ResponseStart.select(ResponseStart.response).where(ResponseStart.key_hash == key).first()
    return None if row is None else uuid.UUID(str(row["response"]))


async def admit(limits: StartLimits) -> None:
    """Take the invitation's use and check the credential's pace, or refuse."""
    if limits.tablet_id is not None and isinstance(current_engine(), PostgresEngine):
        # Parallel starts of one tablet count one after the other.
        await ResponseStart.raw("SELECT id FROM kiosk_tablet WHERE id = {} FOR UPDATE", limits.tablet_id)
    if limits.invitation_id is not None and not await count_use(limits.invitation_id):
        raise InvitationUsedUp()
    if limits.credential is None:
        return
    since = now() - dt.timedelta(seconds=WINDOW_S)
    recent = await ResponseStart.select(ResponseStart.started_at).where(
        (ResponseStart.credential == limits.credential) & (ResponseStart.started_at > since)
    ).order_by(ResponseStart.started_at).limit(limits.max_starts)
    if len(recent) >= limits.max_starts:
        oldest = recent[0]["started_at"]
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.timezone.utc)
        wait = int((oldest + dt.timedelta(seconds=WINDOW_S) - now()).total_seconds()) + 1
        raise TooManyStarts(max(wait, 1))


async def record(response_id: uuid.UUID, credential: str | None, key: str | None) -> None:
    """Note the response's credential and start key; AlreadyStarted if the key is taken."""
    if credential is None and key is None:
        return
    rows = await ResponseStart.raw(
        "INSERT INTO response_start (response, credential, key_hash, started_at) VALUES ({}, {}, {}, {})"
        " ON CONFLICT (key_hash) DO NOTHING RETURNING id",
        response_id, credential, key, now(),
    )  # fmt: skip
    if not rows:
        raise AlreadyStarted()
