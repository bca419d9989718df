"""Danish and English wording of figures, report and public page (measure labels come
from the survey catalogue; this is only the surrounding text)."""

from functools import lru_cache

from surveys.loader import load_catalogue

LANGUAGES = ("da", "en")

WORDS: dict[str, dict[str, str]] = {
    "patient": {"da": "Patienter", "en": "Patients"},
    "relative": {"da": "Pårørende", "en": "Relatives"},
    "staff": {"da": "Personale", "en": "Staff"},
    "general_adult": {"da": "Almenpsykiatri", "en": "General adult psychiatry"},
    "child_adolescent": {"da": "Børne- og ungdomspsykiatri", "en": "Child and adolescent psychiatry"},
    "forensic": {"da": "Retspsykiatri", "en": "Forensic psychiatry"},
    "measured": {"da": "Målt", "en": "Measured"},
    "reference": {"da": "Sundhedsstyrelsens gradering (2025)", "en": "Danish Health Authority gradation (2025)"},
    "more": {"da": "Mere indgribende", "en": "More intrusive"},
    "less": {"da": "Mindre indgribende", "en": "Less intrusive"},
    "not_legal": {"da": "Stiplet: ingen lovhjemmel i dag", "en": "Dashed: not legal today"},
    "differs": {"da": "Orange: afviger fra Sundhedsstyrelsens gradering", "en": "Orange: differs from the authority's gradation"},
    "undetermined": {"da": "uafklaret", "en": "undetermined"},
    "undetermined_legend": {"da": "Stiplet streg: rækkefølgen er ikke afgjort af data", "en": "Dashed line: the data do not settle the order"},
    "side_by_side": {"da": "Side om side: lige indgribende", "en": "Side by side: equally intrusive"},
    "respondents": {"da": "respondenter", "en": "respondents"},
}


def word(key: str, language: str) -> str:
    """The wording of `key` in `language` (the key itself if unknown)."""
    return WORDS.get(key, {}).get(language, key)


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    return {m.code: dict(m.label) for m in load_catalogue().measures}


@lru_cache(maxsize=1)
def legal_today() -> dict[str, bool]:
    """Measure code -> legal in Denmark today, from the catalogue."""
    return {m.code: m.legal_today for m in load_catalogue().measures}


def measure_label(code: str, language: str) -> str:
    """The catalogue label of a measure (its code if the catalogue lacks it)."""
    return _labels().get(code, {}).get(language, code)
