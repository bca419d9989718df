"""Request and response bodies of the respondent API (`/api/v1/responses`)."""

import datetime as dt
import uuid
from typing import Literal

import msgspec

GroupCode = Literal["patient", "relative", "staff"]
SettingCode = Literal["general_adult", "child_adolescent", "forensic"]
MissingCode = Literal["dont_know", "prefer_not_to_answer"]


class StartRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Start one respondent's questionnaire. Nothing identifying is asked."""

    study: str
    site: str
    group: GroupCode
    setting: SettingCode
    language: Literal["da", "en"] = "da"
    instrument: str | None = None


class AnchorsOut(msgspec.Struct):
    low: str
    high: str


class ItemOut(msgspec.Struct):
    """One question in the respondent's language."""

    code: str
    type: str
    kind: str
    prompt: str
    measure: str | None
    help: str | None
    anchors: AnchorsOut | None
    minimum: int
    maximum: int
    missing_options: list[str]


class ResponseOut(msgspec.Struct):
    """A started (or resumed) questionnaire with its items and the answers so far."""

    id: uuid.UUID
    instrument: str
    instrument_version: str
    group: str
    setting: str
    language: str
    items: list[ItemOut]
    answers: dict[str, "AnswerOut"]
    submitted_at: dt.datetime | None


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """One answer: a value, or a missing code ("don't know" / "prefer not to answer")."""

    value: int | float | None = None
    missing: MissingCode | None = None


class AnswerOut(msgspec.Struct):
    item: str
    value: int | float | None
    missing: str | None


class SubmitOut(msgspec.Struct):
    id: uuid.UUID
    submitted_at: dt.datetime
    answers: int
