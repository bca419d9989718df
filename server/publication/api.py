"""The authority API: released gradations as `leastmeans.gradation/3` JSON, read-only.

Only publications released through the gate (`status` "released" or "public") exist here:
a draft or reviewed number answers 404 exactly like a number never used, so a leaked
number tells nothing. docs/api.md describes the HTTP side for integrators.

- GET /api/v1/gradation: the latest released publication. Cached copies must revalidate
  (`no-cache`), because a newer release replaces what this URL means; the
  `Content-Location` header names the permanent URL of the publication served.
- GET /api/v1/gradation/{number}: one released publication, byte-identical forever, so it
  may be cached for a year (`immutable`).
- GET /api/v1/publications: the released publications, newest first.
Both gradation routes take `?setting=` and `?group=` filters, send a strong ETag and
`Last-Modified` (the release time), and answer `If-None-Match` (or, without it,
`If-Modified-Since`) with 304. Unknown or repeated query parameters are refused (400).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, Example, OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, Parameter, Schema, SecurityScheme
from litestar.params import PathParameter, QueryParameter

from analysis.result import GradationResult
from server.publication.access import reader_guard
from server.publication.filtering import check_filters, filter_document
from server.publication.query_parameters import strict_query_guard
from server.publication.store import (
    PublicationInfo,
    StoredPublication,
    latest_released_number,
    list_publications,
    load_publication,
    publication_info,
)

LATEST_CACHE = "private, no-cache"
#: Publication numbers are 32-bit integers in the database; a larger one is refused with
#: 400 instead of overflowing the query (which gave a 500).
MAX_NUMBER = 2**31 - 1
PERMANENT_CACHE = "private, max-age=31536000, immutable"
VARY = "Authorization, Cookie"

SettingFilter = Annotated[
    str | None,
    QueryParameter(
        name="setting", description="Only this setting (given at most once).", examples=[Example(summary="forensic psychiatry", value="forensic")]
    ),
]
GroupFilter = Annotated[
    str | None,
    QueryParameter(name="group", description="Only this respondent group (given at most once).", examples=[Example(summary="patients", value="patient")]),
]


class PublicationBlock(msgspec.Struct, frozen=True):
    """The served document's `publication` key: which publication this is."""

    number: int
    status: str
    released_at: str | None
    studies: list[str]
    simulated: bool
    data_sha256: str
    plan_sha256: str
    software_version: str
    respondents: int
    url: str


class MeasureLabel(msgspec.Struct, frozen=True):
    """A measure's name in Danish and English."""

    da: str
    en: str


class CatalogueEntry(msgspec.Struct, frozen=True):
    """One measure of the served document's `measure_catalogue`."""

    number: int
    label: MeasureLabel
    legal_today: bool


class ServedGradation(GradationResult, frozen=True):
    """The served document: the analysis document plus `publication` and
    `measure_catalogue` (both absent only in publications released before the gate)."""

    publication: PublicationBlock | None = None
    measure_catalogue: dict[str, CatalogueEntry] = {}


