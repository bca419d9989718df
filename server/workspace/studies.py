"""Study set-up as the workspace sees it: studies, their sites, questionnaires and languages.

A study's questionnaires are checked whenever they or its wards change: each ward must
have exactly one chosen questionnaire per group the study asks (see
`server.respondent.questionnaire_choice`), so no respondent is ever given the wrong one.
"""

import msgspec

from server.respondent.questionnaire_choice import Offer, WardSetting, configuration_problems
from server.storage.database import write_transaction
from server.storage.tables import Site, Study
from server.storage.workspace_tables import StudyInstrument
from surveys.model import SETTINGS
from server.workspace.i18n import _


class StudyError(ValueError):
    """A study change was refused; `field` names the offending input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class SiteOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    setting: str


class StudyOut(msgspec.Struct, frozen=True):
    """A study with its sites and the (instrument, language) pairs it uses."""

    id: int
    code: str
    name: str
    is_open: bool
    sites: list[SiteOut]
    instruments: list[tuple[str, str]]
    data_controller: str = ""
    contact: str = ""
    #: Why the study asks, in a sentence or two; printed on invitation cards.
    purpose: str = ""
    #: Whether patients are offered their own "My order" card after the thanks.
    preference_card: bool = True


def _code(value: str, field: str) -> str:
    code = value.strip()
    if not 1 <= len(code) <= 64 or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise StudyError(field, _("use 1-64 letters, digits, - or _"))
    return code


def _name(value: str, field: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= 200:
        raise StudyError(field, _("must be 1-200 characters"))
    return name


#: Longest purpose (the column's length).
MAX_PURPOSE_LENGTH = 500


def study_purpose(value: str) -> str:
    """The purpose as typed, on one line; refused when longer than the column holds."""
    purpose = " ".join(value.split())
    if len(purpose) > MAX_PURPOSE_LENGTH:
        raise StudyError("purpose", _("must be at most %(most)s characters (it has %(length)s)") % {"most": MAX_PURPOSE_LENGTH, "length": len(purpose)})
    return purpose


async def create_study(code: str, name: str, purpose: str = "", preference_card: bool = True) -> int:
    """Create an open study; the code must be new."""
    code, name, purpose = _code(code, "code"), _name(name, "name"), study_purpose(purpose)
    if await Study.exists().where(Study.code == code):
        raise StudyError("code", _("a study '%(code)s' already exists") % {"code": code})
    rows = await Study.insert(Study(code=code, name=name, purpose=purpose, preference_card=preference_card)).returning(Study.id)
    return rows[0]["id"]


def _refuse_problems(field: str, available: dict[str, Offer], pairs: list[tuple[str, str]], wards: list[WardSetting]) -> None:
    problems = configuration_problems(available, pairs, wards)
    if problems:
        raise StudyError(field, "; ".join(problems))


async def _chosen_pairs(study_id: int) -> list[tuple[str, str]]:
    rows = await StudyInstrument.select(StudyInstrument.instrument, StudyInstrument.language).where(StudyInstrument.study == study_id)
    return [(row["instrument"], row["language"]) for row in rows]


async def _wards(study_id: int) -> list[WardSetting]:
    rows = await Site.select(Site.name, Site.setting).where(Site.study == study_id).order_by(Site.code)
    return [WardSetting(name=row["name"], setting=row["setting"]) for row in rows]


async def add_site(study_id: int, code: str, name: str, setting: str, available: dict[str, Offer]) -> int:
    """Add a ward to a study; site codes are unique within their study, and the study's
    chosen questionnaires must serve the new ward's setting (`available`: the current
    questionnaires, from `questionnaire_choice.offers`)."""
    code, name = _code(code, "site_code"), _name(name, "site_name")
    if setting not in SETTINGS:
        raise StudyError("setting", _("'%(setting)s' is not one of %(settings)s") % {"setting": setting, "settings": ", ".join(SETTINGS)})
    if not await Study.exists().where(Study.id == study_id):
        raise StudyError("study", _("no study with id %(id)s") % {"id": study_id})
    if await Site.exists().where((Site.study == study_id) & (Site.code == code)):
        raise StudyError("site_code", _("the study already has a site '%(code)s'") % {"code": code})
    _refuse_problems("setting", available, await _chosen_pairs(study_id), [WardSetting(name=name, setting=setting)])
    rows = await Site.insert(Site(study=study_id, code=code, name=name, setting=setting)).returning(Site.id)
    return rows[0]["id"]


async def set_instruments(study_id: int, pairs: list[tuple[str, str]], available: dict[str, Offer]) -> None:
    """Replace the study's questionnaires and languages with `pairs` (instrument, language).

    `available` are the current questionnaires (`questionnaire_choice.offers`); anything
    else is refused, and so is a choice that leaves a ward of the study with no
    questionnaire, or two, for a group the study asks.
    """
    for instrument, language in pairs:
        if instrument not in available:
            raise StudyError("instruments", _("unknown questionnaire '%(instrument)s'") % {"instrument": instrument})
        if language not in available[instrument].languages:
            raise StudyError("languages", _("'%(instrument)s' has no '%(language)s' version") % {"instrument": instrument, "language": language})
    _refuse_problems("instruments", available, pairs, await _wards(study_id))
    async with write_transaction():
        await StudyInstrument.delete().where(StudyInstrument.study == study_id)
        if pairs:
            await StudyInstrument.insert(
                *[StudyInstrument(study=study_id, instrument=i, language=lang) for i, lang in sorted(set(pairs))]
            ).run()


async def set_responsible(study_id: int, data_controller: str, contact: str) -> None:
    """Set who is responsible for the study's data and whom respondents may contact
    (free text, shown before consent; empty leaves it out)."""
    data_controller, contact = " ".join(data_controller.split()), " ".join(contact.split())
    if len(data_controller) > 200:
        raise StudyError("data_controller", _("must be at most %(most)s characters") % {"most": 200})
    if len(contact) > 300:
        raise StudyError("contact", _("must be at most %(most)s characters") % {"most": 300})
    await Study.update({Study.data_controller: data_controller, Study.contact: contact}).where(Study.id == study_id)


async def set_card_settings(study_id: int, purpose: str, preference_card: bool) -> str:
    """Set the purpose printed on invitation cards and whether patients are offered their
    own "My order" card; returns the purpose as stored."""
    purpose = study_purpose(purpose)
    await Study.update({Study.purpose: purpose, Study.preference_card: preference_card}).where(Study.id == study_id)
    return purpose


async def set_open(study_id: int, is_open: bool) -> None:
    """Open or close a study for new responses."""
    await Study.update({Study.is_open: is_open}).where(Study.id == study_id)


async def get_study(study_id: int) -> StudyOut | None:
    """A study with its sites and questionnaires, or None."""
    row = await Study.select(
        Study.id, Study.code, Study.name, Study.is_open, Study.data_controller, Study.contact, Study.purpose, Study.preference_card
    ).where(Study.id == study_id).first()
    if row is None:
        return None
    sites = await Site.select(Site.id, Site.code, Site.name, Site.setting).where(Site.study == study_id).order_by(Site.code)
    pairs = await StudyInstrument.select(StudyInstrument.instrument, StudyInstrument.language).where(
        StudyInstrument.study == study_id
    ).order_by(StudyInstrument.instrument)
    return StudyOut(
        **row, sites=[SiteOut(**s) for s in sites], instruments=[(p["instrument"], p["language"]) for p in pairs]
    )


async def list_studies(only_site_ids: list[int] | None = None) -> list[dict]:
    """Studies by code; with `only_site_ids`, just the studies those sites belong to."""
    query = Study.select(Study.id, Study.code, Study.name, Study.is_open).order_by(Study.code)
    if only_site_ids is not None:
        if not only_site_ids:
            return []
        study_ids = [r["study"] for r in await Site.select(Site.study).where(Site.id.is_in(only_site_ids))]
        query = query.where(Study.id.is_in(study_ids))
    return await query
