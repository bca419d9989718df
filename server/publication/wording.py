"""Danish and English wording of figures, report and public page (measure labels come
from the survey catalogue; this is only the surrounding text)."""

import re
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


#: Levels of the report's subgroup splits (server.publication.subgroups.SPLITS).
LEVELS: dict[str, dict[str, str]] = {
    "female": {"da": "Kvinder", "en": "Women"},
    "male": {"da": "Mænd", "en": "Men"},
    "other": {"da": "Andet", "en": "Other"},
    "prefer_not_to_say": {"da": "Vil ikke oplyse", "en": "Prefer not to say"},
    "unknown": {"da": "Ukendt", "en": "Unknown"},
    "none": {"da": "Ingen erfaring", "en": "No experience"},
    "witnessed": {"da": "Har set det", "en": "Has seen it"},
    "experienced": {"da": "Selv oplevet", "en": "Has experienced it"},
}


def level_word(level: str, language: str) -> str:
    """A subgroup level as printed: words for codes, an en dash in age bands ("18–29")."""
    if level in LEVELS:
        return LEVELS[level].get(language, level)
    return re.sub(r"(?<=\d)-(?=\d)", "–", level)


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


# --- Notes and departures -------------------------------------------------------------
# The analysis writes its notes and plan departures in English (they are part of the
# JSON, which is language-neutral data). The report prints them in its own language:
# each known pattern is rewritten with its numbers, cells and measures carried over;
# measure codes become catalogue labels and "group / setting" cells become words.

