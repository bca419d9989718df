"""Which questionnaire, in which languages, a respondent gets: for a study, a ward setting
and a respondent group. The tablet pages and the JSON API both ask here.

The rule:

1. A study's choice decides. The researcher ticks (questionnaire, language) pairs on the
   workspace study page (table `study_instrument`). The candidates are the ticked
   questionnaires that are current, are for the respondent's group and serve the ward's
   setting (`settings:` in the questionnaire's `instrument.yaml`); each is offered in the
   languages ticked for it.
2. A study that has ticked nothing at all (the demo study, studies set up before the
   choice was applied) gets every current questionnaire for that group and setting, in
   all of its languages.
3. The respondent gets the first candidate by code. The study's choice is checked when it
   is saved (`configuration_problems`): each of its wards has exactly one questionnaire
   per group it asks, so "first" only ever picks among several in case 2. No candidate
   means the study asks nobody of that group on such a ward (None).
"""

from collections.abc import Iterable, Sequence

import msgspec

from server.instrument_registry import InstrumentRegistry
from server.storage.workspace_tables import StudyInstrument

#: How the workspace names a setting in a message.
SETTING_LABELS: dict[str, str] = {
    "general_adult": "general adult",
    "child_adolescent": "child & adolescent",
    "forensic": "forensic",
}


class Offer(msgspec.Struct, frozen=True):
    """A current questionnaire as the choice sees it: its group, settings and languages."""

    code: str
    group: str
    settings: tuple[str, ...]
    languages: tuple[str, ...]


class Choice(msgspec.Struct, frozen=True):
    """The questionnaire a respondent gets and the languages they may answer it in."""

    instrument: str
    languages: tuple[str, ...]


class WardSetting(msgspec.Struct, frozen=True):
    """A ward of a study as the configuration check needs it."""

    name: str
    setting: str


def offers(registry: InstrumentRegistry) -> dict[str, Offer]:
    """Every current questionnaire, by code."""
    return {
        code: Offer(
            code=code,
            group=instrument.group,
            settings=tuple(registry.settings.get(code, ())),
            languages=tuple(instrument.languages),
        )
        for code, (_, _, instrument) in sorted(registry.current.items())
    }


def choose(available: dict[str, Offer], pairs: Iterable[tuple[str, str]], group: str, setting: str) -> Choice | None:
    """The questionnaire and languages for `group` on a ward of `setting`, by the rule above.

    `pairs` are the study's chosen (questionnaire, language) pairs; none means the study
    has not chosen (every current questionnaire applies, in all its languages).
    """
    chosen: dict[str, list[str]] = {}
    for code, language in pairs:
        chosen.setdefault(code, []).append(language)
    for code in sorted(available):
        offer = available[code]
        if offer.group != group or setting not in offer.settings:
            continue
        if not chosen:
            return Choice(instrument=code, languages=offer.languages)
        languages = tuple(lang for lang in offer.languages if lang in chosen.get(code, ()))
        if languages:
            return Choice(instrument=code, languages=languages)
    return None


async def study_pairs(study_code: str) -> list[tuple[str, str]]:
    """The (questionnaire, language) pairs a study has chosen, in code order."""
    rows = await (
        StudyInstrument.select(StudyInstrument.instrument, StudyInstrument.language)
        .where(StudyInstrument.study.code == study_code)
        .order_by(StudyInstrument.instrument)
    )
    return [(row["instrument"], row["language"]) for row in rows]


async def choices_for(registry: InstrumentRegistry, study_code: str, setting: str, groups: Sequence[str]) -> dict[str, Choice]:
    """Each of `groups` that the study asks on a ward of `setting`, with its choice (one query)."""
    pairs = await study_pairs(study_code)
    available = offers(registry)
    found = {group: choose(available, pairs, group, setting) for group in groups}
    return {group: choice for group, choice in found.items() if choice is not None}


async def choice_for(registry: InstrumentRegistry, study_code: str, setting: str, group: str) -> Choice | None:
    """The questionnaire and languages for one group on a ward of `setting` in a study."""
    return (await choices_for(registry, study_code, setting, (group,))).get(group)


def configuration_problems(available: dict[str, Offer], pairs: Iterable[tuple[str, str]], wards: Iterable[WardSetting]) -> list[str]:
    """What is wrong with a study's choice, one message per ward and group (empty: fine).

    For every ward and every group the study has any questionnaire for, exactly one
    chosen questionnaire must serve the ward's setting. A study that has chosen nothing
    is fine: every current questionnaire then applies (see the rule above).
    """
    chosen = sorted({code for code, _ in pairs if code in available})
    groups = sorted({available[code].group for code in chosen})
    problems: list[str] = []
    for ward in wards:
        where = f"{ward.name} ({SETTING_LABELS.get(ward.setting, ward.setting)})"
        for group in groups:
            serving = [code for code in chosen if available[code].group == group and ward.setting in available[code].settings]
            if len(serving) > 1:
                problems.append(f"{where} has {len(serving)} {group} questionnaires ({', '.join(serving)}): keep one")
            elif not serving:
                could = [o.code for o in available.values() if o.group == group and ward.setting in o.settings]
                remedy = f"add {' or '.join(could)}" if could else "no current questionnaire serves this setting"
                problems.append(f"{where} has no {group} questionnaire: {remedy}")
    return problems
