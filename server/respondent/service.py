"""Start, answer, submit: the one code path every answer takes (API, tablet pages, demo).

Each save is a single upsert on the (response, item) key, committed atomically with the
check that the session is still as it was decided on (see `answer_store`), so a retried
or duplicated request stores the answer once and never loses it.

Skip logic (`surveys.routing.visible_items`) decides which items a session asks. An
answer to an item that is not asked is refused (400, field "item"); when a changed
answer hides items that were already answered, those answers are deleted in the same
transaction, so stored data never contains answers to questions that were not asked.
"""

import datetime as dt
import uuid

import msgspec
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.credentials import starts
from server.credentials import session_binding
from server.credentials.session_binding import key_matches, new_session_key, session_key_for_start
from server.credentials.errors import InvitationUsedUp, TooManyStarts
from server.credentials.grant import StartLimits
from server.instrument_registry import InstrumentRegistry
from server.respondent import questionnaire_choice
from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseReleased, ResponseSubmitted
from server.respondent.item_rendering import rendered_items
from server.respondent.schemas import AnswerIn, AnswerOut, AnswerSaved, ConsentOut, ResponseOut, RouteOut, StartRequest, SubmitOut
from server.respondent.session_store import StoredSession, find_study_site, insert_response, read_stored_session
from server.respondent.answer_store import (
    SessionState,
    encode_value,
    read_session,
    state_after_save,
    write_guarded,
    write_locked,
)
from server.respondent.session_cache import cached_session, forget_session, remember_session
from server.storage.database import current_engine, write_transaction
from server.storage.tables import Answer, Response, Study
from surveys.answers import check_answer
from surveys.errors import AnswerError
from surveys.model import Instrument
from surveys.routing import Context, as_shown, controls_visibility, route_plan, visible_entries

__all__ = [
    "consent_text", "get_response", "get_response_and_route", "read_open_session", "rebind_session", "release_session", "route_for",
    "save_answer", "start_response", "submit_response",
]  # fmt: skip


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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


async def _study_instrument(registry: InstrumentRegistry, request: StartRequest) -> tuple[int, str, str, Instrument]:
    """The questionnaire the study uses for this group and setting (`questionnaire_choice`);
    an explicit `instrument`, and the language, must be ones the study chose for them."""
    available = questionnaire_choice.offers(registry)
    pairs = await questionnaire_choice.study_pairs(request.study)
    where = f"{request.group}s in setting '{request.setting}'"
    code = request.instrument
    if code is not None:
        if code not in available:
            raise InvalidInput("instrument", f"no questionnaire '{code}'")
        if available[code].group != request.group:
            raise InvalidInput("instrument", f"questionnaire '{code}' is for group '{available[code].group}', not '{request.group}'")
        choice = questionnaire_choice.choose({code: available[code]}, pairs, request.group, request.setting)
        if choice is None:
            raise InvalidInput("instrument", f"study '{request.study}' does not use questionnaire '{code}' for {where}")
    else:
        choice = questionnaire_choice.choose(available, pairs, request.group, request.setting)
        if choice is None:
            raise InvalidInput("group", f"study '{request.study}' has no questionnaire for {where}")
    if request.language not in choice.languages:
        raise InvalidInput(
            "language", f"study '{request.study}' uses questionnaire '{choice.instrument}' in {', '.join(choice.languages)}, not '{request.language}'"
        )
    version_id, digest, instrument = registry.current[choice.instrument]
    return version_id, choice.instrument, digest, instrument


async def consent_text(
    registry: InstrumentRegistry, group: str, language: str, code: str | None, study: str | None = None, setting: str | None = None
) -> ConsentOut:
    """The information and consent texts to show before a session may start: of the
    questionnaire `study` uses for `group` on a ward of `setting` when a study is named
    (as `start_response` will choose it), else of `code` or the group's default."""
    try:
        if study is not None:
            if setting is None:
                raise InvalidInput("setting", "required with 'study': the ward's setting decides the questionnaire")
            if not await Study.exists().where((Study.code == study) & (Study.is_open == True)):  # noqa: E712
                raise InvalidInput("study", f"no open study with code '{study}'")
            start = StartRequest(study=study, group=group, setting=setting, language=language, instrument=code)  # type: ignore[arg-type]
            _, code, _, _ = await _study_instrument(registry, start)
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


