"""The workspace's diff of two publications: /workspace/publications/{a}/diff/{b}.

Mounted in `publication_router()` beside `PublicationPages` (same role guard and
sessions). Readers (admin, researcher, authority) may diff released publications;
staff (admin, researcher) may also diff drafts, to see what a draft would change
before releasing it. The authority gets 404 for an unreleased number, as in the API.
"""

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from server.publication.diff import PublicationDiff, diff_publications
from server.publication.rendering import interval, number
from server.publication.store import PublicationInfo, StoredPublication, list_publications, load_publication
from server.publication.wording import measure_label, word
from server.publication.workspace_pages import BASE, READERS, Number, status_name
from server.workspace.i18n import _, current_language
from server.workspace.roles import STAFF, Role, allow

Choice = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)]


def _may_see_drafts(request: Request) -> bool:
    return request.state.user["role"] in STAFF


async def _visible(request: Request, number: int) -> StoredPublication:
    publication = await load_publication(number)
    if publication is None or not (publication.info.released or _may_see_drafts(request)):
        raise NotFoundException(detail=_("No publication number %(number)s.") % {"number": number})
    return publication


async def _choices(request: Request) -> list[PublicationInfo]:
    return await list_publications(released_only=not _may_see_drafts(request))


def _page(request: Request, status_code: int = 200, **context: Any) -> Template:
    user = request.state.get("user") if "user" in request.state else None
    language = current_language()
    return Template(
        template_name="publication/workspace_diff.html",
        status_code=status_code,
        context={
            "user": user,
            "role": user["role"] if user else None,
            "Role": Role,
            "status_name": status_name,
            "label": lambda code: measure_label(code, language),
            "word": lambda key: word(key, language),
            "fmt": lambda value: number(value, 1, language),
            "span": lambda low, high: interval(low, high, 1, language),
            **context,
        },
    )


class DiffPages(Controller):
    """What changed between two publications, as a page."""

    path = "/"

    @get("/diff", opt=allow(READERS))
    async def choose(self, request: Request, a: Choice = None, b: Choice = None) -> Template | Redirect:
        """The form to choose two publications; with both chosen, their diff."""
        if a is not None and b is not None:
            return Redirect(f"{BASE}/{a}/diff/{b}", status_code=303)
        choices = await _choices(request)
        # Default: the newest against the one before it.
        return _page(request, diff=None, choices=choices, a=choices[1].number if len(choices) > 1 else None, b=choices[0].number if choices else None)

    @get("/{a:int}/diff/{b:int}", opt=allow(READERS))
    async def diff(self, request: Request, a: Number, b: Number) -> Template:
        """Tier moves, boundary changes, means beyond their intervals and method changes from `a` to `b`."""
        old, new = await _visible(request, a), await _visible(request, b)
        changes: PublicationDiff = diff_publications(old, new)
        return _page(request, diff=changes, choices=await _choices(request), a=a, b=b, old=old.info, new=new.info)
