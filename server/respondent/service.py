"""Start, answer, submit: the one code path every answer takes (API, tablet pages, demo).

Each save is a single upsert on the (response, item) key inside a write transaction,
so a retried or duplicated request stores the answer once and never loses it.
"""

import datetime as dt
import json
import uuid
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.instrument_registry import InstrumentRegistry
from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseSubmitted
from server.respondent.schemas import AnchorsOut, AnswerIn, AnswerOut, ItemOut, ResponseOut, StartRequest, SubmitOut
from server.storage.database import current_engine, write_transaction
from server.storage.tables import Answer, Response, Site, Study
from surveys.answers import check_answer
from surveys.errors import AnswerError
from surveys.model import Instrument, Item


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def item_out(item: Item, language: str) -> ItemOut:
    """An item rendered in one language."""
    return ItemOut(
        code=item.code,
        type=item.type,
        kind=item.kind,
        prompt=item.prompt[language],
        measure=item.measure,
        help=item.help[language] if item.help else None,
        anchors=AnchorsOut(low=item.anchors.low[language], high=item.anchors.high[language]) if item.anchors else None,
        minimum=item.minimum,
        maximum=item.maximum,
        missing_options=list(item.missing_options),
    )


async def start_response(registry: InstrumentRegistry, request: StartRequest) -> ResponseOut:
    """Create a new, empty questionnaire session and return its items."""
    study = await Study.select(Study.id).where((Study.code == request.study) & (Study.is_open == True)).first()  # noqa: E712
    if study is None:
        raise InvalidInput("study", f"no open study with code '{request.study}'")
    site = await Site.select(Site.id).where((Site.study == study["id"]) & (Site.code == request.site)).first()
    if site is None:
        raise InvalidInput("site", f"study '{request.study}' has no site with code '{request.site}'")
    code = request.instrument or registry.default_for_group(request.group)
    if code is None or code not in registry.current:
        raise InvalidInput("instrument", f"no questionnaire '{code}' for group '{request.group}'")
    version_id, digest, instrument = registry.current[code]
    if instrument.group != request.group:
        raise InvalidInput("instrument", f"questionnaire '{code}' is for group '{instrument.group}', not '{request.group}'")
    if request.language not in instrument.languages:
        raise InvalidInput("language", f"questionnaire '{code}' has no '{request.language}' version")
    response_id = uuid.uuid4()
    await Response.insert(
        Response(
            id=response_id,
            study=study["id"],
            site=site["id"],
            instrument_version=version_id,
            respondent_group=request.group,
            setting=request.setting,
            language=request.language,
            started_at=_now(),
        )
    ).run()
    return _response_out(response_id, code, digest, instrument, request.group, request.setting, request.language, {}, None)


def _response_out(
    response_id: uuid.UUID,
    code: str,
    digest: str,
    instrument: Instrument,
    group: str,
    setting: str,
    language: str,
    answers: dict[str, AnswerOut],
    submitted_at: dt.datetime | None,
) -> ResponseOut:
    return ResponseOut(
        id=response_id,
        instrument=code,
        instrument_version=digest,
        group=group,
        setting=setting,
        language=language,
        items=[item_out(item, language) for item in instrument.items_for(setting)],
        answers=answers,
        submitted_at=submitted_at,
    )


async def _load(response_id: uuid.UUID) -> dict[str, Any]:
    row = await Response.select(
        Response.all_columns(), Response.instrument_version.content_hash, Response.instrument_version.instrument
    ).where(Response.id == response_id).first()
    if row is None:
        raise ResponseNotFound(str(response_id))
    return row


async def get_response(registry: InstrumentRegistry, response_id: uuid.UUID) -> ResponseOut:
    """A session with its items and the answers saved so far (for resuming)."""
    row = await _load(response_id)
    instrument = await registry.version(row["instrument_version"])
    answers = await Answer.select(Answer.item, Answer.value, Answer.missing).where(Answer.response == response_id)
    return _response_out(
        response_id,
        row["instrument_version.instrument"],
        row["instrument_version.content_hash"],
        instrument,
        row["respondent_group"],
        row["setting"],
        row["language"],
        {a["item"]: AnswerOut(item=a["item"], value=_decode_value(a["value"]), missing=a["missing"]) for a in answers},
        row["submitted_at"],
    )


def _decode_value(raw: Any) -> Any:
    # Piccolo hands JSON columns back as text on both engines.
    return json.loads(raw) if isinstance(raw, str) else raw


async def _lock_open_response(response_id: uuid.UUID) -> dict[str, Any]:
    """Read the session inside the current write transaction, refusing a submitted one.

    On PostgreSQL the row is locked so a concurrent submit waits for this save (and vice
    versa); SQLite's IMMEDIATE transaction already serialises writers.
    """
    query = Response.select(Response.id, Response.instrument_version, Response.setting, Response.submitted_at).where(
        Response.id == response_id
    )
    if isinstance(current_engine(), PostgresEngine):
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise ResponseNotFound(str(response_id))
    if row["submitted_at"] is not None:
        raise ResponseSubmitted(str(response_id))
    return row


async def save_answer(registry: InstrumentRegistry, response_id: uuid.UUID, item_code: str, body: AnswerIn) -> AnswerOut:
    """Store (or replace) one answer. Saving the same answer twice stores it once."""
    async with write_transaction():
        row = await _lock_open_response(response_id)
        instrument = await registry.version(row["instrument_version"])
        try:
            item = instrument.item(item_code)
        except KeyError:
            raise InvalidInput("item", f"'{item_code}' is not an item of this questionnaire") from None
        if row["setting"] not in item.settings:
            raise InvalidInput("item", f"'{item_code}' is not asked in setting '{row['setting']}'")
        try:
            value, missing = check_answer(item, body.value, body.missing)
        except AnswerError as exc:
            raise InvalidInput(exc.field, exc.reason) from None
        await (
            Answer.insert(Answer(response=response_id, item=item_code, value=value, missing=missing, answered_at=_now()))
            .on_conflict(
                target=(Answer.response, Answer.item),
                action="DO UPDATE",
                values=(Answer.value, Answer.missing, Answer.answered_at),
            )
            .run()
        )
    return AnswerOut(item=item_code, value=value, missing=missing)


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
