"""Study pages: list and create studies, add sites, choose questionnaires and languages,
and say who is responsible for the data. A refused form comes back with what was typed."""

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.instrument_registry import RegistryDep
from server.respondent.questionnaire_choice import offers
from server.workspace import audit
from server.workspace.access import site_scope, visible_study
from server.workspace.audit import Action
from server.workspace.card_language import card_languages
from server.workspace.field_errors import FieldError
from server.workspace.enrolment import DEFAULT_IDLE_SECONDS, MAX_IDLE_SECONDS, MIN_IDLE_SECONDS, invitations, tablets
from server.workspace.fieldwork import fieldwork
from server.workspace.forms import Form, form_text
from server.workspace.group_names import group_name
from server.workspace.i18n import N_, _, current_language
from server.workspace.rendering import page
from server.workspace.roles import FIELDWORK, STAFF, Role, allow
from server.workspace.studies import (
    StudyError,
    add_site,
    create_study,
    list_studies,
    set_card_settings,
    set_instruments,
    set_open,
    set_responsible,
)

#: Ward settings in words (translated where shown), in the order the form offers them.
SETTING_NAMES = {"general_adult": N_("general adult"), "child_adolescent": N_("child and adolescent"), "forensic": N_("forensic")}

#: The fields of the new-study form, kept as typed after a refusal.
_NEW_STUDY_FIELDS = ("code", "name", "purpose", "preference_card")


def _values(data: dict, name: str) -> list[str]:
    raw = data.get(name, [])
    return [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str)]


class StudyPages(Controller):
    """Researchers set studies up; coordinators see the studies of their sites."""

    path = "/studies"
    include_in_schema = False

    @get("/", opt=allow(FIELDWORK))
    async def index(self, request: Request) -> Template:
        """Studies this user may see."""
        studies = await list_studies(await site_scope(request.state.user))
        return page(request, "studies.html", studies=studies)

    @post("/", opt=allow(STAFF))
    async def create(self, request: Request, data: Form) -> Template | Redirect:
        """Create a study (code, name, purpose, and whether patients get a "My order" card)."""
        typed = {name: form_text(data, name) for name in _NEW_STUDY_FIELDS}
        preference_card = typed["preference_card"] == "1"
        try:
            study_id = await create_study(typed["code"], typed["name"], typed["purpose"], preference_card)
        except StudyError as exc:
            studies = await list_studies(None)
            return page(
                request, "studies.html", status_code=400, studies=studies, error=str(exc),
                invalid=FieldError("new-study", exc.field, exc.reason), typed=typed,
            )
        await audit.record(
            request.state.user["username"], Action.STUDY_CREATED, f"study:{typed['code'].strip()}",
            purpose=" ".join(typed["purpose"].split()), preference_card=preference_card,
        )
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)

    @get("/{study_id:int}", opt=allow(FIELDWORK))
    async def detail(self, request: Request, study_id: FromPath[int], registry: RegistryDep) -> Template:
        """Sites, questionnaires, fieldwork progress and tablets of one study."""
        return await study_page(request, study_id, registry)

    @post("/{study_id:int}/sites", opt=allow(STAFF))
    async def new_site(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template | Redirect:
        """Add a ward."""
        try:
            await add_site(study_id, form_text(data, "site_code"), form_text(data, "site_name"), form_text(data, "setting"), offers(registry))
        except StudyError as exc:
            typed = {name: form_text(data, name) for name in ("site_code", "site_name", "setting")}
            return await study_page(request, study_id, registry, 400, FieldError("site", exc.field, exc.reason), typed=typed)
        await audit.record(
            request.state.user["username"], Action.SITE_CREATED, f"study:{study_id}", site=form_text(data, "site_code").strip()
        )
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)

    @post("/{study_id:int}/instruments", opt=allow(STAFF))
    async def instruments(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template | Redirect:
        """Choose questionnaires and languages (checkbox values 'instrument:language')."""
        pairs = [tuple(v.split(":", 1)) for v in _values(data, "use") if ":" in v]
        try:
            await set_instruments(study_id, pairs, offers(registry))  # type: ignore[arg-type]
        except StudyError as exc:
            invalid = FieldError("instruments", exc.field, exc.reason)
            return await study_page(request, study_id, registry, 400, invalid, chosen=set(pairs))  # type: ignore[arg-type]
        await audit.record(
            request.state.user["username"], Action.INSTRUMENT_CHANGED, f"study:{study_id}", use=sorted(":".join(p) for p in pairs)
        )
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)

    @post("/{study_id:int}/responsible", opt=allow(STAFF))
    async def responsible(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template | Redirect:
        """Set the data controller and the contact shown to respondents before consent."""
        typed = {name: form_text(data, name) for name in ("data_controller", "contact")}
        try:
            await set_responsible(study_id, typed["data_controller"], typed["contact"])
        except StudyError as exc:
            return await study_page(request, study_id, registry, 400, FieldError("responsible", exc.field, exc.reason), typed=typed)
        await audit.record(request.state.user["username"], Action.STUDY_CHANGED, f"study:{study_id}", **typed)
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)

    @post("/{study_id:int}/cards", opt=allow(STAFF))
    async def cards(self, request: Request, study_id: FromPath[int], data: Form, registry: RegistryDep) -> Template | Redirect:
        """Set the purpose printed on invitation cards and whether patients are offered
        their own "My order" card after the thanks (an unticked box sends nothing: off)."""
        typed = {"purpose": form_text(data, "purpose"), "preference_card": form_text(data, "preference_card")}
        preference_card = typed["preference_card"] == "1"
        try:
            purpose = await set_card_settings(study_id, typed["purpose"], preference_card)
        except StudyError as exc:
            return await study_page(request, study_id, registry, 400, FieldError("cards", exc.field, exc.reason), typed=typed)
        await audit.record(
            request.state.user["username"], Action.STUDY_CHANGED, f"study:{study_id}", purpose=purpose, preference_card=preference_card
        )
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)

    @post("/{study_id:int}/status", opt=allow(STAFF))
    async def status(self, request: Request, study_id: FromPath[int], data: Form) -> Redirect:
        """Open or close the study for new responses."""
        is_open = form_text(data, "is_open") == "1"
        await set_open(study_id, is_open)
        await audit.record(request.state.user["username"], Action.STUDY_CHANGED, f"study:{study_id}", is_open=is_open)
        return Redirect(f"/workspace/studies/{study_id}", status_code=303)


