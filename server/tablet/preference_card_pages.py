"""The "My order" screen: after handing in, a patient sees their own order of the
measures, adjusts it, and takes it away (QR code, print, PDF on their own device).

Nothing of the card is stored: the first screen is drawn from the just-submitted
answers (`card_source`), every adjustment is a form post that carries the whole card in
its fields and gets the card back, and every answer is `no-store`. The card is open
only while the browser still holds the handed-in questionnaire; "Done", a kiosk wipe
or half an hour lets it go, and from then on every address here leads to the welcome
screen. Posts carry the order and the note in their bodies, which nothing logs.
"""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Response, Template

from server.credentials.kiosk import kiosk as enrolled_tablet
from server.instrument_registry import RegistryDep
from server.tablet import card_pdf
from server.tablet.card_qr import card_qr_svg
from server.tablet.card_source import card_offered, card_source
from server.tablet.cookies import KIOSK_COOKIE, forget_session
from server.tablet.held_session import let_go, live_binding
from server.tablet.phrases import PHRASES
from server.tablet.preference_card import NOTE_LIMIT, CardState, card_text, is_legal, label, move, parse_move
from server.tablet.refusals import remember_language
from server.tablet.rendering import LANGUAGES, language, page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CARD = "/tablet/card"


def _gone(lang: str) -> Redirect:
    """The card is not (or no longer) open here: to the welcome screen, forgetting it."""
    redirect = Redirect(path=f"/?lang={lang}", status_code=303)
    redirect.cookies.extend(forget_session())
    return redirect


def _measure(code: str, lang: str) -> dict[str, Any]:
    return {"code": code, "label": label(code, lang), "legal": is_legal(code)}


def card_context(state: CardState, lang: str) -> dict[str, Any]:
    """What the screen, the print and the PDF show of a card."""
    words = PHRASES[lang]
    text = card_text(state, lang, words)
    return {
        "rungs": [[_measure(code, lang) for code in rung] for rung in state.rungs],
        "unrated": [_measure(code, lang) for code in state.unrated],
        "note": state.note,
        "fields": state.as_form(),
        "card_text": text,
        "qr": card_qr_svg(text, words["card_qr_label"]),
        "note_limit": NOTE_LIMIT,
    }


async def _card_page(request: Request, state: CardState, lang: str, **extra: Any) -> Template:
    kiosk = await enrolled_tablet(request.cookies.get(KIOSK_COOKIE))
    return page("card.html", lang, kiosk=kiosk, languages=LANGUAGES, **card_context(state, lang), **extra)


def _posted_language(data: dict[str, str]) -> str:
    # "language" is the toolbar's switch (it submits the card's form); "lang" the card's own.
    return language(data.get("language") or data.get("lang"))


class PreferenceCardPages(Controller):
    """The respondent's own card; every answer is no-store."""

    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    @get(CARD)
    async def card(self, request: Request, registry: RegistryDep, lang: FromQuery[str | None] = None) -> Template | Redirect:
        """The card as the respondent's answers give it."""
        source = await card_source(request, registry)
        if source is None:
            return _gone(language(lang))
        chosen = language(lang) if lang else source.language
        remember_language(request, chosen)
        return await _card_page(request, CardState.from_order(source.order), chosen)

    @post(CARD, status_code=200)
    async def adjust(self, request: Request, data: Form) -> Template | Redirect:
        """The card as posted, with one measure moved, a new note or another language."""
        lang = _posted_language(data)
        remember_language(request, lang)
        if not await card_offered(await live_binding(request)):
            return _gone(lang)
        state, note_cut = CardState.from_form(data)
        moved: dict[str, str] | None = None
        if data.get("move"):
            code, direction = parse_move(data["move"])
            state = move(state, code, direction)
            moved = {"code": code, "direction": "up" if direction == "add" else direction, "label": label(code, lang)}
        return await _card_page(request, state, lang, moved=moved, note_cut=note_cut)

    @post(f"{CARD}/pdf", status_code=200)
    async def pdf(self, request: Request, data: Form) -> Response[bytes] | Redirect:
        """The card as posted, as an A5 PDF to keep (on the respondent's own device)."""
        lang = _posted_language(data)
        remember_language(request, lang)
        if not await card_offered(await live_binding(request)):
            return _gone(lang)
        state, _ = CardState.from_form(data)
        env = request.app.template_engine.engine  # type: ignore[union-attr]
        context = {"lang": lang, "t": PHRASES[lang], **card_context(state, lang)}
        return Response(
            card_pdf.card_pdf(env, context),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{card_pdf.filename(lang)}"'},
        )

    @post(f"{CARD}/close")
    async def close(self, request: Request, data: Form) -> Redirect:
        """Done (or no thanks): the questionnaire leaves this browser, and the card with it."""
        lang = _posted_language(data)
        await let_go(request)
        if await enrolled_tablet(request.cookies.get(KIOSK_COOKIE)) is not None:
            # The kiosk's own reset also clears the page cache; it lets go of nothing more.
            redirect = Redirect(path="/tablet/kiosk/reset?lang=da", status_code=303)
        else:
            redirect = Redirect(path=f"/?lang={lang}", status_code=303)
        redirect.cookies.extend(forget_session())
        return redirect

