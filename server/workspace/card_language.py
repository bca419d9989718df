"""The words on a printed invitation card, in Danish (the default: the card is handed to
patients at a Danish hospital) or English, chosen when the cards are printed.

The card's language is the coordinator's choice for the respondents at hand, not the
language the workspace is shown in, so it is fixed here per card language rather than
following the signed-in user's.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date

#: Card dates are the hospital's calendar dates.
HOSPITAL_TIME = ZoneInfo("Europe/Copenhagen")
DEFAULT_CARD_LANGUAGE = "da"


class CardText(msgspec.Struct, frozen=True):
    """Every sentence of a card in one language ({placeholders} filled in by the template)."""

    language_name: str
    invited: str
    scan: str
    or_type: str
    valid_until: str
    voluntary: str
    questions: str
    data_controller: str
    qr_label: str


CARD_TEXTS: dict[str, CardText] = {
    "da": CardText(
        language_name="Dansk",
        invited="Du er inviteret til at svare på et spørgeskema",
        scan="Scan koden med kameraet på din telefon, eller åbn",
        or_type="Du kan også gå til {address} og skrive koden",
        valid_until="Koden gælder til {date}",
        voluntary="Det er frivilligt at svare. Vi spørger ikke om dit navn.",
        questions="Spørgsmål: {contact}",
        data_controller="Dataansvarlig: {data_controller}",
        qr_label="QR-kode til {link}",
    ),
    "en": CardText(
        language_name="English",
        invited="You are invited to answer a questionnaire",
        scan="Scan the code with your phone's camera, or open",
        or_type="or go to {address} and type the code",
        valid_until="Valid until {date}",
        voluntary="Answering is voluntary. We do not ask for your name.",
        questions="Questions: {contact}",
        data_controller="Data controller: {data_controller}",
        qr_label="QR code of {link}",
    ),
}


class CardLanguageError(ValueError):
    """A card language that is not offered; `field` names the form field."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"card_language: {reason}")
        self.field = "card_language"
        self.reason = reason


def card_languages() -> list[tuple[str, str]]:
    """(code, name) of each card language, the default first."""
    return [(code, text.language_name) for code, text in CARD_TEXTS.items()]


def card_language(value: str) -> str:
    """The card language chosen on the form ("" for the default); refuses any other."""
    chosen = value.strip() or DEFAULT_CARD_LANGUAGE
    if chosen not in CARD_TEXTS:
        raise CardLanguageError(f"choose one of {', '.join(CARD_TEXTS)}")
    return chosen


def card_date(moment: dt.datetime, language: str) -> str:
    """A card's expiry as the hospital's calendar date, written out in `language`."""
    return format_date(moment.astimezone(HOSPITAL_TIME).date(), "long", locale=language)