async def study_page(
    request: Request,
    study_id: int,
    registry: RegistryDep,
    status_code: int = 200,
    invalid: FieldError | None = None,
    typed: dict[str, str] | None = None,
    chosen: set[tuple[str, str]] | None = None,
) -> Template:
    """The study page; after a refusal (`invalid` names the form and field), `typed` and
    `chosen` hold the form as it was sent, so nothing typed is lost."""
    study = await visible_study(request.state.user, study_id)
    # A coordinator's counts cover only the sites left on their view of the study.
    site_ids = [site.id for site in study.sites] if request.state.user["role"] == Role.COORDINATOR else None
    available = {code: list(offer.languages) for code, offer in offers(registry).items()}
    return page(
        request,
        "study.html",
        status_code=status_code,
        error=None if invalid is None else f"{invalid.field}: {invalid.reason}",
        invalid=invalid,
        study=study,
        available=available,
        served={code: ", ".join(_(SETTING_NAMES.get(s, s)) for s in offer.settings) for code, offer in offers(registry).items()},
        setting_names={value: _(name) for value, name in SETTING_NAMES.items()},
        chosen=set(study.instruments) if chosen is None else chosen,
        typed=typed or {},
        progress=await fieldwork(study_id, site_ids),
        tablets=await tablets([s.id for s in study.sites]),
        invitations=await invitations(study_id, site_ids),
        idle_default=DEFAULT_IDLE_SECONDS,
        idle_range=(MIN_IDLE_SECONDS, MAX_IDLE_SECONDS),
        card_languages=card_languages(),
        group_name=group_name,
        # Questionnaires by their title in the page's language (the code is the form value):
        # the codes are English words (relative, staff), not names for a Danish page.
        titles={code: instrument.title.get(current_language(), code) for code, (_v, _h, instrument) in registry.current.items()},
    )