_EXAMPLE = {
    "schema": "leastmeans.gradation/3",
    "software_version": "0.1.0",
    "library_versions": {"choix": "0.4.1", "numpy": "2.4.6", "pandas": "3.1.1", "pyarrow": "26.0.1", "scipy": "1.17.1", "statsmodels": "0.15.0"},
    "snapshot": {"respondents": 900, "answers": 30600, "sha256": "3f5c…"},
    "publication": {
        "number": 4,
        "status": "released",
        "released_at": "2026-11-30T09:12:44+00:00",
        "studies": ["dk2026"],
        "simulated": False,
        "data_sha256": "3f5c…",
        "plan_sha256": "9b1e…",
        "software_version": "0.1.0",
        "respondents": 900,
        "url": "/api/v1/gradation/4",
    },
    "measure_catalogue": {
        "area_restriction": {"number": 1, "label": {"da": "Områdebegrænsning", "en": "Area restriction"}, "legal_today": True},
        "time_out": {"number": 3, "label": {"da": "Time-out", "en": "Time-out"}, "legal_today": False},
    },
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
                {"index": 1, "measures": ["area_restriction", "personal_observation"], "boundary_above": "separated", "status": "tie"},
                {"index": 2, "measures": ["time_out"], "boundary_above": None, "status": "single"},
            ],
            "measures": [{"measure": "area_restriction", "n": 291, "mean": 21.4, "ci_low": 19.6, "ci_high": 23.2, "tier": 1}],
        }
    ],
    "notes": ["suppressed (fewer than 5 respondents): relative / forensic"],
}
_TEXT = Schema(type=OpenAPIType.STRING)
#: The headers of a gradation answer (200 and 304), as the OpenAPI document states them.
GRADATION_HEADERS = {
    "ETag": 'Strong: "<number>-<sha256 prefix of the bytes sent>". Send it back in If-None-Match.',
    "Last-Modified": "When the publication was released (HTTP date). Send it back in If-Modified-Since.",
    "Cache-Control": "`private, no-cache` for the latest; `private, max-age=31536000, immutable` for a numbered publication.",
    "Content-Location": "The permanent URL of the publication served (without filters).",
}
#: The conditional request headers the gradation routes honour.
CONDITIONAL_HEADERS = {
    "If-None-Match": "ETags from an earlier answer: 304 if one is current (`*` matches any; W/ prefixes are ignored).",
    "If-Modified-Since": "An HTTP date: 304 if nothing was released after it. Ignored when If-None-Match is sent (RFC 9110, 13.1.3).",
}


@dataclass
class GradationOperation(Operation):
    """The OpenAPI operation of a gradation route, with the caching headers it sends (on
    200 and 304) and the conditional headers it reads, which Litestar cannot state for
    responses declared with `ResponseSpec`."""

    def __post_init__(self) -> None:
        for status in ("200", "304"):
            response = (self.responses or {}).get(status)
            if isinstance(response, OpenAPIResponse):
                response.headers = {name: OpenAPIHeader(schema=_TEXT, description=text) for name, text in GRADATION_HEADERS.items()}
        conditional = [Parameter(name=name, param_in="header", schema=_TEXT, description=text) for name, text in CONDITIONAL_HEADERS.items()]
        self.parameters = [*(self.parameters or []), *conditional]


ERROR_EXAMPLE = {
    "status_code": 400,
    "detail": "Invalid setting: given 2 times; give it at most once",
    "extra": [{"key": "setting", "message": "given 2 times; give it at most once", "source": "query"}],
}
GRADATION_RESPONSES = {
    200: ResponseSpec(
        data_container=ServedGradation,
        generate_examples=False,
        description="The released gradation (small cells removed); headers ETag, Last-Modified, Cache-Control, Content-Location.",
        examples=[Example(summary="one group, two tiers (abridged)", value=_EXAMPLE)],
    ),
    304: ResponseSpec(
        data_container=None,
        description="Not modified: the If-None-Match ETag is current, or (without If-None-Match) nothing was released after If-Modified-Since.",
    ),
    400: ResponseSpec(
        data_container=None,
        description="A query parameter the route does not take, one given twice, an unknown setting or group code, "
        "or a number out of range; `extra[].key` names it and `extra[].source` says query or path.",
        examples=[Example(summary="a filter given twice", value=ERROR_EXAMPLE)],
    ),
    401: ResponseSpec(data_container=None, description="No valid, unrevoked API token (or reader session)."),
    404: ResponseSpec(data_container=None, description="No released publication with this number (drafts and reviewed ones answer the same)."),
}
LIST_RESPONSES = {
    400: GRADATION_RESPONSES[400],
    401: GRADATION_RESPONSES[401],
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


def not_modified_since(request: Request, modified: dt.datetime) -> bool:
    """True if If-Modified-Since is at or after `modified` (to the second). Ignored when
    If-None-Match is present (RFC 9110, 13.1.3) or when it is not a valid HTTP date."""
    if "if-none-match" in request.headers:
        return False
    header = request.headers.get("if-modified-since")
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are GMT
        since = since.replace(tzinfo=dt.timezone.utc)
    return modified.replace(microsecond=0) <= since


def released_at(info: PublicationInfo) -> dt.datetime:
    """When `info` was released (publications released before the gate: when computed)."""
    return info.released_at or info.published_at


def http_date(moment: dt.datetime) -> str:
    """`moment` as an HTTP date (IMF-fixdate, GMT)."""
    return format_datetime(moment.astimezone(dt.timezone.utc), usegmt=True)


def gradation_body(publication: StoredPublication, setting: str | None, group: str | None) -> bytes:
    """The served bytes unfiltered (byte-identical forever), else the filtered document."""
    if setting is None and group is None:
        return publication.served
    document = msgspec.json.decode(publication.served)
    return msgspec.json.encode(filter_document(document, setting, group), order="sorted")


async def released_publication(number: int) -> StoredPublication | None:
    """Publication `number` if released to the authority; None for a draft, a reviewed one
    and a number never used alike.

    The status is read first from the metadata alone: loading an unreleased publication's
    documents (and building its preview) would make its 404 measurably slower than that of
    a number never used, and so tell an attacker which numbers exist."""
    info = await publication_info(number)
    if info is None or not info.released:
        return None
    publication = await load_publication(number)
    return publication if publication is not None and publication.info.released else None


def _respond(request: Request, publication: StoredPublication, body: bytes, cache: str) -> Response[bytes]:
    etag = etag_for(publication.info.number, body)
    modified = released_at(publication.info)
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Vary": VARY,
        "Content-Location": f"/api/v1/gradation/{publication.info.number}",
        "Last-Modified": http_date(modified),
    }
    if etag_matches(request, etag) or not_modified_since(request, modified):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


