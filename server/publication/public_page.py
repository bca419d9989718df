"""The public page /gradation: ladders and key table of the latest *public* publication.

No login: only publications an admin has marked public are shown here, so a publication
is never public by accident. Non-public numbers answer 404, as if they did not exist.
"""

from typing import Annotated

import msgspec
from litestar import Controller, Response, get
from litestar.params import PathParameter, QueryParameter
from markupsafe import Markup

from server.publication.figures import group_figure
from server.publication.rendering import render
from server.publication.store import StoredPublication, latest_public_number, load_publication
from server.publication.wording import LANGUAGES, measure_label, word

Language = Annotated[str, QueryParameter(name="lang", description="da or en", pattern="^(da|en)$")]


def public_html(publication: StoredPublication | None, language: str) -> str:
    """The page for `publication` (None: "nothing public yet")."""
    document = msgspec.json.decode(publication.gradation) if publication is not None else None
    groups = []
    if document is not None:
        for g in document["groups"]:
            groups.append(
                {
                    "group": g,
                    "title": f"{word(g['group'], language)} – {word(g['setting'], language)}",
                    "figure": Markup(group_figure(document, g, language, simulated=publication.info.simulated)),
                }
            )
    return render(
        "publication/public.html",
        language=language,
        publication=publication,
        document=document,
        groups=groups,
        label=lambda code: measure_label(code, language),
        word=lambda key: word(key, language),
    )


class PublicGradationPage(Controller):
    """The page for everyone (phones first)."""

    path = "/gradation"
    include_in_schema = False

    @get("/")
    async def latest(self, lang: Language = "da") -> Response[str]:
        """The newest public publication."""
        number = await latest_public_number()
        publication = await load_publication(number) if number is not None else None
        status = 200 if publication is not None else 404
        return Response(public_html(publication, lang if lang in LANGUAGES else "da"), media_type="text/html", status_code=status, headers={"Cache-Control": "public, max-age=300"})

    @get("/{number:int}")
    async def one(self, number: Annotated[int, PathParameter(ge=1)], lang: Language = "da") -> Response[str]:
        """One public publication, at a link that never changes meaning."""
        publication = await load_publication(number)
        if publication is None or not publication.info.is_public:
            return Response(public_html(None, lang), media_type="text/html", status_code=404)
        return Response(public_html(publication, lang), media_type="text/html", headers={"Cache-Control": "public, max-age=86400"})
