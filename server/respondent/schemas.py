"""Request and response bodies of the respondent API (`/api/v1/responses`).

Consent: a questionnaire session is created only by a start request carrying
`"consent": true`, sent after the client has shown the instrument's information and
consent text (`GET /api/v1/responses/consent`). Without consent nothing is stored.
"""

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from surveys.routing import RouteStep

GroupCode = Literal["patient", "relative", "staff"]
SettingCode = Literal["general_adult", "child_adolescent", "forensic"]
MissingCode = Literal["dont_know", "prefer_not_to_answer"]


class StartRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Start one respondent's questionnaire. Nothing identifying is asked.

    A start needs a credential: an enrolled ward tablet's token (`Authorization: Bearer
    <token>`, or the tablet's `lm_kiosk` cookie) or an invitation code (`invitation`, or the
    `lm_invite` cookie). The credential fixes the study, the site and its setting (and an
    invitation the group); `study`, `site`, `setting` and `group` may be left out and are
    then taken from it, and any that disagree with it are refused (400 naming the field).
    Only a server in demo mode starts without a credential, for any open study and site.

    `start_key`: a random string the client makes once per respondent and sends again
    with every retry of the same start; a retried start returns the session already made.
    """

    study: str | None = None
    site: str | None = None
    group: GroupCode | None = None
    setting: SettingCode | None = None
    language: Literal["da", "en"] = "da"
    instrument: str | None = None
    #: The respondent agreed to the consent text; without it nothing is stored.
    consent: bool = False
    #: An invitation code (as printed or in the link), for a respondent's own device.
    invitation: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    #: Makes a retried start return the same session (16 to 128 characters).
    start_key: Annotated[str, msgspec.Meta(min_length=16, max_length=128)] | None = None


class ConsentOut(msgspec.Struct):
    """What to show before starting: the information and consent texts of one instrument."""

    instrument: str
    instrument_version: str
    group: str
    language: str
    title: str
    information: str
    consent: str


class AnchorsOut(msgspec.Struct):
    low: str
    high: str


class OptionOut(msgspec.Struct):
    """One answer option; `code` is what to send back as (part of) the value."""

    code: str
    label: str


class ItemOut(msgspec.Struct):
    """One question in the respondent's language.

    Value to send per type: vas/numeric a whole number in [minimum, maximum];
    likert/single one option code; multiple a list of option codes; paired the code of the
    measure chosen as less intrusive (options are in display order); ranking every option
    code once, least intrusive first; text a string of at most max_length characters.
    """

    code: str
    type: str
    kind: str
    prompt: str
    measure: str | None
    measure_b: str | None
    help: str | None
    anchors: AnchorsOut | None
    minimum: int
    maximum: int
    options: list[OptionOut]
    missing_options: list[str]
    missing_labels: dict[str, str]
    max_length: int
    hypothetical: bool


class ResponseOut(msgspec.Struct):
    """A started (or resumed) questionnaire with the items to ask now and the answers so far.

    `items` already reflects skip logic: after saving an answer that controls later
    items, read the session again (or follow `next_item` of the save) to see what to ask.
    """

    id: uuid.UUID
    instrument: str
    instrument_version: str
    group: str
    setting: str
    language: str
    items: list[ItemOut]
    answers: dict[str, "AnswerOut"]
    submitted_at: dt.datetime | None
    #: Only in the answer to a start (and to a retried start, the same): the key that
    #: binds the session to this client. Send it as `X-Session-Key` with every later call; it is
    #: not stored and cannot be read again.
    session_key: str | None = None


#: An answer's value; whole numbers are sent as JSON integers ("number" covers both).
AnswerValue = float | str | list[str] | None


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """One answer: a value, or a missing code ("don't know" / "prefer not to answer")."""

    # `float`, not `int | float`: the OpenAPI "oneOf" of integer and number matches a
    # whole number twice, so every integer answer broke the published schema. A whole
    # number decodes to a float here and is rounded to the item's integer scale anyway.
    value: AnswerValue = None
    missing: MissingCode | None = None


class AnswerOut(msgspec.Struct):
    item: str
    value: AnswerValue
    missing: str | None


class AnswerSaved(msgspec.Struct):
    """A stored answer, the next item to ask, and answers dropped because skip logic now hides them."""

    item: str
    value: AnswerValue
    missing: str | None
    next_item: str | None
    dropped: list[str]


class SubmitOut(msgspec.Struct):
    id: uuid.UUID
    submitted_at: dt.datetime
    answers: int


class RefusalOut(msgspec.Struct):
    """A refused request (404 unknown session, 409 submitted): the status and why."""

    status_code: int
    detail: str


class RouteOut(msgspec.Struct):
    """A session's skip logic for a device that routes offline (`service.route_for`).

    `plan`: the candidate items in order, each `{code, swapped, show_if: [{item, any_of,
    none_of}]}`; an item is asked when all its conditions hold on the answers to items
    asked before it (see `surveys.routing`). `answers`: item code -> `[value, missing]`.
    """

    plan: list[RouteStep]
    answers: dict[str, tuple[AnswerValue, str | None]]
