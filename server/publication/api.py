"""The authority API: published gradations as `leastmeans.gradation/2` JSON, read-only.

- GET /api/v1/gradation: the latest publication. Cached copies must revalidate
  (`no-cache`), because a newer publication replaces what this URL means; the
  `Content-Location` header names the permanent URL of the publication served.
- GET /api/v1/gradation/{number}: one publication, byte-identical forever, so it may be
  cached for a year (`immutable`).
- GET /api/v1/publications: the list.
Both gradation routes take `?setting=` and `?group=` filters, send a strong ETag and
answer `If-None-Match` with 304.
"""

import hashlib
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter

from analysis.result import GradationResult
from server.publication.access import reader_guard
from server.publication.filtering import check_filters, filter_document
from server.publication.store import PublicationInfo, StoredPublication, latest_number, list_publications, load_publication

LATEST_CACHE = "private, no-cache"
#: Publication numbers are 32-bit integers in the database; a larger one is refused with
#: 400 instead of overflowing the query (which gave a 500).
MAX_NUMBER = 2**31 - 1
PERMANENT_CACHE = "private, max-age=31536000, immutable"
VARY = "Authorization, Cookie"

SettingFilter = Annotated[
    str | None,
    QueryParameter(name="setting", description="Only this setting.", examples=[Example(summary="forensic psychiatry", value="forensic")]),
]
GroupFilter = Annotated[
    str | None,
    QueryParameter(name="group", description="Only this respondent group.", examples=[Example(summary="patients", value="patient")]),
]

_EXAMPLE = {
    "schema": "leastmeans.gradation/2",
    "software_version": "0.1.0",
    "library_versions": {"choix": "0.4.1", "numpy": "2.4.6", "pandas": "3.1.1", "pyarrow": "26.0.1", "scipy": "1.17.1", "statsmodels": "0.15.0"},
    "snapshot": {"respondents": 900, "answers": 30600, "sha256": "3f5c…"},
    "groups": [
        {
            "group": "patient",
            "setting": "general_adult",
            "respondents": 300,
            "small_cell": False,
            "sites": 12,
            "interval_method": "site_cr2",
            "tiered": True,
            "notes": [],
            "tiers": [
                {"index": 0, "measures": ["area_restriction", "personal_observation"], "boundary_above": "separated", "status": "tie"},
                {"index": 1, "measures": ["time_out"], "boundary_above": None, "status": "single"},
            ],
            "measures": [{"measure": "area_restriction", "n": 291, "mean": 21.4, "ci_low": 19.6, "ci_high": 23.2, "tier": 0}],
        }
    ],
    "notes": ["suppressed (fewer than 5 respondents): relative / forensic"],
}
GRADATION_RESPONSES = {
    200: ResponseSpec(
        data_container=GradationResult,
        generate_examples=False,
        description="The published gradation (small cells removed); headers ETag, Cache-Control, Content-Location.",
        examples=[Example(summary="one group, two tiers (abridged)", value=_EXAMPLE)],
    ),
    304: ResponseSpec(data_container=None, description="Not modified: the If-None-Match ETag is current."),
    400: ResponseSpec(data_container=None, description="Unknown setting or group code."),
    401: ResponseSpec(data_container=None, description="No valid API token or reader session."),
    404: ResponseSpec(data_container=None, description="No such publication."),
}


def etag_for(number: int, body: bytes) -> str:
    """Strong ETag: the publication number and the sha256 of the bytes served."""
    return f'"{number}-{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(request: Request, etag: str) -> bool:
    """True if If-None-Match names `etag` (or is `*`); weak prefixes compare equal."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def gradation_body(publication: StoredPublication, setting: str | None, group: str | None) -> bytes:
    """The stored bytes unfiltered (byte-identical forever), else the filtered document."""
    if setting is None and group is None:
        return publication.gradation
    document = msgspec.json.decode(publication.gradation)
    return msgspec.json.encode(filter_document(document, setting, group), order="sorted")


def _respond(request: Request, publication: StoredPublication, body: bytes, cache: str) -> Response[bytes]:
    etag = etag_for(publication.info.number, body)
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Vary": VARY,
        "Content-Location": f"/api/v1/gradation/{publication.info.number}",
        "Last-Modified": publication.info.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    if etag_matches(request, etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


class PublicationSummary(msgspec.Struct, frozen=True):
    """One entry of the publication list."""

    number: int
    published_at: str
    data_sha256: str
    software_version: str
    respondents: int
    url: str

    @classmethod
    def of(cls, info: PublicationInfo) -> "PublicationSummary":
        """The list entry of `info` (who published stays internal)."""
        return cls(
            number=info.number,
            published_at=info.published_at.isoformat(),
            data_sha256=info.data_sha256,
            software_version=info.software_version,
            respondents=info.respondents,
            url=f"/api/v1/gradation/{info.number}",
        )


class AuthorityApi(Controller):
    """Read-only access for the health authority's systems."""

    path = "/api/v1"
    guards = [reader_guard]
    tags = ["gradation"]
    security = [{"bearer": []}]

    @get("/gradation", summary="Latest published gradation", responses=GRADATION_RESPONSES)
    async def latest(self, request: Request, setting: SettingFilter = None, group: GroupFilter = None) -> Response[bytes]:
        """The newest publication; revalidate with If-None-Match, because a newer publication
        will replace it. Its permanent URL is in Content-Location."""
        check_filters(setting, group)
        number = await latest_number()
        publication = await load_publication(number) if number is not None else None
        if publication is None:
            raise NotFoundException(detail="No gradation has been published yet: run `leastmeans publish`.")
        return _respond(request, publication, gradation_body(publication, setting, group), LATEST_CACHE)

    @get("/gradation/{number:int}", summary="One published gradation", responses=GRADATION_RESPONSES)
    async def one(
        self,
        request: Request,
        number: Annotated[int, PathParameter(ge=1, le=MAX_NUMBER, description="Publication number.", examples=[Example(value=1)])],
        setting: SettingFilter = None,
        group: GroupFilter = None,
    ) -> Response[bytes]:
        """Publication `number`, byte-identical for as long as it exists."""
        check_filters(setting, group)
        publication = await load_publication(number)
        if publication is None:
            raise NotFoundException(detail=f"No publication number {number}.")
        return _respond(request, publication, gradation_body(publication, setting, group), PERMANENT_CACHE)

    @get("/publications", summary="Published gradations, newest first")
    async def index(self) -> list[PublicationSummary]:
        """Every publication with its permanent URL."""
        return [PublicationSummary.of(info) for info in await list_publications()]


from litestar.openapi.spec import Components, SecurityScheme  # noqa: E402

#: The bearer scheme `security` above refers to; passed to OpenAPIConfig in server/app.py.
BEARER_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(type="http", scheme="bearer", description="An API token issued with `leastmeans token issue`.")
    }
)
