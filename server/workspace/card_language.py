"""The words on a printed invitation card, in Danish (the default: the card is handed to
patients at a Danish hospital) or English, chosen when the cards are printed.

The card's language is the coordinator's choice for the respondents at hand, not the
language the workspace is shown in: the sentences come from the workspace's catalogue in
the card's language, whatever the signed-in user's.
"""

import datetime as dt

import msgspec
from babel.dates import format_date

from server.workspace.i18n import N_, _, in_local_time, translations

DEFAULT_CARD_LANGUAGE = "da"


class CardText(msgspec.Struct, frozen=True):
    """Every sentence of a card in one language ({placeholders} filled in by the template)."""

    invited: str
    scan: str
    or_type: str
    valid_until: str
    voluntary: str
    questions: str
    data_controller: str
    qr_label: str


#: The card's sentences in English, the source of the Danish catalogue (plain Danish there,
#: for patients). `str.format` placeholders: they are filled in on the card, not by gettext.
_CARD_MESSAGES = CardText(
    invited=N_("You are invited to answer a questionnaire"),
    scan=N_("Scan the code with your phone's camera, or open"),
    or_type=N_("or go to {address} and type the code"),
    valid_until=N_("Valid until {date}"),
    voluntary=N_("Answering is voluntary. We do not ask for your name."),
    questions=N_("Questions: {contact}"),
    data_controller=N_("Data controller: {data_controller}"),
    qr_label=N_("QR code of {link}"),
)
#: Card languages by code, each named in its own language, the default first.
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def card_text(language: str) -> CardText:
    """The card's sentences in `language` (a key of LANGUAGE_NAMES), from the workspace's
    catalogue whatever language the workspace itself is shown in."""
    translate = translations(language).gettext  # type: ignore[arg-type]
    return CardText(**{name: translate(getattr(_CARD_MESSAGES, name)) for name in _CARD_MESSAGES.__struct_fields__})


class CardLanguageError(ValueError):
    """A card language that is not offered; `field` names the form field."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"card_language: {reason}")
        self.field = "card_language"
        self.reason = reason


def card_languages() -> list[tuple[str, str]]:
    """(code, name) of each card language, the default first."""
    return list(LANGUAGE_NAMES.items())


def card_language(value: str) -> str:
    """The card language chosen on the form ("" for the default); refuses any other."""
    chosen = value.strip() or DEFAULT_CARD_LANGUAGE
    if chosen not in LANGUAGE_NAMES:
        raise CardLanguageError(_("choose one of %(languages)s") % {"languages": ", ".join(LANGUAGE_NAMES)})
    return chosen


def card_date(moment: dt.datetime, language: str) -> str:
    """A card's expiry as the hospital's calendar date, written out in `language`."""
    return format_date(in_local_time(moment).date(), "long", locale=language)
