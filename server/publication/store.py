"""Computing publications and reading them back.

A publication is computed once as a draft for chosen studies, numbered 1, 2, 3, ... and its
content never changes; only its status moves on through the release gate
(`server.publication.release`). Numbers are taken inside a write transaction, and the
unique constraint on `number` refuses a duplicate should two publishers race on PostgreSQL.
"""

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Final

import msgspec
import pandas as pd

from analysis.settings import GradationSettings
from server.publication.data_quality import DataQuality, Timing, data_quality
from server.publication.subgroups import SubgroupRow, subgroup_rows
from server.publication.suppression import suppress_small_cells
from server.storage.database import write_transaction
from server.storage.publication_tables import Publication

if TYPE_CHECKING:
    from analysis.plan import AnalysisPlan


class PublicationError(ValueError):
    """A publication was refused; the message says why."""


class ReportData(msgspec.Struct, frozen=True):
    """Aggregates the report prints besides the gradation, fixed at publication time."""

    data_quality: DataQuality
    subgroups: list[SubgroupRow]


#: Statuses the authority may see (the gate's steps: draft, reviewed, released, public).
RELEASED: Final = ("released", "public")


class PublicationInfo(msgspec.Struct, frozen=True):
    """A publication's metadata, as listed and as given in API headers.

    `published_at`/`published_by`: when and by whom the draft was computed ("" = the
    command line); `reviewed_*` and `released_*` record the later steps of the gate.
    """

    number: int
    published_at: dt.datetime
    published_by: str
    data_sha256: str
    software_version: str
    respondents: int
    gradation_sha256: str
    is_public: bool
    status: str = "draft"
    #: The analysed studies' codes.
    studies: list[str] = []
    #: An analysed study holds simulated (demo) data: never released, always watermarked.
    simulated: bool = False
    plan_sha256: str = ""
    reviewed_at: dt.datetime | None = None
    reviewed_by: str = ""
    released_at: dt.datetime | None = None
    released_by: str = ""
    release_reason: str = ""

    @property
    def released(self) -> bool:
        """True once released to the authority (public or not)."""
        return self.status in RELEASED


class StoredPublication(msgspec.Struct, frozen=True):
    """A publication with its documents."""

    info: PublicationInfo
    #: The analysis document (small cells suppressed), fixed when the draft was computed.
    gradation: bytes
    method_settings: GradationSettings
    report: ReportData
    #: The bytes the authority API serves: fixed at release and never changed after; for
    #: an unreleased publication a preview that says its status.
    served: bytes = b""


_INFO_COLUMNS = (
    Publication.number,
    Publication.published_at,
    Publication.published_by,
    Publication.data_sha256,
    Publication.software_version,
    Publication.respondents,
    Publication.gradation_sha256,
    Publication.is_public,
    Publication.status,
    Publication.studies,
    Publication.simulated,
    Publication.plan_sha256,
    Publication.reviewed_at,
    Publication.reviewed_by,
    Publication.released_at,
    Publication.released_by,
    Publication.release_reason,
)
_TIMES = ("published_at", "reviewed_at", "released_at")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _info(row: dict) -> PublicationInfo:
    fields = {k: row[k] for k in PublicationInfo.__struct_fields__}
    fields.update({k: _aware(row[k]) for k in _TIMES}, studies=msgspec.json.decode(row["studies"], type=list[str]))
    return PublicationInfo(**fields)


class PreparedPublication(msgspec.Struct, frozen=True):
    """A publication's content before it gets a number (pure: no database involved)."""

    gradation: bytes
    method_settings: GradationSettings
    data_sha256: str
    software_version: str
    respondents: int
    report: ReportData
    plan_sha256: str = ""
    studies: list[str] = []
    simulated: bool = False

    def as_stored(self, number: int, published_at: dt.datetime, published_by: str = "", is_public: bool = False) -> "StoredPublication":
        """The publication as it reads back once stored under `number` (a draft, or
        public if `is_public`, as released at `published_at`)."""
        info = PublicationInfo(
            number=number,
            published_at=published_at,
            published_by=published_by,
            data_sha256=self.data_sha256,
            software_version=self.software_version,
            respondents=self.respondents,
            gradation_sha256=hashlib.sha256(self.gradation).hexdigest(),
            is_public=is_public,
            status="public" if is_public else "draft",
            studies=self.studies,
            simulated=self.simulated,
            plan_sha256=self.plan_sha256,
            released_at=published_at if is_public else None,
        )
        stored = StoredPublication(info=info, gradation=self.gradation, method_settings=self.method_settings, report=self.report)
        return msgspec.structs.replace(stored, served=served_document(stored))


