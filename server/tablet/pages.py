"""The respondent's screens: welcome, information and consent, one item per screen, stop,
pause and resume, end, thanks (with a patient's own card offered, `preference_card_pages`).

Every save goes through `server.respondent.service`, exactly like the JSON API. A
questionnaire's pages live under /tablet/questions/ and open only in the browser that
holds the session's key (see `cookies`); no address names the questionnaire, and no page
may be cached, so after a kiosk reset neither back, history nor cache reaches it.
"""

import secrets
from typing import Annotated

from litestar import Controller, Request, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.credentials.errors import InvitationUsedUp, TooManyStarts
from server.credentials.grant import Grant
from server.credentials.invitation import check_invitation
from server.credentials.kiosk import KIOSK_GROUPS, Kiosk
from server.credentials.kiosk import kiosk as enrolled_tablet
from server.credentials.sites import SiteChoice, open_sites, site_key
from server.instrument_registry import InstrumentRegistry, RegistryDep
from server.respondent import service
from server.respondent.errors import InvalidInput, ResponseNotFound
from server.respondent.language import offered_languages, switch_language
from server.respondent.questionnaire_choice import Choice, choice_for
from server.respondent.schemas import AnswerIn, ResponseOut, RouteOut, StartRequest
from server.respondent.withdrawal import discard_response
from server.tablet import entry, flow, resume_codes
from server.tablet.config import TABLET_SETTINGS
from server.tablet.item_forms import parse_item_form
from server.tablet.kiosk_pages import KioskPages
from server.tablet.card_source import card_offered
from server.tablet.preference_card_pages import PreferenceCardPages
from server.tablet.offline_screens import offline_bundle
from server.tablet.cookies import INVITE_COOKIE, KIOSK_COOKIE, Binding, expired, forget_session, session_cookies
from server.tablet.held_session import let_go, live_binding
from server.tablet.refusals import ScreenRefused, remember_language
from server.tablet.information_text import short_paragraphs
from server.tablet.rendering import LANGUAGES, language, page
from server.settings import Settings
from surveys.model import MISSING_CODES, SETTINGS, Instrument

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
GROUPS = ("patient", "relative", "staff")
#: Where the screens of the questionnaire this browser holds live.
QUESTIONS = "/tablet/questions"


async def _kiosk(request: Request) -> Kiosk | None:
    """The enrolled ward tablet this request comes from, if any."""
    return await enrolled_tablet(request.cookies.get(KIOSK_COOKIE))


async def _grant(request: Request, kiosk: Kiosk | None) -> Grant | None:
    """The credential this browser starts with: its enrolment as a ward tablet, else its
    invitation; the open grant only in demo mode (`server.settings`); else None."""
    if kiosk is not None:
        return Grant(kind="kiosk", sites=[kiosk.site], groups=KIOSK_GROUPS, kiosk=kiosk)
    invitation = await check_invitation(request.cookies.get(INVITE_COOKIE))
    if invitation is not None:
        return Grant(kind="invitation", sites=invitation.sites, groups=(invitation.group,), invitation=invitation)
    if _settings(request).demo_mode:
        return Grant(kind="demo", sites=await open_sites(), groups=("patient",))
    return None


def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _entry_sites(
    request: Request, kiosk: Kiosk | None
) -> tuple[str, list[SiteChoice], tuple[str, ...]]:
    """(mode, sites, groups) this browser may start a questionnaire for; mode "closed"
    (nothing) for a browser that is neither an enrolled tablet nor invited, outside demo mode."""
    grant = await _grant(request, kiosk)
    if grant is None:
        return "closed", [], ()
    return {"demo": "open"}.get(grant.kind, grant.kind), grant.sites, grant.groups


async def _welcome(
    registry: InstrumentRegistry,
    lang: str,
    kiosk: Kiosk | None,
    mode: str,
    sites: list[SiteChoice],
    groups: tuple[str, ...],
    error: str | None = None,
) -> Template:
    """The welcome screen: only the groups the study has a questionnaire for here, and
    the languages it chose; `error` (a phrase key) says what is missing before going on."""
    offered_groups, languages = await entry.offered(registry, sites, groups, SETTINGS if mode == "open" else None)
    return page(
        "welcome.html",
        lang,
        kiosk=kiosk,
        status_code=400 if error else 200,
        languages=languages or LANGUAGES,
        mode=mode,
        sites=sites,
        site_keys=[site_key(s) for s in sites],
        groups=offered_groups,
        settings=SETTINGS,
        at_rest=lang == "da",
        error=error,
    )