async def start_response(registry: InstrumentRegistry, request: StartRequest, limits: StartLimits | None = None) -> ResponseOut:
    """Create a new, empty questionnaire session and return its items (only with consent).

    `request` names its study, site, setting and group (derived from the credential by the
    caller, `server.credentials.grant`); `limits` says which invitation use the start takes
    and which credential's pace it counts against (None: demo mode). With a `start_key`,
    a start already made with that key returns its session instead of a second one, with
    the same session key (derived from the start key). The answer carries the session key:
    every later call on the session must present it.
    """
    if request.consent is not True:
        raise InvalidInput("consent", "the respondent must consent before a questionnaire starts; nothing was stored")
    for name in ("study", "site", "group", "setting"):
        if getattr(request, name) is None:
            raise InvalidInput(name, "required")
    key = starts.key_hash(request.start_key) if request.start_key else None
    if key is not None and (earlier := await starts.started_with(key)) is not None:
        return await _restarted(registry, earlier, request.start_key)  # type: ignore[arg-type]
    where = await find_study_site(request.study, request.site)  # type: ignore[arg-type]
    version_id, code, digest, instrument = await _study_instrument(registry, request)
    response_id = uuid.uuid4()
    session_key, session_key_hash = session_key_for_start(request.start_key) if request.start_key else new_session_key()
    setting, group = str(request.setting), str(request.group)
    if limits is None and key is None:
        slot, revision = await insert_response(response_id, where, version_id, group, setting, request.language, _now(), session_key_hash)
    else:
        try:
            async with write_transaction():
                if limits is not None:
                    await starts.admit(limits)
                slot, revision = await insert_response(
                    response_id, where, version_id, group, setting, request.language, _now(), session_key_hash
                )
                await starts.record(response_id, limits.credential if limits else None, key)
        except (starts.AlreadyStarted, InvitationUsedUp, TooManyStarts):
            # A parallel start with the same key won: this one was undone, that one stands.
            if key is not None and (earlier := await starts.started_with(key)) is not None:
                return await _restarted(registry, earlier, request.start_key)  # type: ignore[arg-type]
            raise
    if revision is not None:
        # The first save then needs no read.
        remember_session(
            response_id,
            SessionState(
                instrument_version=version_id, setting=setting, design_slot=slot, submitted=False,
                free_text=where.free_text, saved={}, revision=revision, key_hash=session_key_hash,
            ),
        )  # fmt: skip
    context = Context(setting=setting, slot=slot, features=_features(where.free_text))
    started = _response_out(response_id, code, digest, instrument, group, request.language, context, {}, None)
    return msgspec.structs.replace(started, session_key=session_key)


async def _restarted(registry: InstrumentRegistry, response_id: uuid.UUID, start_key: str) -> ResponseOut:
    """The session a retried start already made, with its key (while it is open)."""
    session_key, _ = session_key_for_start(start_key)
    found = await get_response(registry, response_id, session_key)
    return msgspec.structs.replace(found, session_key=session_key)


async def rebind_session(response_id: uuid.UUID) -> str:
    """Bind an open session to a new key and take it back from release (its resume code
    was presented); the old key stops working. Returns the new key."""
    session_key, session_key_hash = new_session_key()
    forget_session(response_id)
    async with write_transaction():
        await Response.update({Response.session_key_hash: session_key_hash, Response.released_at: None}).where(
            (Response.id == response_id) & Response.submitted_at.is_null()
        )
    return session_key


async def release_session(response_id: uuid.UUID, session_key: str | None) -> None:
    """The device lets the session go (kiosk wipe, pause, a new start on the same browser):
    from now on its stored answers are final and nothing of it is read back. Answers still
    on their way from the device (its outbox) are taken. A wrong key releases nothing."""
    if not session_key or len(session_key) > 128:
        return
    forget_session(response_id)
    # One statement: the key's hash is part of the condition, so nothing is read first.
    await Response.update({Response.released_at: _now()}).where(
        (Response.id == response_id)
        & (Response.session_key_hash == session_binding.session_key_hash(session_key))
        & Response.released_at.is_null()
    )


def _check_open(response_id: uuid.UUID, session_key: str | None, key_hash: str | None, submitted: bool, released: bool) -> None:
    """Refuse (404, as for an unknown id) a session read without its key, after submit or
    after its device let it go."""
    if submitted or released or not key_matches(session_key, key_hash):
        raise ResponseNotFound(str(response_id))