_CELL = r"(?P<group>[a-z_]+) / (?P<setting>[a-z_]+)"
_NOTE_PATTERNS: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (
        re.compile(rf"^suppressed \(fewer than (?P<k>\d+) respondents\): {_CELL}$"),
        {"da": "udeladt (færre end {k} respondenter): {cell}", "en": "left out (fewer than {k} respondents): {cell}"},
    ),
    (
        re.compile(rf"^suppressed \(fewer than (?P<k>\d+) respondents\): {_CELL}: ratings of (?P<measures>.+)$"),
        {"da": "udeladt (færre end {k} respondenter): {cell}: vurderinger af {measures}", "en": "left out (fewer than {k} respondents): {cell}: ratings of {measures}"},
    ),
    (
        re.compile(rf"^suppressed \(fewer than (?P<k>\d+) respondents\): {_CELL}: allowed\? answers on (?P<measures>.+)$"),
        {"da": "udeladt (færre end {k} respondenter): {cell}: svar på »bør det være tilladt?« om {measures}", "en": "left out (fewer than {k} respondents): {cell}: “should it be allowed?” answers on {measures}"},
    ),
    (
        re.compile(rf"^suppressed \(fewer than (?P<k>\d+) respondents\): {_CELL}: paired comparisons$"),
        {"da": "udeladt (færre end {k} respondenter): {cell}: parvise valg", "en": "left out (fewer than {k} respondents): {cell}: paired comparisons"},
    ),
    (
        re.compile(rf"^suppressed \(fewer than (?P<k>\d+) respondents\): {_CELL}: rankings$"),
        {"da": "udeladt (færre end {k} respondenter): {cell}: rangordninger", "en": "left out (fewer than {k} respondents): {cell}: rankings"},
    ),
    (
        re.compile(r"^no tiers: (?P<n>\d+) respondents? rated measures here, fewer than the planned minimum of (?P<k>\d+) for tiering; descriptives only$"),
        {"da": "ingen trin: {n} respondent(er) vurderede tiltag her, færre end det planlagte minimum på {k} for trininddeling; kun beskrivende tal", "en": "no tiers: {n} respondent(s) rated measures here, fewer than the planned minimum of {k} for tiering; descriptives only"},
    ),
    (
        re.compile(r"^descriptives only \(fewer than (?P<k>\d+) ratings, left out before tiering\): (?P<counted>.+)$"),
        {"da": "kun beskrivende tal (færre end {k} vurderinger, udeladt før trininddelingen): {counted}", "en": "descriptives only (fewer than {k} ratings, left out before tiering): {counted}"},
    ),
    (
        re.compile(r"^ratings from (?P<n>\d+) sites? \(fewer than (?P<k>\d+)\): intervals and tests are respondent-level, i\.e\. conditional on these sites$"),
        {"da": "vurderinger fra {n} afdeling(er) (færre end {k}): intervaller og test er på respondentniveau, dvs. betinget af netop disse afdelinger", "en": "ratings from {n} site(s) (fewer than {k}): intervals and tests are respondent-level, i.e. conditional on these sites"},
    ),
    (
        re.compile(r"^(?P<n>\d+) sites? \(fewer than (?P<k>\d+)\): intervals are clustered by respondent and do not reflect variation between sites$"),
        {"da": "{n} afdeling(er) (færre end {k}): intervallerne er klyngede på respondent og afspejler ikke variation mellem afdelinger", "en": "{n} site(s) (fewer than {k}): intervals are clustered by respondent and do not reflect variation between sites"},
    ),
    (
        re.compile(r"^item kinds not used by the gradation: (?P<kinds>.+)$"),
        {"da": "spørgsmålstyper, som graderingen ikke bruger: {kinds}", "en": "item kinds not used by the gradation: {kinds}"},
    ),
    (
        re.compile(r"^settings\.(?P<field>\w+): (?P<used>.+) instead of the planned (?P<planned>.+)$"),
        {"da": "settings.{field}: {used} i stedet for det planlagte {planned}", "en": "settings.{field}: {used} instead of the planned {planned}"},
    ),
    (
        re.compile(r"^(?P<setting>[a-z_]+): the (?P<model>mixed model|ordinal model) was not fitted \((?P<error>.*)\)$"),
        {"da": "{setting_word}: {model_word} blev ikke estimeret ({error_da})", "en": "{setting_word}: the {model} was not fitted ({error})"},
    ),
    (
        re.compile(r"^(?P<setting>[a-z_]+): the (?P<model>mixed model|ordinal model) was fitted on a random subset of (?P<n>\d+) respondents, not on all$"),
        {"da": "{setting_word}: {model_word} blev estimeret på en tilfældig delmængde af {n} respondenter, ikke på alle", "en": "{setting_word}: the {model} was fitted on a random subset of {n} respondents, not on all"},
    ),
    (
        re.compile(r"^(?P<setting>[a-z_]+): the (?P<model>mixed model|ordinal model) did not converge$"),
        {"da": "{setting_word}: {model_word} konvergerede ikke", "en": "{setting_word}: the {model} did not converge"},
    ),
    (
        re.compile(rf"^{_CELL}: fewer respondents than the planned minimum of (?P<k>\d+) for tiering; (?P<outcome>tiers were formed nevertheless|descriptives only)$"),
        {"da": "{cell}: færre respondenter end det planlagte minimum på {k} for trininddeling; {outcome_da}", "en": "{cell}: fewer respondents than the planned minimum of {k} for tiering; {outcome}"},
    ),
    (
        re.compile(rf"^{_CELL}: (?P<measures>.+) rated by fewer than the planned minimum of (?P<k>\d+) respondents$"),
        {"da": "{cell}: {measures} vurderet af færre end det planlagte minimum på {k} respondenter", "en": "{cell}: {measures} rated by fewer than the planned minimum of {k} respondents"},
    ),
]
_NOTE_PATTERNS += [
    (re.compile(r"^fewer than two measures were compared$"), {"da": "færre end to tiltag blev sammenlignet", "en": "fewer than two measures were compared"}),
    (
        re.compile(r"^every answered pair was \"don't know\", so no measure was judged more intrusive than another$"),
        {"da": "alle besvarede par var »ved ikke«, så intet tiltag blev vurderet mere indgribende end et andet", "en": "every answered pair was “don't know”, so no measure was judged more intrusive than another"},
    ),
    (
        re.compile(r"^the comparisons fall into (?P<n>\d+) unlinked groups \((?P<shown>.+)\); strengths in different groups are not comparable$"),
        {"da": "sammenligningerne falder i {n} uforbundne grupper ({shown}); styrker i forskellige grupper kan ikke sammenlignes", "en": "the comparisons fall into {n} unlinked groups ({shown}); strengths in different groups are not comparable"},
    ),
    (
        re.compile(r"^the (?P<what>likelihood maximisation|ranking model) did not converge \((?P<error>.*)\)$"),
        {"da": "estimationen konvergerede ikke ({error})", "en": "the {what} did not converge ({error})"},
    ),
]
_SEPARATION = "separation, so the strengths are unbounded and not estimated: "
_SEPARATED_PART = re.compile(r"^(?P<measures>.+): always judged the (?P<side>more|less) intrusive against (?P<whom>every other measure it was compared with|every measure outside this group it was compared with)$")
_SEPARATION_TEXT = {
    "head": {"da": "adskillelse, så styrkerne er ubegrænsede og ikke estimeret: ", "en": "separation, so the strengths are unbounded and not estimated: "},
    "more": {"da": "altid vurderet mest indgribende", "en": "always judged the more intrusive"},
    "less": {"da": "altid vurderet mindst indgribende", "en": "always judged the less intrusive"},
    "every other measure it was compared with": {"da": "over for alle tiltag, det blev sammenlignet med", "en": "against every other measure it was compared with"},
    "every measure outside this group it was compared with": {"da": "over for alle tiltag uden for gruppen, de blev sammenlignet med", "en": "against every measure outside this group it was compared with"},
}


