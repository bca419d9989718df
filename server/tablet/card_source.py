"""Where a "My order" card comes from: the questionnaire this browser just handed in.

After a patient submits, the browser keeps its session cookie a little longer, so that
the card can be drawn from the session's own answers; the card is never stored. The
answers are read back only while all of these hold, else the card is not offered:

- the browser still holds the session's key and its live marker (`held_session`);
- the session is submitted and its device has not let it go (a kiosk wipe, "finish");
- it was submitted less than `CARD_MINUTES` ago;
- the respondent is a patient and their study offers the card (`Study.preference_card`).

Reading changes nothing: the stored answers stay exactly as they were handed in.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from litestar import Request

from server.credentials.session_binding import key_matches
from server.instrument_registry import InstrumentRegistry
from server.respondent.errors import ResponseNotFound
from server.respondent.session_store import StoredSession, read_stored_session
from server.storage.tables import Response
from server.tablet.cookies import Binding
from server.tablet.held_session import live_binding
from server.tablet.preference_order import PersonalOrder, personal_order
from surveys.routing import Context, visible_items

#: How long after handing in the card can still be drawn from the answers.
CARD_MINUTES = 30
CARD_GROUP = "patient"


@dataclass(frozen=True)
class CardSource:
    """The handed-in questionnaire a card is drawn from."""

    language: str
    order: PersonalOrder


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _fresh(submitted_at: dt.datetime | None) -> bool:
    if submitted_at is None:
        return False
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=dt.timezone.utc)
    return _now() - submitted_at < dt.timedelta(minutes=CARD_MINUTES)


async def _study_offers_card(response_id: uuid.UUID) -> bool:
    row = await Response.select(Response.study.preference_card.as_alias("offered")).where(Response.id == response_id).first()
    return bool(row and row["offered"])


async def _eligible(held: Binding) -> StoredSession | None:
    """The stored session if a card may be drawn from it, else None."""
    try:
        stored = await read_stored_session(held.response_id)
    except ResponseNotFound:
        return None
    if not key_matches(held.session_key, stored.key_hash) or stored.released:
        return None
    if stored.group != CARD_GROUP or not _fresh(stored.submitted_at):
        return None
    return stored if await _study_offers_card(held.response_id) else None


async def card_offered(held: Binding | None) -> bool:
    """Whether the questionnaire `held` by this browser may show its card now."""
    return held is not None and await _eligible(held) is not None


async def card_source(request: Request, registry: InstrumentRegistry) -> CardSource | None:
    """The card's source for this browser's just-submitted questionnaire, else None."""
    held = await live_binding(request)
    if held is None:
        return None
    stored = await _eligible(held)
    if stored is None:
        return None
    instrument = await registry.version(stored.instrument_version)
    # No study features: they switch on free-text items only, never a rating, pair or ranking.
    context = Context(setting=stored.setting, slot=stored.design_slot, features=frozenset(), answers=stored.saved)
    asked = visible_items(instrument, context)
    return CardSource(language=stored.language, order=personal_order(asked, stored.saved))