def _features(free_text: bool) -> frozenset[str]:
    return _FREE_TEXT if free_text else _NO_FEATURES


_FREE_TEXT: frozenset[str] = frozenset({"free_text"})
_NO_FEATURES: frozenset[str] = frozenset()


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
        items=rendered_items(instrument, language, visible_entries(instrument, context)),
        answers=answers,
        submitted_at=submitted_at,
    )


async def get_response(registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None) -> ResponseOut:
    """An open session with the items to ask now and the answers saved so far, for the
    holder of its key (else ResponseNotFound)."""
    stored = await read_open_session(response_id, session_key)
    return _stored_response(response_id, stored, await registry.version(stored.instrument_version))


async def read_open_session(response_id: uuid.UUID, session_key: str | None) -> StoredSession:
    """The stored session for the holder of its key while it is open (else ResponseNotFound)."""
    stored = await read_stored_session(response_id)
    _check_open(response_id, session_key, stored.key_hash, stored.submitted_at is not None, stored.released)
    return stored


async def route_for(registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None) -> RouteOut:
    """What a device needs to decide offline which item comes next: the session's route
    plan (`surveys.routing.route_plan`) and the answers saved so far. The device applies
    the plan's conditions to its answers with routing.js, as the server does with
    `surveys.routing.visible_codes`."""
    stored = await read_open_session(response_id, session_key)
    return _stored_route(stored, await registry.version(stored.instrument_version))


async def get_response_and_route(
    registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None
) -> tuple[ResponseOut, RouteOut, Instrument]:
    """`get_response` and `route_for` from one read of the session, with its instrument
    version (a question page that carries the whole questionnaire needs all three)."""
    stored = await read_open_session(response_id, session_key)
    instrument = await registry.version(stored.instrument_version)
    return _stored_response(response_id, stored, instrument), _stored_route(stored, instrument), instrument


def _stored_response(response_id: uuid.UUID, stored: StoredSession, instrument: Instrument) -> ResponseOut:
    context = Context(
        setting=stored.setting, slot=stored.design_slot, features=_features(stored.free_text), answers=stored.saved
    )
    return _response_out(
        response_id,
        stored.instrument,
        stored.content_hash,
        instrument,
        stored.group,
        stored.language,
        context,
        {code: AnswerOut(item=code, value=value, missing=missing) for code, (value, missing) in stored.saved.items()},
        stored.submitted_at,
    )


def _stored_route(stored: StoredSession, instrument: Instrument) -> RouteOut:
    context = Context(setting=stored.setting, slot=stored.design_slot, features=_features(stored.free_text))
    return RouteOut(plan=route_plan(instrument, context), answers=stored.saved)


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


def _decide(
    instrument: Instrument, state: SessionState, response_id: uuid.UUID, session_key: str | None, item_code: str, body: AnswerIn
) -> _Decision:
    """Refuse (404, 409, 400) or say what to store and what comes next."""
    if not key_matches(session_key, state.key_hash):
        raise ResponseNotFound(str(response_id))
    if state.submitted:
        raise ResponseSubmitted(str(response_id))
    if state.released and item_code in state.saved:
        raise ResponseReleased(str(response_id))
    saved = state.saved
    features = _features(state.free_text)
    context = Context(setting=state.setting, slot=state.design_slot, features=features, answers=saved)
    shown = visible_entries(instrument, context)
    entry = next((e for e in shown if e[0].code == item_code), None)
    if entry is None:
        raise InvalidInput("item", _why_hidden(instrument, item_code, context))
    item = as_shown(*entry)
    try:
        value, missing = check_answer(item, body.value, body.missing)
    except AnswerError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    if controls_visibility(instrument, item_code):
        after = Context(context.setting, context.slot, context.features, {**saved, item_code: (value, missing)})
        now_asked = [i.code for i, _ in visible_entries(instrument, after)]
    else:
        now_asked = [i.code for i, _ in shown]
    dropped = sorted(code for code in saved if code not in now_asked and code != item_code)
    if state.released and dropped:
        # Hiding stored answers would change them, and they are final.
        raise ResponseReleased(str(response_id))
    position = now_asked.index(item_code)
    following = [code for code in now_asked[position + 1 :] if code not in saved]
    return _Decision(value=value, missing=missing, dropped=dropped, next_item=following[0] if following else None)


