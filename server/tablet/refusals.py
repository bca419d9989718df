"""What a respondent is told when a tablet page refuses something.

A respondent never sees a developer's reason or an internal code: each refused field has
a plain phrase in `phrases.py`, in the respondent's language. The pages record that
language on the request as soon as they know it (from the questionnaire session or the
posted form), so the refusal handler in `server/errors.py` can use it.
"""

from litestar import Request

from server.respondent.errors import InvalidInput
from server.tablet.rendering import language

_LANGUAGE_KEY = "respondent_language"

#: The phrase (a key of `PHRASES`) for a refused field; any other field gets `GENERIC`.
FIELD_PHRASES: dict[str, str] = {
    "group": "refused_group",
    "site": "refused_site",
    "setting": "refused_setting",
    "choice": "refused_choice",
    "value": "refused_answer",
    "missing": "refused_answer",
    "item": "refused_answer",
}
GENERIC = "error_text"


class ScreenRefused(InvalidInput):
    """A posted question screen the respondent must correct on the same screen.

    `phrase` is the key of the wording that says what to correct.
    """

    def __init__(self, field: str, reason: str, phrase: str) -> None:
        super().__init__(field, reason)
        self.phrase = phrase


def remember_language(request: Request, lang: str) -> None:
    """Record the respondent's language for a refusal later in this request."""
    request.state[_LANGUAGE_KEY] = lang


def respondent_language(request: Request) -> str:
    """The language recorded by the page, else the `lang` in the address, else Danish."""
    recorded = request.state.get(_LANGUAGE_KEY)
    return language(recorded if isinstance(recorded, str) else request.query_params.get("lang"))


def refusal_phrase(field: str) -> str:
    """The phrase key that tells a respondent what was wrong with `field`."""
    return FIELD_PHRASES.get(field, GENERIC)
