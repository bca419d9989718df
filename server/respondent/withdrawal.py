"""Withdrawing: a respondent who stops may decide that nothing they gave is kept."""

import uuid

from server.credentials.session_binding import key_matches
from server.respondent.errors import ResponseNotFound, ResponseSubmitted
from server.respondent.session_cache import forget_session
from server.storage.database import write_transaction
from server.storage.tables import Answer, Response


async def discard_response(response_id: uuid.UUID, session_key: str | None) -> None:
    """Delete an unsubmitted session and all its answers, for the holder of its key (else
    ResponseNotFound; a submitted one is refused)."""
    forget_session(response_id)
    async with write_transaction():
        row = await Response.select(Response.submitted_at, Response.session_key_hash).where(Response.id == response_id).first()
        if row is None or not key_matches(session_key, row["session_key_hash"]):
            raise ResponseNotFound(str(response_id))
        if row["submitted_at"] is not None:
            raise ResponseSubmitted(str(response_id))
        await Answer.delete().where(Answer.response == response_id)
        await Response.delete().where(Response.id == response_id)
