"""Withdrawing: a respondent who stops may decide that nothing they gave is kept."""

import uuid

from server.respondent.errors import ResponseSubmitted
from server.respondent.session_cache import forget_session
from server.storage.database import write_transaction
from server.storage.tables import Answer, Response


async def discard_response(response_id: uuid.UUID) -> None:
    """Delete an unsubmitted session and all its answers (a submitted one is refused)."""
    forget_session(response_id)
    async with write_transaction():
        row = await Response.select(Response.submitted_at).where(Response.id == response_id).first()
        if row is None:
            return
        if row["submitted_at"] is not None:
            raise ResponseSubmitted(str(response_id))
        await Answer.delete().where(Answer.response == response_id)
        await Response.delete().where(Response.id == response_id)