def prepare_publication(
    tidy: pd.DataFrame,
    settings: GradationSettings,
    reference: dict[str, list[list[str]]] | None,
    timing: Timing | None = None,
    plan: "AnalysisPlan | None" = None,
    studies: list[str] | None = None,
    simulated: bool = False,
) -> PreparedPublication:
    """Analyse `tidy` and suppress small cells in everything that will be shown.

    The gradation document records the hash of `plan` (default: the default plan)
    and the run's departures from it (`plan_sha256`, `departures`). `studies` and
    `simulated` say where the data came from (see `PublicationInfo`)."""
    from analysis.gradation import analyse  # here, not at the top: it loads scipy, which a serving worker seldom needs
    from analysis.tidy import TidyDataError

    try:
        result = analyse(tidy, settings, reference=reference, plan=plan)
    except TidyDataError as exc:
        # Nothing to grade (e.g. no ratings) is a refusal to publish, not a crash.
        raise PublicationError(f"data: {exc}") from None
    if result.snapshot.respondents < settings.min_cell:
        raise PublicationError(
            f"respondents: {result.snapshot.respondents} submitted; at least {settings.min_cell} are needed to publish"
        )
    document = suppress_small_cells(result.to_dict(), settings.min_cell)
    return PreparedPublication(
        gradation=msgspec.json.encode(document, order="sorted"),
        method_settings=result.settings,
        data_sha256=result.snapshot.sha256,
        software_version=result.software_version,
        respondents=result.snapshot.respondents,
        report=ReportData(
            data_quality=data_quality(tidy, timing, settings.min_cell),
            subgroups=subgroup_rows(tidy, settings.alpha, settings.min_cell),
        ),
        plan_sha256=document.get("plan_sha256") or "",
        studies=sorted(studies or []),
        simulated=simulated,
    )


async def store_publication(prepared: PreparedPublication, actor: str = "") -> PublicationInfo:
    """Store `prepared` as a draft under the next number (taken inside the write transaction)."""
    async with write_transaction():
        last = await Publication.select(Publication.number).order_by(Publication.number, ascending=False).first()
        number = (last["number"] if last else 0) + 1
        await Publication.insert(
            Publication(
                number=number,
                published_by=actor,
                gradation=prepared.gradation.decode(),
                gradation_sha256=hashlib.sha256(prepared.gradation).hexdigest(),
                method_settings=msgspec.json.encode(prepared.method_settings).decode(),
                data_sha256=prepared.data_sha256,
                software_version=prepared.software_version,
                respondents=prepared.respondents,
                report_data=msgspec.json.encode(prepared.report).decode(),
                is_public=False,
                status="draft",
                studies=msgspec.json.encode(prepared.studies).decode(),
                simulated=prepared.simulated,
                plan_sha256=prepared.plan_sha256,
            )
        ).run()
    info = await publication_info(number)
    assert info is not None
    return info


async def publish_frame(
    tidy: pd.DataFrame,
    settings: GradationSettings,
    reference: dict[str, list[list[str]]] | None,
    actor: str = "",
    timing: Timing | None = None,
    plan: "AnalysisPlan | None" = None,
    studies: list[str] | None = None,
    simulated: bool = False,
) -> PublicationInfo:
    """Analyse `tidy`, suppress small cells and store the next numbered draft."""
    return await store_publication(prepare_publication(tidy, settings, reference, timing, plan, studies, simulated), actor)


class StudyChoice(msgspec.Struct, frozen=True):
    """A study a draft can be computed for."""

    code: str
    name: str
    simulated: bool
    submitted: int


