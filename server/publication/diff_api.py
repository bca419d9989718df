"""GET /api/v1/gradation/{a}/diff/{b}: what changed from released publication a to b.

Same access rule as the rest of the authority API (`reader_guard`: an API token or a
reader session). Both publications must be released; a draft or reviewed one is
answered with 404 exactly like a number that does not exist, so the API does not reveal
unreleased work. It takes no query parameters: any is refused (400, naming it), as
elsewhere in the API. Released publications never change, so the diff of two of them never
changes either; it still asks caches to revalidate (`no-cache`), because a later version
of this software may describe the same changes better, and a strong ETag makes the
revalidation cheap (304).
"""

import hashlib
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from server.publication.access import reader_guard
from server.publication.api import LATEST_CACHE, MAX_NUMBER, VARY, etag_matches, released_publication
from server.publication.diff import PublicationDiff, diff_publications
from server.publication.query_parameters import strict_query_guard
from server.publication.store import StoredPublication

PublicationNumber = Annotated[int, PathParameter(ge=1, le=MAX_NUMBER, description="Publication number.", examples=[Example(value=1)])]

DIFF_RESPONSES = {
    200: ResponseSpec(data_container=PublicationDiff, generate_examples=False, description="The changes from publication a to b; headers ETag, Cache-Control."),
    304: ResponseSpec(data_container=None, description="Not modified: the If-None-Match ETag is current."),
    400: ResponseSpec(data_container=None, description="A query parameter (the route takes none), or a number out of range."),
    401: ResponseSpec(data_container=None, description="No valid API token or reader session."),
    404: ResponseSpec(data_container=None, description="No such released publication."),
}


async def _released(number: int) -> StoredPublication:
    """Publication `number` if it is released, else 404 (the same answer, in the same time,
    as for a number never used: see `server.publication.api.released_publication`)."""
    publication = await released_publication(number)
    if publication is None:
        raise NotFoundException(detail=f"No publication number {number}.")
    return publication


def diff_etag(old: int, new: int, body: bytes) -> str:
    """Strong ETag: both numbers and the sha256 of the bytes served."""
    return f'"{old}-{new}-{hashlib.sha256(body).hexdigest()[:40]}"'


class PublicationDiffApi(Controller):
    """The diff of two released publications, for the authority's systems."""

    path = "/api/v1/gradation"
    guards = [reader_guard, strict_query_guard]
    tags = ["gradation"]
    security = [{"bearer": []}]

    @get("/{a:int}/diff/{b:int}", summary="What changed between two publications", responses=DIFF_RESPONSES)
    async def diff(self, request: Request, a: PublicationNumber, b: PublicationNumber) -> Response[bytes]:
        """Tier moves, boundaries that became separated or undetermined, means that moved beyond
        their intervals, measures and groups added or removed, and method, plan, data and
        library changes, from publication `a` to publication `b` (either order)."""
        old, new = await _released(a), await _released(b)
        body = msgspec.json.encode(diff_publications(old, new))
        etag = diff_etag(a, b, body)
        headers = {"ETag": etag, "Cache-Control": LATEST_CACHE, "Vary": VARY}
        if etag_matches(request, etag):
            return Response(content=b"", status_code=304, headers=headers)
        return Response(content=body, media_type="application/json", headers=headers)
