"""Start, answer, submit: the one code path every answer takes (API, tablet pages, demo).

Each save is a single upsert on the (response, item) key inside a write transaction,
so a retried or duplicated request stores the answer once and never loses it.

Skip logic (`surveys.routing.visible_items`) decides which items a session asks. An
answer to an item that is not asked is refused (400, field "item"); when a changed
answer hides items that were already answered, those answers are deleted in the same
transaction, so stored data never contains answers to questions that were not asked.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.instrument_registry import InstrumentRegistry
from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseSubmitted
from server.respondent.schemas import (
    AnchorsOut,
    AnswerIn,
    AnswerOut,
    AnswerSaved,
    ConsentOut,
    ItemOut,
    OptionOut,
    ResponseOut,
    StartRequest,
    SubmitOut,
)
from server.respondent.answer_store import Saved, SessionState, decode_value, encode_value, read_session, write_guarded, write_locked
from server.respondent.design_slots import take_design_slot
from server.storage.database import current_engine, write_transaction
from server.storage.tables import Answer, Response, Site, Study
from surveys.answers import check_answer
from surveys.errors import AnswerError
from surveys.model import Instrument, Item
from surveys.routing import Context, visible_items



def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def item_out(item: Item, language: str, missing_labels: dict[str, dict[str, str]]) -> ItemOut:
    """An item rendered in one language."""
    return ItemOut(
        code=item.code,
        type=item.type,
        kind=item.kind,
        prompt=item.prompt[language],
        measure=item.measure,
        measure_b=item.measure_b,
        help=item.help[language] if item.help else None,
        anchors=AnchorsOut(low=item.anchors.low[language], high=item.anchors.high[language]) if item.anchors else None,
        minimum=item.minimum,
        maximum=item.maximum,
        options=[OptionOut(code=o.code, label=o.label[language]) for o in item.options],
        missing_options=list(item.missing_options),
        missing_labels={code: missing_labels.get(code, {}).get(language, code) for code in item.missing_options},
        max_length=item.max_length,
        hypothetical=item.hypothetical,
    )


def _choose_instrument(registry: InstrumentRegistry, group: str, language: str, code: str | None) -> tuple[int, str, str, Instrument]:
    code = code or registry.default_for_group(group)
    if code is None or code not in registry.current:
        raise InvalidInput("instrument", f"no questionnaire '{code}' for group '{group}'")
    version_id, digest, instrument = registry.current[code]
    if instrument.group != group:
        raise InvalidInput("instrument", f"questionnaire '{code}' is for group '{instrument.group}', not '{group}'")
    if language not in instrument.languages:
        raise InvalidInput("language", f"questionnaire '{code}' has no '{language}' version")
    return version_id, code, digest, instrument


def consent_text(registry: InstrumentRegistry, group: str, language: str, code: str | None) -> ConsentOut:
    """The information and consent texts to show before a session may start."""
    try:
        _, code, digest, instrument = _choose_instrument(registry, group, language, code)
    except InvalidInput as exc:
        # Here the choices arrive as query parameters, not in a body.
        raise InvalidInput(exc.field, exc.reason, source="query") from None
    return ConsentOut(
        instrument=code,
        instrument_version=digest,
        group=group,
        language=language,
        title=instrument.title[language],
        information=instrument.information[language],
        consent=instrument.consent[language],
    )


async def start_response(registry: InstrumentRegistry, request: StartRequest) -> ResponseOut:
    """Create a new, empty questionnaire session and return its items (only with consent)."""
    if request.consent is not True:
        raise InvalidInput("consent", "the respondent must consent before a questionnaire starts; nothing was stored")
    study = await Study.select(Study.id, Study.free_text).where((Study.code == request.study) & (Study.is_open == True)).first()  # noqa: E712
    if study is None:
        raise InvalidInput("study", f"no open study with code '{request.study}'")
    site = await Site.select(Site.id).where((Site.study == study["id"]) & (Site.code == request.site)).first()
    if site is None:
        raise InvalidInput("site", f"study '{request.study}' has no site with code '{request.site}'")
    version_id, code, digest, instrument = _choose_instrument(registry, request.group, request.language, request.instrument)
    response_id = uuid.uuid4()
    async with write_transaction():
        # Taken from a counter row in this transaction, so simultaneous starts never share a slot.
        slot = await take_design_slot(version_id, request.setting)
        await Response.insert(
            Response(
                id=response_id,
                study=study["id"],
                site=site["id"],
                instrument_version=version_id,
                respondent_group=request.group,
                setting=request.setting,
                language=request.language,
                design_slot=slot,
                started_at=_now(),
            )
        ).run()
    context = Context(setting=request.setting, slot=slot, features=_features(study))
    return _response_out(response_id, code, digest, instrument, request.group, request.language, context, {}, None)


def _features(study: dict[str, Any]) -> frozenset[str]:
    return frozenset({"free_text"} if study.get("free_text") else ())


def _response_out(
    response_id: uuid.UUID,
    code: str,
    digest: str,
    instrument: Instrument,
    group: str,
    language: str,
    context: Context,
    answers: dict[str, AnswerOut],
    submitted_at: dt.datetime | None,
) -> ResponseOut:
    return ResponseOut(
        id=response_id,
        instrument=code,
        instrument_version=digest,
        group=group,
        setting=context.setting,
        language=language,
        items=[item_out(item, language, instrument.missing_labels) for item in visible_items(instrument, context)],
        answers=answers,
        submitted_at=submitted_at,
    )


async def _saved(response_id: uuid.UUID) -> Saved:
    rows = await Answer.select(Answer.item, Answer.value, Answer.missing).where(Answer.response == response_id)
    return {row["item"]: (decode_value(row["value"]), row["missing"]) for row in rows}


async def _study_features(study_id: int) -> frozenset[str]:
    study = await Study.select(Study.free_text).where(Study.id == study_id).first()
    return _features(study or {})


async def get_response(registry: InstrumentRegistry, response_id: uuid.UUID) -> ResponseOut:
    """A session with the items to ask now and the answers saved so far (for resuming)."""
    row = await Response.select(
        Response.all_columns(), Response.instrument_version.content_hash, Response.instrument_version.instrument
    ).where(Response.id == response_id).first()
    if row is None:
        raise ResponseNotFound(str(response_id))
    instrument = await registry.version(row["instrument_version"])
    saved = await _saved(response_id)
    context = Context(
        setting=row["setting"], slot=row["design_slot"], features=await _study_features(row["study"]), answers=saved
    )
    return _response_out(
        response_id,
        row["instrument_version.instrument"],
        row["instrument_version.content_hash"],
        instrument,
        row["respondent_group"],
        row["language"],
        context,
        {code: AnswerOut(item=code, value=value, missing=missing) for code, (value, missing) in saved.items()},
        row["submitted_at"],
    )


def _why_hidden(instrument: Instrument, item_code: str, context: Context) -> str:
    """The reason an item is not asked, for a 400 that helps a client developer."""
    try:
        item = instrument.item(item_code)
    except KeyError:
        return f"'{item_code}' is not an item of this questionnaire"
    if context.setting not in item.settings:
        return f"'{item_code}' is not asked in setting '{context.setting}'"
    if item.requires is not None and item.requires not in context.features:
        return f"'{item_code}' needs the study feature '{item.requires}', which this study has switched off"
    if item.type == "paired":
        return f"'{item_code}' is not one of the pairs this respondent is asked"
    return f"'{item_code}' is not asked because of an earlier answer (skip logic)"


@dataclass(frozen=True)
class _Decision:
    """What a save writes and answers, decided from one reading of the session."""

    value: Any
    missing: str | None
    dropped: list[str]
    next_item: str | None


def _decide(instrument: Instrument, state: SessionState, response_id: uuid.UUID, item_code: str, body: AnswerIn) -> _Decision:
    """Refuse (404 is raised by the read, 409, 400) or say what to store and what comes next."""
    if state.submitted:
        raise ResponseSubmitted(str(response_id))
    saved = state.saved
    features = _features({"free_text": state.free_text})
    context = Context(setting=state.setting, slot=state.design_slot, features=features, answers=saved)
    item = next((i for i in visible_items(instrument, context) if i.code == item_code), None)
    if item is None:
        raise InvalidInput("item", _why_hidden(instrument, item_code, context))
    try:
        value, missing = check_answer(item, body.value, body.missing)
    except AnswerError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    after = Context(context.setting, context.slot, context.features, {**saved, item_code: (value, missing)})
    now_asked = [i.code for i in visible_items(instrument, after)]
    dropped = sorted(code for code in saved if code not in now_asked and code != item_code)
    position = now_asked.index(item_code)
    following = [code for code in now_asked[position + 1 :] if code not in saved]
    return _Decision(value=value, missing=missing, dropped=dropped, next_item=following[0] if following else None)


async def save_answer(registry: InstrumentRegistry, response_id: uuid.UUID, item_code: str, body: AnswerIn) -> AnswerSaved:
    """Store (or replace) one answer. Saving the same answer twice stores it once.

    On PostgreSQL the save first tries the guarded write (two round trips, see
    `answer_store`); if the session was written by someone else between the read and the
    write, it is decided again under the row lock, as on SQLite.
    """
    engine = current_engine()
    decision: _Decision | None = None
    if isinstance(engine, PostgresEngine) and engine.current_transaction.get() is None:
        state = await read_session(response_id, lock=False)
        decision = _decide(await registry.version(state.instrument_version), state, response_id, item_code, body)
        encoded = encode_value(decision.value)
        if not await write_guarded(state, response_id, item_code, encoded, decision.missing, _now(), decision.dropped):
            decision = None
    if decision is None:
        async with write_transaction():
            state = await read_session(response_id, lock=True)
            decision = _decide(await registry.version(state.instrument_version), state, response_id, item_code, body)
            encoded = encode_value(decision.value)
            await write_locked(response_id, item_code, encoded, decision.missing, _now(), decision.dropped)
    return AnswerSaved(
        item=item_code, value=decision.value, missing=decision.missing, next_item=decision.next_item, dropped=decision.dropped
    )


async def submit_response(response_id: uuid.UUID) -> SubmitOut:
    """Mark the session submitted. Submitting again returns the first submission."""
    async with write_transaction():
        query = Response.select(Response.submitted_at).where(Response.id == response_id)
        if isinstance(current_engine(), PostgresEngine):
            query = query.lock_rows()
        row = await query.first()
        if row is None:
            raise ResponseNotFound(str(response_id))
        submitted_at = row["submitted_at"]
        if submitted_at is None:
            submitted_at = _now()
            await Response.update({Response.submitted_at: submitted_at}).where(Response.id == response_id).run()
        count = await Answer.count().where(Answer.response == response_id)
    return SubmitOut(id=response_id, submitted_at=submitted_at, answers=count)
