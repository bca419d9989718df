"""The respondent's screens: welcome, one item per screen, end, thanks.

Every save goes through `server.respondent.service`, exactly like the JSON API.
"""

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.instrument_registry import RegistryDep
from server.respondent import service
from server.respondent.errors import InvalidInput
from server.respondent.schemas import AnswerIn, StartRequest
from server.storage.tables import Site
from server.tablet.phrases import PHRASES
from surveys.model import MISSING_CODES, SETTINGS

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _lang(value: str | None) -> str:
    return value if value in PHRASES else "da"


def _page(name: str, lang: str, **context: Any) -> Template:
    other = "en" if lang == "da" else "da"
    return Template(template_name=name, context={"lang": lang, "other_lang": other, "t": PHRASES[lang], **context})


class TabletPages(Controller):
    """Server-rendered pages; they work without JavaScript except for setting the VAS."""

    include_in_schema = False

    @get("/")
    async def welcome(self, lang: FromQuery[str | None] = None) -> Template:
        """Choose ward and setting, then start."""
        sites = await Site.select(
            Site.study.code.as_alias("study_code"),
            Site.study.name.as_alias("study_name"),
            Site.code.as_alias("site_code"),
            Site.name.as_alias("site_name"),
        ).where(Site.study.is_open == True)  # noqa: E712
        return _page("welcome.html", _lang(lang), sites=sites, settings=SETTINGS)

    @post("/tablet/start")
    async def start(self, data: Form, registry: RegistryDep) -> Redirect:
        """Start a questionnaire and go to its first item."""
        study, _, site = data.get("site", "").partition("/")
        request = StartRequest(
            study=study,
            site=site,
            group=data.get("group", "patient"),  # type: ignore[arg-type]
            setting=data.get("setting", "general_adult"),  # type: ignore[arg-type]
            language=_lang(data.get("language")),  # type: ignore[arg-type]
        )
        if request.setting not in SETTINGS:
            raise InvalidInput("setting", f"unknown setting '{request.setting}'")
        response = await service.start_response(registry, request)
        return Redirect(path=f"/tablet/{response.id}/0", status_code=303)

    @get("/tablet/{response_id:uuid}/{index:int}")
    async def item(self, response_id: FromPath[uuid.UUID], index: FromPath[int], registry: RegistryDep) -> Template | Redirect:
        """One question per screen."""
        response = await service.get_response(registry, response_id)
        if response.submitted_at is not None:
            return Redirect(path=f"/?lang={response.language}", status_code=303)
        if not 0 <= index < len(response.items):
            return Redirect(path=f"/tablet/{response_id}/end", status_code=303)
        item = response.items[index]
        answer = response.answers.get(item.code)
        return _page(
            "item.html",
            response.language,
            response_id=response_id,
            index=index,
            total=len(response.items),
            item=item,
            value=answer.value if answer else None,
            missing=answer.missing if answer else None,
        )

    @post("/tablet/{response_id:uuid}/{index:int}")
    async def answer(self, response_id: FromPath[uuid.UUID], index: FromPath[int], data: Form, registry: RegistryDep) -> Redirect:
        """Save what the screen holds, then move back or forward."""
        response = await service.get_response(registry, response_id)
        if not 0 <= index < len(response.items):
            raise InvalidInput("index", f"question {index} does not exist")
        item = response.items[index]
        action = data.get("action", "next")
        if action in MISSING_CODES:
            await service.save_answer(registry, response_id, item.code, AnswerIn(missing=action))  # type: ignore[arg-type]
        elif data.get("vas_set") == "1" and data.get("value", "").strip():
            try:
                value = int(data["value"])
            except ValueError:
                raise InvalidInput("value", "must be a whole number") from None
            await service.save_answer(registry, response_id, item.code, AnswerIn(value=value))
        target = index - 1 if action == "back" else index + 1
        if target >= len(response.items):
            return Redirect(path=f"/tablet/{response_id}/end", status_code=303)
        return Redirect(path=f"/tablet/{response_id}/{max(target, 0)}", status_code=303)

    @get("/tablet/{response_id:uuid}/end")
    async def end(self, response_id: FromPath[uuid.UUID], registry: RegistryDep) -> Template:
        """The last screen before sending."""
        response = await service.get_response(registry, response_id)
        return _page("end.html", response.language, response_id=response_id, total=len(response.items))

    @post("/tablet/{response_id:uuid}/submit")
    async def submit(self, response_id: FromPath[uuid.UUID], registry: RegistryDep) -> Template:
        """Hand in the answers; the thanks page links back to a clean welcome screen."""
        response = await service.get_response(registry, response_id)
        await service.submit_response(response_id)
        return _page("thanks.html", response.language)