def _separation(note: str, language: str) -> str | None:
    # "separation, ...: a, b: always judged the more intrusive against ...; c: ..."
    if not note.startswith(_SEPARATION):
        return None
    lang = "da" if language == "da" else "en"
    parts = []
    for part in note[len(_SEPARATION) :].split("; "):
        match = _SEPARATED_PART.match(part)
        if match is None:
            return None
        parts.append(f"{_measures_text(match['measures'], language)}: {_SEPARATION_TEXT[match['side']][lang]} {_SEPARATION_TEXT[match['whom']][lang]}")
    return _SEPARATION_TEXT["head"][lang] + "; ".join(parts)


_NOTE_PATTERNS += [
    # The data-quality rules (server.publication.data_quality, server.credentials.bursts).
    (re.compile(r"^(?P<n>\d+) or more numeric ratings, all identical$"), {"da": "{n} eller flere talvurderinger, alle ens", "en": "{n} or more numeric ratings, all identical"}),
    (
        re.compile(r"^under (?P<s>[\d.]+) seconds per saved answer from start to submission$"),
        {"da": "under {s_da} sekunder pr. gemt svar fra start til afslutning", "en": "under {s} seconds per saved answer from start to submission"},
    ),
    (
        re.compile(r"^more than (?P<n>\d+) questionnaires completed within (?P<m>\d+) minutes on one tablet or invitation$"),
        {"da": "mere end {n} skemaer afsluttet inden for {m} minutter på én tablet eller invitation", "en": "more than {n} questionnaires completed within {m} minutes on one tablet or invitation"},
    ),
]
_MODEL_WORDS = {"mixed model": "den lineære mixed model", "ordinal model": "den ordinale model"}
_OUTCOME_DA = {"tiers were formed nevertheless": "trin blev dannet alligevel", "descriptives only": "kun beskrivende tal"}
_COUNTED = re.compile(r"(?P<code>[a-z_]+) \(n=(?P<n>\d+)\)")


def _measures_text(codes: str, language: str) -> str:
    # Labels may hold commas ("Belt restraint, over 4 hours"): a semicolon separates them.
    return "; ".join(measure_label(c.strip(), language) for c in codes.split(","))


def translate_note(note: str, language: str) -> str:
    """A note or plan departure of the analysis in `language`, codes as words.

    Unknown notes are returned unchanged (the test of the Danish report lists every note
    the analysis can write, so a new one shows up there untranslated)."""
    separated = _separation(note, language)
    if separated is not None:
        return separated
    for pattern, texts in _NOTE_PATTERNS:
        match = pattern.match(note)
        if match is None:
            continue
        parts = match.groupdict()
        if "group" in parts:
            parts["cell"] = f"{word(parts['group'], language)} / {word(parts['setting'], language)}"
        if "setting" in parts:
            parts["setting_word"] = word(parts["setting"], language)
        if "measures" in parts:
            parts["measures"] = _measures_text(parts["measures"], language)
        if "shown" in parts:
            parts["shown"] = " | ".join(_measures_text(g, language) for g in parts["shown"].split(" | "))
        if "counted" in parts:
            parts["counted"] = "; ".join(f"{measure_label(m['code'], language)} (n = {m['n']})" for m in _COUNTED.finditer(parts["counted"]))
        if "model" in parts:
            parts["model_word"] = _MODEL_WORDS[parts["model"]]
        if "error" in parts:
            # The numerical library's own message cannot be translated; it is quoted as such.
            parts["error_da"] = "estimationen mislykkedes; programmets besked: »" + parts["error"].removeprefix("fit failed: ") + "«"
        if "s" in parts:
            parts["s_da"] = parts["s"].replace(".", ",")
        if "outcome" in parts:
            parts["outcome_da"] = _OUTCOME_DA[parts["outcome"]]
        return texts.get(language, texts["en"]).format(**parts)
    return note
