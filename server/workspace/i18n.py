"""The workspace's language: Danish or English, per request, from gettext catalogues.

English is the source language (every msgid is the English text); Danish comes from
`locale/da/LC_MESSAGES/messages.po`, read once with Babel and compiled in memory, so no
binary .mo file is kept in the repository or needs a build step.

The language of a request is held in a context variable:

- `locale_middleware` (on the workspace routers) sets it from the `lm_language` cookie
  (the switch on the login page), else from Accept-Language, else Danish;
- the role guard overrides it with the signed-in user's own choice (`StaffUser.language`).

Outside a request (the command line, direct calls in tests) it is English, the source.
See /docs/workspace.md ("Language") and the notes on marking strings.
"""

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, timezone
from functools import cache
from gettext import GNUTranslations, NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

Language = Literal["da", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("da", "en")
#: A browser that names neither language (or sends no header) gets Danish: the product's home.
BROWSER_DEFAULT: Final[Language] = "da"
#: No request (command line, scripts): the source language.
SOURCE: Final[Language] = "en"
#: What the switch shows for each language, each in its own language.
LANGUAGE_NAMES: Final[Mapping[Language, str]] = {"da": "Dansk", "en": "English"}
#: The cookie the switch sets (for the login page, before anyone is signed in).
LANGUAGE_COOKIE: Final = "lm_language"
#: Dates and times are shown in the hospitals' time zone, whatever the server's.
LOCAL_TIME: Final = ZoneInfo("Europe/Copenhagen")
#: Babel locales for dates and numbers; English uses British conventions (day first, 24 hours).
_FORMAT_LOCALES: Final[Mapping[Language, Locale]] = {"da": Locale.parse("da_DK"), "en": Locale.parse("en_GB")}

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"

_current: ContextVar[Language] = ContextVar("workspace_language", default=SOURCE)


def catalogue_path(language: Language = "da") -> Path:
    """The .po file of `language` (English has none: its msgids are the text)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: Language) -> NullTranslations:
    """The compiled catalogue of `language`; fuzzy entries are left out (shown in English)."""
    if language == SOURCE:
        return NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)


def as_language(value: object) -> Language | None:
    """`value` if it names a workspace language ("da", "en"), else None."""
    return value if value in LANGUAGES else None  # type: ignore[return-value]


def current_language() -> Language:
    """The language of the request being handled (English outside requests)."""
    return _current.get()


def use_language(language: Language) -> None:
    """Make `language` the language of the rest of this request."""
    _current.set(language)


def gettext(message: str) -> str:
    """`message` (English) in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language."""
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (module-level constants:
    translate with `_()` where it is shown)."""
    return message


def from_accept_language(header: str | None) -> Language:
    """The first of Danish or English the browser prefers (by q-value); Danish if neither.

    "da-DK,da;q=0.9,en;q=0.8" -> da; "en-GB,en;q=0.9" -> en; "de" or nothing -> da.
    Only the tags da* and en* are read; any other language counts as not asked.
    """
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        language = as_language(primary)
        if language is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        # Higher quality wins; at equal quality, the earlier tag.
        candidate = (-quality, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else BROWSER_DEFAULT


def in_local_time(moment: datetime) -> datetime:
    """`moment` in Copenhagen time. Stored times are UTC; a naive one (SQLite) is UTC too."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(LOCAL_TIME)


def local_datetime(moment: datetime | None, seconds: bool = False) -> str:
    """A date and time in Copenhagen time, as the current language writes it
    (da "1. dec. 2026 05.42", en "1 Dec 2026, 05:42"); "–" for none."""
    if moment is None:
        return "–"
    time_format = "medium" if seconds else "short"
    locale = _FORMAT_LOCALES[_current.get()]
    pattern = locale.datetime_formats["medium"].format(
        locale.time_formats[time_format].pattern, locale.date_formats["medium"].pattern
    )
    return format_datetime(in_local_time(moment), pattern, locale=locale)


def local_date(moment: date | datetime | None) -> str:
    """A date as the current language writes it (da "1. dec. 2026", en "1 Dec 2026")."""
    if moment is None:
        return "–"
    day = in_local_time(moment).date() if isinstance(moment, datetime) else moment
    return format_date(day, "medium", locale=_FORMAT_LOCALES[_current.get()])


def local_time(moment: datetime | None, seconds: bool = True) -> str:
    """A time of day in Copenhagen time (da "05.42.07", en "05:42:07")."""
    if moment is None:
        return "–"
    return format_time(in_local_time(moment), "medium" if seconds else "short", locale=_FORMAT_LOCALES[_current.get()])


def number(value: float | int | None, digits: int | None = None) -> str:
    """A number with the current language's decimal and grouping signs (da "1.234,5");
    `digits` fixes the decimals shown."""
    if value is None:
        return "–"
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_FORMAT_LOCALES[_current.get()])
