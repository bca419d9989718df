"""The Piccolo tables. Schema changes need a migration in `migrations/`."""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Study(Table, tablename="study"):
    """A research study: which questionnaires it uses and where it runs."""

    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    is_open = Boolean(default=True)
    #: Free-text comments are off unless a study switches them on (privacy by default).
    free_text = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    #: Shown to every respondent before consent: who is responsible for the data, and
    #: whom to ask (free text, e.g. a role, a phone number and an e-mail address).
    data_controller = Varchar(length=200, default="")
    contact = Varchar(length=300, default="")
    #: The study holds simulated answers (the demo): its data can never be released.
    simulated = Boolean(default=False)
    #: One or two sentences on why the study asks (printed on invitation cards and sheets).
    purpose = Varchar(length=500, default="")
    #: Patients are offered their own "My order" card after the thanks (no answer of the
    #: card is stored); a study can switch the offer off.
    preference_card = Boolean(default=True)


class Site(Table, tablename="site"):
    """A ward or unit where a study collects answers (unique code within its study)."""

    study = ForeignKey(Study, on_delete=OnDelete.restrict)
    code = Varchar(length=64)
    name = Varchar(length=200)
    setting = Varchar(length=32)


class InstrumentVersion(Table, tablename="instrument_version"):
    """An immutable compiled questionnaire, identified by the hash of its content."""

    instrument = Varchar(length=64, index=True)
    content_hash = Varchar(length=64, unique=True)
    content = JSON()
    created_at = Timestamptz(default=TimestamptzNow())


class Response(Table, tablename="response"):
    """One respondent's questionnaire session. It holds no identifying data."""

    id = UUID(primary_key=True)
    study = ForeignKey(Study, on_delete=OnDelete.restrict)
    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    instrument_version = ForeignKey(InstrumentVersion, on_delete=OnDelete.restrict)
    respondent_group = Varchar(length=16)
    setting = Varchar(length=32)
    language = Varchar(length=8)
    #: The respondent's number in the balanced paired-comparison design.
    design_slot = Integer(default=0)
    started_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    #: SHA-256 of the session key that binds the session to the device answering it
    #: (`server.credentials.session_binding`); the key itself is never stored.
    session_key_hash = Varchar(length=64, null=True, default=None)
    #: When the device let the session go (a kiosk wipe, a pause, a new start on the same
    #: browser): from then on its answers are write-once and never read back.
    released_at = Timestamptz(null=True, default=None)


class DesignSlotCounter(Table, tablename="design_slot_counter"):
    """The next paired-design slot per (instrument version, setting); unique per pair.

    A start takes its slot by incrementing this row in its write transaction, which
    PostgreSQL serialises per row, so simultaneous starts never share a slot (counting
    responses did not: two transactions could see the same count).
    """

    instrument_version = ForeignKey(InstrumentVersion, on_delete=OnDelete.restrict)
    setting = Varchar(length=32)
    next_slot = Integer(default=0)


class Answer(Table, tablename="answer"):
    """One answer to one item; (response, item) is unique, so re-saves replace."""

    response = ForeignKey(Response, on_delete=OnDelete.cascade)
    item = Varchar(length=128)
    value = JSON(null=True, default=None)
    missing = Varchar(length=32, null=True, default=None)
    answered_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [Study, Site, InstrumentVersion, Response, DesignSlotCounter, Answer]