async def _where_and_what(
    registry: InstrumentRegistry, mode: str, sites: list[SiteChoice], key: str | None, setting: str | None, group: str
) -> tuple[SiteChoice, str, Choice] | str:
    """The ward, its setting and the study's questionnaire for `group` there
    (`questionnaire_choice`); else the phrase key of what is missing: a ward to pick, or
    a questionnaire for this respondent."""
    site = entry.chosen_site(sites, key)
    if site is None:
        return "ward_required"
    if mode != "open":
        # A tablet's or an invitation's ward and setting are its own; a posted other one is refused.
        if key and key != site_key(site):
            raise InvalidInput("site", f"'{key}' is not where this device may start")
        if setting and setting != site.setting:
            raise InvalidInput("setting", f"ward '{site.site_code}' is '{site.setting}', not '{setting}'")
    # Only the open welcome screen (demo mode) lets the respondent say where they are admitted.
    setting = setting if mode == "open" and setting else site.setting
    if setting not in SETTINGS:
        raise InvalidInput("setting", f"unknown setting '{setting}'")
    choice = await choice_for(registry, site.study_code, setting, group)
    return (site, setting, choice) if choice is not None else "no_questionnaire"


async def _owned_session(request: Request, registry: InstrumentRegistry) -> tuple[Binding, ResponseOut, RouteOut, Instrument] | None:
    """The open questionnaire this browser holds, with its route and instrument from the
    same read (a question page embeds them), else None."""
    held = await live_binding(request)
    if held is None:
        return None
    try:
        response, route, instrument = await service.get_response_and_route(registry, held.response_id, held.session_key)
    except ResponseNotFound:
        return None
    remember_language(request, response.language)
    return held, response, route, instrument


async def _owned_response(request: Request, registry: InstrumentRegistry) -> tuple[Binding, ResponseOut] | None:
    """The open questionnaire this browser holds, else None."""
    found = await _owned_session(request, registry)
    return (found[0], found[1]) if found else None


def _to_welcome(lang: str) -> Redirect:
    redirect = Redirect(path=f"/?lang={lang}", status_code=303)
    redirect.cookies.extend(forget_session())
    return redirect


def _screen(index: int, response: ResponseOut) -> Redirect:
    if index >= len(response.items):
        return Redirect(path=f"{QUESTIONS}/end", status_code=303)
    return Redirect(path=f"{QUESTIONS}/{index}", status_code=303)


def _same_screen(screen: str, response: ResponseOut) -> Redirect:
    """Back to the screen a language form names (an item's index, "end" or "stop")."""
    if screen == "stop":
        return Redirect(path=f"{QUESTIONS}/stop", status_code=303)
    if screen == "end":
        return _screen(len(response.items), response)
    # Without a screen, where a resumed respondent would go on.
    return _screen(int(screen) if screen.isdigit() else flow.first_open_index(response), response)


async def _item_page(
    request: Request, held: Binding, response: ResponseOut, index: int, status_code: int = 200, **extra: object
) -> Template:
    """The question at `index`; `extra` may carry a refusal and the form as posted. The
    form carries the session key for the page script, which sends answers to the API."""
    item = response.items[index]
    answer = response.answers.get(item.code)
    n, total = flow.shown_position(response, index)
    return page(
        "item.html",
        response.language,
        kiosk=await _kiosk(request),
        status_code=status_code,
        response_id=response.id,
        session_key=held.session_key,
        index=index,
        n=n,
        total=total,
        item=item,
        answer=answer,
        value=answer.value if answer else None,
        missing=answer.missing if answer else None,
        next_url=f"{QUESTIONS}/{index}/next",
        previous_url=f"{QUESTIONS}/{flow.previous_index(response, index)}" if index > 0 else None,
        **extra,
    )