async def study_choices() -> list[StudyChoice]:
    """Every study with its number of submitted responses, real studies first."""
    from server.storage.tables import Response, Study

    studies = await Study.select(Study.id, Study.code, Study.name, Study.simulated).order_by(Study.code)
    counts = {
        row["study"]: row["count"]
        for row in await Response.raw("SELECT study, COUNT(*) AS count FROM response WHERE submitted_at IS NOT NULL GROUP BY study")
    }
    choices = [StudyChoice(code=s["code"], name=s["name"], simulated=bool(s["simulated"]), submitted=counts.get(s["id"], 0)) for s in studies]
    return sorted(choices, key=lambda c: (c.simulated, c.code))


async def chosen_studies(codes: list[str]) -> list[StudyChoice]:
    """The studies with these codes; refuses none, an unknown one, or one without answers."""
    if not codes:
        raise PublicationError("studies: choose at least one study to analyse")
    known = {c.code: c for c in await study_choices()}
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise PublicationError(f"studies: no study with the code {', '.join(unknown)}")
    return [known[code] for code in sorted(set(codes))]


async def publish_database(registry: object, settings: GradationSettings, actor: str = "", studies: list[str] | None = None) -> PublicationInfo:
    """Analyse the submitted responses of the chosen studies and store the result as a draft."""
    from server.gradation.runner import reference_tiers
    from server.gradation.snapshot import tidy_snapshot
    from server.publication.data_quality import database_timing
    from server.credentials.bursts import burst_responses

    chosen = await chosen_studies(studies or [])
    codes = [c.code for c in chosen]
    tidy = await tidy_snapshot(registry, codes)  # type: ignore[arg-type]
    # Responses a tablet or invitation completed faster than people can are left out;
    # the data-quality section counts them (`server.credentials.bursts`).
    tidy = tidy[~tidy["respondent"].isin(await burst_responses())]
    if tidy.empty:
        raise PublicationError(f"studies: no submitted responses in {', '.join(codes)}")
    return await publish_frame(
        tidy, settings, reference_tiers(), actor, await database_timing(codes),
        studies=codes, simulated=any(c.simulated for c in chosen),
    )


async def publication_info(number: int) -> PublicationInfo | None:
    """Metadata of publication `number`, or None."""
    row = await Publication.select(*_INFO_COLUMNS).where(Publication.number == number).first()
    return None if row is None else _info(row)


async def list_publications(released_only: bool = False) -> list[PublicationInfo]:
    """Every publication (or every released one), newest first."""
    query = Publication.select(*_INFO_COLUMNS).order_by(Publication.number, ascending=False)
    if released_only:
        query = query.where(Publication.status.is_in(list(RELEASED)))
    return [_info(row) for row in await query]


async def _newest(*statuses: str, below: int | None = None) -> int | None:
    query = Publication.select(Publication.number).where(Publication.status.is_in(list(statuses)))
    if below is not None:
        query = query.where(Publication.number < below)
    row = await query.order_by(Publication.number, ascending=False).first()
    return None if row is None else row["number"]


async def latest_released_number() -> int | None:
    """The newest publication released to the authority: what "latest" means in the API."""
    return await _newest(*RELEASED)


async def latest_public_number() -> int | None:
    """The newest publication an admin has made public."""
    return await _newest("public")


async def previous_released(number: int) -> int | None:
    """The newest released publication numbered below `number` (what a report compares with)."""
    return await _newest(*RELEASED, below=number)


async def load_publication(number: int) -> StoredPublication | None:
    """Publication `number` with its documents, or None."""
    row = await Publication.select().where(Publication.number == number).first()
    if row is None:
        return None
    stored = StoredPublication(
        info=_info(row),
        gradation=row["gradation"].encode(),
        method_settings=msgspec.json.decode(row["method_settings"], type=GradationSettings),
        report=msgspec.json.decode(row["report_data"], type=ReportData),
    )
    if row["served"] is not None:
        served = row["served"].encode()
    elif stored.info.released:
        # Released before the gate existed: the analysis document is what was always served.
        served = stored.gradation
    else:
        served = served_document(stored)
    return msgspec.structs.replace(stored, served=served)


def served_document(publication: StoredPublication) -> bytes:
    """The document the authority API would serve for `publication` as it stands now
    (`server.publication.envelope`); release fixes these bytes for good."""
    from server.publication.envelope import publication_document

    return publication_document(publication)