class PublicationSummary(msgspec.Struct, frozen=True):
    """One entry of the publication list."""

    number: int
    status: str
    released_at: str
    public: bool
    studies: list[str]
    data_sha256: str
    plan_sha256: str
    software_version: str
    respondents: int
    url: str

    @classmethod
    def of(cls, info: PublicationInfo) -> "PublicationSummary":
        """The list entry of `info` (who reviewed and released stays internal)."""
        return cls(
            number=info.number,
            status=info.status,
            released_at=released_at(info).isoformat(),
            public=info.is_public,
            studies=info.studies,
            data_sha256=info.data_sha256,
            plan_sha256=info.plan_sha256,
            software_version=info.software_version,
            respondents=info.respondents,
            url=f"/api/v1/gradation/{info.number}",
        )


class AuthorityApi(Controller):
    """Read-only access for the health authority's systems."""

    path = "/api/v1"
    # The token first: an anonymous caller learns nothing, not even which parameters exist.
    guards = [reader_guard, strict_query_guard]
    tags = ["gradation"]
    security = [{"bearer": []}]

    @get("/gradation", summary="Latest released gradation", responses=GRADATION_RESPONSES, operation_class=GradationOperation)
    async def latest(self, request: Request, setting: SettingFilter = None, group: GroupFilter = None) -> Response[bytes]:
        """The newest released publication; revalidate with If-None-Match, because a newer
        release will replace it. Its permanent URL is in Content-Location."""
        check_filters(setting, group)
        number = await latest_released_number()
        publication = await released_publication(number) if number is not None else None
        if publication is None:
            raise NotFoundException(detail="No gradation has been released yet.")
        return _respond(request, publication, gradation_body(publication, setting, group), LATEST_CACHE)

    @get("/gradation/{number:int}", summary="One released gradation", responses=GRADATION_RESPONSES, operation_class=GradationOperation)
    async def one(
        self,
        request: Request,
        number: Annotated[int, PathParameter(ge=1, le=MAX_NUMBER, description="Publication number.", examples=[Example(value=1)])],
        setting: SettingFilter = None,
        group: GroupFilter = None,
    ) -> Response[bytes]:
        """Released publication `number`, byte-identical for as long as it exists."""
        check_filters(setting, group)
        publication = await released_publication(number)
        if publication is None:
            raise NotFoundException(detail=f"No publication number {number}.")
        return _respond(request, publication, gradation_body(publication, setting, group), PERMANENT_CACHE)

    @get("/publications", summary="Released gradations, newest first", responses=LIST_RESPONSES)
    async def index(self) -> list[PublicationSummary]:
        """Every released publication with its status, release time and permanent URL."""
        return [PublicationSummary.of(info) for info in await list_publications(released_only=True)]


#: The bearer scheme `security` above refers to; passed to OpenAPIConfig in server/app.py.
BEARER_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(
            type="http", scheme="bearer", description="An API token issued with `leastmeans token issue`; revoked with `leastmeans token revoke`."
        )
    }
)
