"""The SQL of starting and reading a questionnaire session (the save's is in `answer_store`).

Raw SQL for the same reason as the save: these run on every start and every re-read of
a session, and building the statements with the query builder cost more CPU than
sending them. A start looks up its study and site in one query and, on PostgreSQL,
takes its design slot and inserts the response in one statement (its own transaction);
a read gets the session, its instrument version, its study's switch and its answers in
one query.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from piccolo.engine.postgres import PostgresEngine

from server.respondent.answer_store import Saved, saved_answers
from server.respondent.design_slots import NEXT_SLOT_SQL, take_design_slot
from server.respondent.errors import InvalidInput, ResponseNotFound
from server.storage.database import current_engine, write_transaction
from server.storage.tables import Response


@dataclass(frozen=True)
class StudySite:
    """The open study and its site a start is for."""

    study_id: int
    site_id: int
    free_text: bool


# LEFT JOIN, so an unknown site is told apart from an unknown or closed study.
_STUDY_SITE_SQL = (
    "SELECT s.id AS study_id, s.free_text, si.id AS site_id"
    " FROM study s LEFT JOIN site si ON si.study = s.id AND si.code = {}"
    " WHERE s.code = {} AND s.is_open"
)


async def find_study_site(study: str, site: str) -> StudySite:
    """The open study `study` and its site `site`; refuse (400) naming the one missing."""
    rows = await Response.raw(_STUDY_SITE_SQL, site, study)
    if not rows:
        raise InvalidInput("study", f"no open study with code '{study}'")
    row = rows[0]
    if row["site_id"] is None:
        raise InvalidInput("site", f"study '{study}' has no site with code '{site}'")
    return StudySite(study_id=row["study_id"], site_id=row["site_id"], free_text=bool(row["free_text"]))


_INSERT_COLUMNS = (
    "id, study, site, instrument_version, respondent_group, setting, language, design_slot, started_at,"
    " session_key_hash, submitted_at, released_at"
)
_INSERT_SQL = (
    f"INSERT INTO response ({_INSERT_COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, NULL, NULL)"
)

# The slot counter's upsert and the insert in one statement: one round trip instead of
# four (BEGIN, upsert, insert, COMMIT). The counter row stays locked until the statement
# commits, exactly as in the two-statement transaction, so simultaneous starts still
# never share a slot.
_START_SQL_POSTGRES = (
    f"WITH taken AS ({NEXT_SLOT_SQL})"
    f" INSERT INTO response ({_INSERT_COLUMNS})"
    # Casts: parameters in a SELECT list get no type from the insert's target columns.
    " SELECT {}::uuid, {}::integer, {}::integer, {}::integer, {}::varchar, {}::varchar, {}::varchar,"
    " taken.next_slot - 1, {}::timestamptz, {}::varchar, NULL, NULL FROM taken"
    " RETURNING design_slot, xmin::text AS revision"
)


async def insert_response(
    response_id: uuid.UUID,
    where: StudySite,
    version_id: int,
    group: str,
    setting: str,
    language: str,
    started_at: dt.datetime,
    key_hash: str,
) -> tuple[int, str | None]:
    """Store a new, empty session bound to the key with `key_hash`, with the next design
    slot of its version and setting; return the slot and the response row's revision
    (its xmin, PostgreSQL only)."""
    if isinstance(current_engine(), PostgresEngine):
        rows = await Response.raw(
            _START_SQL_POSTGRES,
            version_id, setting, version_id, setting,
            response_id, where.study_id, where.site_id, version_id, group, setting, language, started_at, key_hash,
        )  # fmt: skip
        return int(rows[0]["design_slot"]), rows[0]["revision"]
    async with write_transaction():
        # Taken from a counter row in this transaction, so simultaneous starts never share a slot.
        slot = await take_design_slot(version_id, setting)
        await Response.raw(
            _INSERT_SQL, response_id, where.study_id, where.site_id, version_id, group, setting, language, slot, started_at, key_hash
        )
    return slot, None


@dataclass(frozen=True)
class StoredSession:
    """A session as stored, with what reading it needs besides the instrument."""

    instrument_version: int
    instrument: str
    content_hash: str
    group: str
    setting: str
    language: str
    design_slot: int
    submitted_at: dt.datetime | None
    free_text: bool
    saved: Saved
    key_hash: str | None
    released: bool


# One row per answer (a single row with a NULL item when there is none yet), in the order
# the answers were first stored.
_READ_SQL = (
    "SELECT r.instrument_version, v.instrument, v.content_hash, r.respondent_group, r.setting, r.language,"
    " r.design_slot, r.submitted_at, s.free_text, r.session_key_hash, r.released_at, a.item, a.value, a.missing"
    " FROM response r JOIN study s ON s.id = r.study JOIN instrument_version v ON v.id = r.instrument_version"
    " LEFT JOIN answer a ON a.response = r.id"
    " WHERE r.id = {} ORDER BY a.id"
)


async def read_stored_session(response_id: uuid.UUID) -> StoredSession:
    """The session and its answers; raise ResponseNotFound if there is none."""
    rows = await Response.raw(_READ_SQL, response_id)
    if not rows:
        raise ResponseNotFound(str(response_id))
    first = rows[0]
    return StoredSession(
        instrument_version=first["instrument_version"],
        instrument=first["instrument"],
        content_hash=first["content_hash"],
        group=first["respondent_group"],
        setting=first["setting"],
        language=first["language"],
        design_slot=first["design_slot"],
        submitted_at=first["submitted_at"],
        free_text=bool(first["free_text"]),
        saved=saved_answers(rows),
        key_hash=first["session_key_hash"],
        released=first["released_at"] is not None,
    )
