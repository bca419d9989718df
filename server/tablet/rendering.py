"""Rendering a tablet page: language, wording and the kiosk's timing in every template."""

from typing import Any

from litestar.response import Template

from server.tablet.config import TABLET_SETTINGS
from server.credentials.kiosk import Kiosk
from server.tablet.phrases import PHRASES

LANGUAGES = ("da", "en")


def language(value: str | None) -> str:
    """A supported language; Danish unless English was chosen."""
    return value if value in PHRASES else "da"


def page(
    name: str,
    lang: str,
    kiosk: Kiosk | None = None,
    status_code: int = 200,
    languages: tuple[str, ...] = LANGUAGES,
    **context: Any,
) -> Template:
    """A tablet template with the shared context; `kiosk` is the enrolled tablet showing it, if any.

    `languages` are the languages the respondent may switch between on this screen (the
    study's choice for the questionnaire; both when nothing narrows them).
    """
    other = "en" if lang == "da" else "da"
    return Template(
        template_name=name,
        status_code=status_code,
        context={
            "lang": lang,
            "other_lang": other,
            "languages": languages,
            "t": PHRASES[lang],
            "kiosk": kiosk is not None,
            # Each enrolment may set its own idle time; the server-wide one is the fallback.
            "idle_seconds": kiosk.idle_seconds if kiosk else TABLET_SETTINGS.kiosk_idle_seconds,
            "grace_seconds": TABLET_SETTINGS.kiosk_grace_seconds,
            **context,
        },
    )