async def save_answer(
    registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None, item_code: str, body: AnswerIn
) -> AnswerSaved:
    """Store (or replace) one answer for the holder of the session's key. Saving the same
    answer twice stores it once. Once the device let the session go, an answer is stored
    only if the item has none yet (the device's outbox delivering), never replaced.

    On PostgreSQL the save is first decided on the session as this worker last stored
    it, if it holds it (`session_cache`), else on an unlocked read, and written with the
    guarded statement (see `answer_store`): one round trip, or two. If the session was
    written by someone else meanwhile, nothing is written by that statement and the save
    is decided again on a fresh read, and at last under the row lock, as on SQLite.
    """
    engine = current_engine()
    decision: _Decision | None = None
    # engine_type rather than isinstance: Engine is an ABC, whose isinstance showed in profiles.
    if engine.engine_type == "postgres" and engine.current_transaction.get() is None:
        decision = await _save_guarded(registry, response_id, session_key, item_code, body)
    if decision is None:
        async with write_transaction():
            state = await read_session(response_id, lock=True)
            decision = _decide(await registry.version(state.instrument_version), state, response_id, session_key, item_code, body)
            encoded = encode_value(decision.value)
            await write_locked(response_id, item_code, encoded, decision.missing, _now(), decision.dropped)
        if state.revision is not None:
            # The lock's no-op update gave the row this transaction's id as its xmin.
            remember_session(
                response_id, state_after_save(state, item_code, encoded, decision.missing, decision.dropped, state.revision)
            )
    return AnswerSaved(
        item=item_code, value=decision.value, missing=decision.missing, next_item=decision.next_item, dropped=decision.dropped
    )


async def _save_guarded(
    registry: InstrumentRegistry, response_id: uuid.UUID, session_key: str | None, item_code: str, body: AnswerIn
) -> _Decision | None:
    """Save with the guarded write, on the cached state and then on a fresh read; None
    if both guards failed (the session is being written concurrently)."""
    cached = cached_session(response_id)
    if cached is not None:
        try:
            decision = await _write_if_unchanged(registry, cached, response_id, session_key, item_code, body)
        except (InvalidInput, ResponseNotFound, ResponseReleased):
            # Perhaps refused only because the cached state is stale (an answer saved
            # through another worker shows this item; the session was resumed under a
            # new key, or released, through another worker): decide on a fresh read.
            decision = None
        if decision is not None:
            return decision
        forget_session(response_id)
    fresh = await read_session(response_id, lock=False)
    return await _write_if_unchanged(registry, fresh, response_id, session_key, item_code, body)


async def _write_if_unchanged(
    registry: InstrumentRegistry, state: SessionState, response_id: uuid.UUID, session_key: str | None, item_code: str, body: AnswerIn
) -> _Decision | None:
    """Decide on `state` and write with its guard; remember the stored session. None if
    the session changed since `state`."""
    decision = _decide(await registry.version(state.instrument_version), state, response_id, session_key, item_code, body)
    encoded = encode_value(decision.value)
    revision = await write_guarded(state, response_id, item_code, encoded, decision.missing, _now(), decision.dropped)
    if revision is None:
        return None
    remember_session(response_id, state_after_save(state, item_code, encoded, decision.missing, decision.dropped, revision))
    return decision


async def submit_response(response_id: uuid.UUID, session_key: str | None) -> SubmitOut:
    """Mark the session submitted, for the holder of its key. Submitting again returns the
    first submission; a session its device let go cannot be submitted (409)."""
    forget_session(response_id)
    async with write_transaction():
        query = Response.select(Response.submitted_at, Response.session_key_hash, Response.released_at).where(
            Response.id == response_id
        )
        if isinstance(current_engine(), PostgresEngine):
            query = query.lock_rows()
        row = await query.first()
        if row is None or not key_matches(session_key, row["session_key_hash"]):
            raise ResponseNotFound(str(response_id))
        submitted_at = row["submitted_at"]
        if submitted_at is None and row["released_at"] is not None:
            raise ResponseReleased(str(response_id))
        if submitted_at is None:
            submitted_at = _now()
            await Response.update({Response.submitted_at: submitted_at}).where(Response.id == response_id).run()
        count = await Answer.count().where(Answer.response == response_id)
    return SubmitOut(id=response_id, submitted_at=submitted_at, answers=count)