class RespondentPages(Controller):
    """Server-rendered pages; everything works without JavaScript except setting the VAS."""

    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    @get("/")
    async def welcome(self, request: Request, registry: RegistryDep, lang: FromQuery[str | None] = None) -> Template:
        """Language, who is answering and (outside a kiosk) where, then on to consent."""
        lang = language(lang)
        kiosk = await _kiosk(request)
        mode, sites, groups = await _entry_sites(request, kiosk)
        template = await _welcome(registry, lang, kiosk, mode, sites, groups)
        if mode == "kiosk":
            # A ward tablet's welcome screen always starts from nothing.
            await let_go(request)
            template.cookies.extend(forget_session())
        return template

    @get("/tablet/consent")
    async def consent(
        self,
        request: Request,
        registry: RegistryDep,
        lang: FromQuery[str | None] = None,
        group: FromQuery[str] = "patient",
        site: FromQuery[str | None] = None,
        setting: FromQuery[str | None] = None,
    ) -> Template:
        """Information about the study and the consent question. Nothing is stored yet."""
        lang = language(lang)
        kiosk = await _kiosk(request)
        mode, sites, groups = await _entry_sites(request, kiosk)
        if group not in groups:
            raise InvalidInput("group", f"'{group}' cannot answer here")
        found = await _where_and_what(registry, mode, sites, site, setting, group)
        if isinstance(found, str):
            return await _welcome(registry, lang, kiosk, mode, sites, groups, error=found)
        where, setting, choice = found
        lang = lang if lang in choice.languages else choice.languages[0]
        instrument = registry.current[choice.instrument][2]
        return page(
            "consent.html",
            lang,
            kiosk=kiosk,
            languages=choice.languages,
            group=group,
            site=site_key(where),
            setting=setting,
            information=short_paragraphs(instrument.information[lang]),
            consent=instrument.consent[lang],
            data_controller=where.data_controller,
            contact=where.contact,
            error=None,
            # Sent back with the consent: a form posted twice (a double tap, a retry) starts once.
            start_key=secrets.token_urlsafe(24),
        )

    @post("/tablet/start")
    async def start(self, request: Request, data: Form, registry: RegistryDep) -> Redirect | Template:
        """With consent, start a questionnaire and go to its first item; without, keep nothing."""
        lang = language(data.get("language"))
        remember_language(request, lang)
        if data.get("consent") != "yes":
            return _to_welcome(lang)
        kiosk = await _kiosk(request)
        grant = await _grant(request, kiosk)
        mode, sites, groups = await _entry_sites(request, kiosk)
        group = data.get("group", "patient")
        if group not in groups:
            raise InvalidInput("group", f"'{group}' cannot answer here")
        found = await _where_and_what(registry, mode, sites, data.get("site"), data.get("setting"), group)
        if isinstance(found, str):
            return await _welcome(registry, lang, kiosk, mode, sites, groups, error=found)
        site, setting, choice = found
        if lang not in choice.languages:
            # Refused before an invitation's use is counted.
            raise InvalidInput("language", f"this study asks in {', '.join(choice.languages)}, not '{lang}'")
        key = data.get("start_key", "")
        start = StartRequest(
            study=site.study_code, site=site.site_code, group=group, setting=setting,  # type: ignore[arg-type]
            language=lang, instrument=choice.instrument, consent=True,  # type: ignore[arg-type]
            start_key=key if 16 <= len(key) <= 128 else None,
        )  # fmt: skip
        try:
            # The invitation's use is counted in the start's own transaction.
            response = await service.start_response(registry, start, grant.limits(_settings(request).starts_per_window) if grant else None)
        except InvitationUsedUp:
            return _to_welcome(lang)
        except TooManyStarts as exc:
            refused = await _welcome(registry, lang, kiosk, mode, sites, groups, error="too_many_starts")
            refused.status_code = 429
            refused.headers["Retry-After"] = str(exc.retry_after_s)
            return refused
        # A questionnaire this browser still held is over on it.
        await let_go(request)
        redirect = _screen(flow.first_open_index(response), response)
        redirect.cookies.extend(session_cookies(response.id, str(response.session_key)))
        if mode == "invitation":
            redirect.cookies.append(expired(INVITE_COOKIE))
        return redirect

    @get(f"{QUESTIONS}/{{index:int}}")
    async def item(self, request: Request, index: FromPath[int], registry: RegistryDep) -> Template | Redirect:
        """One question per screen."""
        found = await _owned_session(request, registry)
        if found is None:
            return _to_welcome("da")
        held, response, route, instrument = found
        if not 0 <= index < len(response.items):
            return _screen(len(response.items), response)
        if not flow.is_shown(response, index):
            return _screen(flow.next_index(response, index), response)
        template = await _item_page(request, held, response, index, languages=await offered_languages(registry, response))
        # The screen carries the whole questionnaire, so an outage never strands the device.
        engine = request.app.template_engine.engine  # type: ignore[union-attr]
        template.context["bundle"] = offline_bundle(engine, response, route, instrument, template.context)
        return template

    @get(f"{QUESTIONS}/{{index:int}}/next")
    async def next_screen(self, request: Request, index: FromPath[int], registry: RegistryDep) -> Redirect:
        """The screen after `index`, by the skip rules (used by the script after a save)."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        return _screen(flow.next_index(owned[1], index), owned[1])

    @post(f"{QUESTIONS}/{{index:int}}")
    async def answer(self, request: Request, index: FromPath[int], data: Form, registry: RegistryDep) -> Redirect | Template:
        """Save what the screen holds, then move on, back, or to stop or pause."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        held, response = owned
        if not 0 <= index < len(response.items):
            raise InvalidInput("index", f"question {index} does not exist")
        item = response.items[index]
        action = data.get("action", "next")
        body: AnswerIn | None
        if action in MISSING_CODES:
            body = AnswerIn(missing=action)  # type: ignore[arg-type]
        elif action == "skip":
            body = None
        else:
            try:
                body = parse_item_form(item.type, data)
            except ScreenRefused as refused:
                if action == "next":
                    # Shown on the same screen, with what was chosen kept.
                    return await _item_page(
                        request, held, response, index, refusal=refused.phrase, posted=data, status_code=400,
                        languages=await offered_languages(registry, response),
                    )  # fmt: skip
                body = None  # leaving another way (back, pause, stop): an unfinished answer is not kept
        if body is not None:
            await service.save_answer(registry, held.response_id, held.session_key, item.code, body)
            # An answer may change which later items are asked (skip logic).
            response = await service.get_response(registry, held.response_id, held.session_key)
        if action == "stop":
            return Redirect(path=f"{QUESTIONS}/stop", status_code=303)
        if action == "pause":
            return Redirect(path=f"{QUESTIONS}/pause", status_code=303)
        if action == "back":
            return _screen(flow.previous_index(response, index), response)
        return _screen(flow.next_index(response, index), response)

    @post(f"{QUESTIONS}/language")
    async def language_switch(self, request: Request, data: Form, registry: RegistryDep) -> Redirect | Template:
        """The same screen (`screen`: an item's index, "end" or "stop") in another language;
        every answer stays. Never by way of the welcome screen, which ends a kiosk's questionnaire.
        A language the study did not choose is refused (400) in the language in use."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        held, current = owned
        chosen = data.get("language", "")
        if chosen not in await offered_languages(registry, current):
            # Its own page, not the shared refusal: that one's "try again" would GET this POST-only address.
            again = _same_screen(data.get("screen", ""), current).url
            return page("error.html", current.language, status_code=400, refusal="error_text", again=again)
        response = await switch_language(registry, held.response_id, held.session_key, chosen)
        return _same_screen(data.get("screen", ""), response)

    @get(f"{QUESTIONS}/end")
    async def end(self, request: Request, registry: RegistryDep) -> Template | Redirect:
        """The last screen before sending."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        response = owned[1]
        last = flow.previous_index(response, len(response.items))
        return page(
            "end.html",
            response.language,
            kiosk=await _kiosk(request),
            languages=await offered_languages(registry, response),
            response_id=response.id,
            previous_url=f"{QUESTIONS}/{last}",
            n=None,
        )

    @post(f"{QUESTIONS}/submit")
    async def submit(self, request: Request, registry: RegistryDep) -> Redirect:
        """Hand in the answers; the browser forgets the questionnaire."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        held, response = owned
        await service.submit_response(held.response_id, held.session_key)
        redirect = Redirect(path=f"/tablet/thanks?lang={response.language}", status_code=303)
        if not await card_offered(held):
            # Kept only while the thanks screen may offer the patient's own card.
            redirect.cookies.extend(forget_session())
        return redirect

    @get("/tablet/thanks")
    async def thanks(self, request: Request, lang: FromQuery[str | None] = None, discarded: FromQuery[bool] = False) -> Template:
        """Thanks, with a patient's own card offered where their study offers it
        (`card_source`); a ward tablet goes back to its welcome screen by itself."""
        kiosk = await _kiosk(request)
        offer = not discarded and await card_offered(await live_binding(request))
        template = page("thanks.html", language(lang), kiosk=kiosk, discarded=discarded, clear_device=True, card_offer=offer)
        if not offer:
            template.cookies.extend(forget_session())
        return template

    @get(f"{QUESTIONS}/stop")
    async def stop_page(self, request: Request, registry: RegistryDep) -> Template | Redirect:
        """Stop at any time: keep what was given so far, or delete it."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        response = owned[1]
        return page(
            "stop.html",
            response.language,
            kiosk=await _kiosk(request),
            languages=await offered_languages(registry, response),
            response_id=response.id,
            continue_url=f"{QUESTIONS}/{flow.first_open_index(response)}",
        )

    @post(f"{QUESTIONS}/stop")
    async def stop(self, request: Request, data: Form, registry: RegistryDep) -> Redirect:
        """Carry out the respondent's choice."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        held, response = owned
        choice = data.get("choice")
        keep_binding = False
        if choice == "keep":
            await service.submit_response(held.response_id, held.session_key)
            target = f"/tablet/thanks?lang={response.language}"
            keep_binding = await card_offered(held)
        elif choice == "discard":
            await discard_response(held.response_id, held.session_key)
            target = f"/tablet/thanks?lang={response.language}&discarded=true"
        else:
            raise InvalidInput("choice", "must be 'keep' or 'discard'")
        redirect = Redirect(path=target, status_code=303)
        if not keep_binding:
            redirect.cookies.extend(forget_session())
        return redirect

    @get(f"{QUESTIONS}/pause")
    async def pause(self, request: Request, registry: RegistryDep) -> Template | Redirect:
        """Give a resume code and let go of the questionnaire on this device: from now on
        only the code opens it, on this device or another."""
        owned = await _owned_response(request, registry)
        if owned is None:
            return _to_welcome("da")
        held, response = owned
        code = await resume_codes.issue(held.response_id, TABLET_SETTINGS.resume_code_days)
        await service.release_session(held.response_id, held.session_key)
        template = page(
            "pause.html",
            response.language,
            kiosk=await _kiosk(request),
            code=code,
            days=TABLET_SETTINGS.resume_code_days,
            clear_device=True,
        )
        template.cookies.extend(forget_session())
        return template

    @get("/tablet/resume")
    async def resume_form(self, request: Request, lang: FromQuery[str | None] = None) -> Template:
        """Type a resume code."""
        kiosk = await _kiosk(request)
        return page("resume.html", language(lang), kiosk=kiosk, error=None)

    @post("/tablet/resume")
    async def resume(self, request: Request, data: Form, registry: RegistryDep) -> Template | Redirect:
        """Continue a paused questionnaire on this device."""
        lang = language(data.get("language"))
        kiosk = await _kiosk(request)
        try:
            response_id = await resume_codes.redeem(data.get("code", ""), request)
        except resume_codes.TooManyAttempts as exc:
            throttled = page("resume.html", lang, kiosk=kiosk, error="resume_throttled", status_code=429)
            throttled.headers["Retry-After"] = str(exc.retry_after_s)
            return throttled
        response = None
        if response_id is not None:
            # The code is the credential: the session is bound to this browser under a new key.
            session_key = await service.rebind_session(response_id)
            try:
                response = await service.get_response(registry, response_id, session_key)
            except ResponseNotFound:
                response = None
        if response is None:
            return page("resume.html", lang, kiosk=kiosk, error="resume_wrong")
        await let_go(request)
        redirect = _screen(flow.first_open_index(response), response)
        redirect.cookies.extend(session_cookies(response.id, session_key))
        return redirect


#: Every tablet page (the respondent's screens, a patient's own card, kiosk enrolment and invitations).
TabletPages = Router(path="/", route_handlers=[RespondentPages, KioskPages, PreferenceCardPages])
