"""Switching an open questionnaire to another of its languages.

Items and options are stored by code, never by their wording, so every answer given so
far stays valid in the other language: only the session's language changes, and each
screen from then on is worded in it.
"""

import uuid

from server.instrument_registry import InstrumentRegistry
from server.respondent.errors import InvalidInput
from server.respondent.questionnaire_choice import choice_for
from server.respondent.schemas import ResponseOut
from server.respondent.service import get_response, read_open_session
from server.respondent.session_cache import forget_session
from server.storage.database import write_transaction
from server.storage.tables import Response


async def offered_languages(registry: InstrumentRegistry, response: ResponseOut) -> tuple[str, ...]:
    """The languages the respondent of `response` may switch between: those the study
    chose for its questionnaire (`questionnaire_choice`), else only the one in use."""
    row = await Response.select(Response.study.code).where(Response.id == response.id).first()
    choice = await choice_for(registry, row["study.code"], response.setting, response.group) if row else None
    # A study that since chose another questionnaire narrows nothing it no longer asks.
    return choice.languages if choice is not None and choice.instrument == response.instrument else (response.language,)


async def switch_language(registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None, language: str) -> ResponseOut:
    """Ask the rest of the open session in `language`, one of its instrument's languages,
    and return the session as it is now (its answers unchanged).

    Refuses a language the questionnaire has no wording in (400, field "language"), and
    (404) a session without its key, submitted or let go.
    """
    stored = await read_open_session(response_id, session_key)
    instrument = await registry.version(stored.instrument_version)
    if language not in instrument.languages:
        raise InvalidInput("language", f"this questionnaire is worded in {', '.join(instrument.languages)}, not '{language}'")
    if language != stored.language:
        async with write_transaction():
            await Response.update({Response.language: language}).where(
                (Response.id == response_id) & Response.submitted_at.is_null()
            )
        # The row changed, so a state this worker holds for the session is stale anyway.
        forget_session(response_id)
    return await get_response(registry, response_id, session_key)
