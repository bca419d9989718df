"""Publishing a gradation and reading publications back.

A publication is written once, numbered 1, 2, 3, ... and never changed (only its public
flag may be switched). Numbers are taken inside a write transaction, and the unique
constraint on `number` refuses a duplicate should two publishers race on PostgreSQL.
"""

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

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


class PublicationInfo(msgspec.Struct, frozen=True):
    """A publication's metadata, as listed and as given in API headers."""

    number: int
    published_at: dt.datetime
    published_by: str
    data_sha256: str
    software_version: str
    respondents: int
    gradation_sha256: str
    is_public: bool


class StoredPublication(msgspec.Struct, frozen=True):
    """A publication with its documents."""

    info: PublicationInfo
    #: The exact bytes served for this publication, forever.
    gradation: bytes
    method_settings: GradationSettings
    report: ReportData


_INFO_COLUMNS = (
    Publication.number,
    Publication.published_at,
    Publication.published_by,
    Publication.data_sha256,
    Publication.software_version,
    Publication.respondents,
    Publication.gradation_sha256,
    Publication.is_public,
)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _info(row: dict) -> PublicationInfo:
    return PublicationInfo(**{**{k: row[k] for k in PublicationInfo.__struct_fields__}, "published_at": _aware(row["published_at"])})


class PreparedPublication(msgspec.Struct, frozen=True):
    """A publication's content before it gets a number (pure: no database involved)."""

    gradation: bytes
    method_settings: GradationSettings
    data_sha256: str
    software_version: str
    respondents: int
    report: ReportData

    def as_stored(self, number: int, published_at: dt.datetime, published_by: str = "", is_public: bool = False) -> "StoredPublication":
        """The publication as it reads back once stored under `number`."""
        info = PublicationInfo(
            number=number,
            published_at=published_at,
            published_by=published_by,
            data_sha256=self.data_sha256,
            software_version=self.software_version,
            respondents=self.respondents,
            gradation_sha256=hashlib.sha256(self.gradation).hexdigest(),
            is_public=is_public,
        )
        return StoredPublication(info=info, gradation=self.gradation, method_settings=self.method_settings, report=self.report)


def prepare_publication(
    tidy: pd.DataFrame,
    settings: GradationSettings,
    reference: dict[str, list[list[str]]] | None,
    timing: Timing | None = None,
    plan: "AnalysisPlan | None" = None,
) -> PreparedPublication:
    """Analyse `tidy` and suppress small cells in everything that will be shown.

    The gradation document records the hash of `plan` (default: the default plan)
    and the run's departures from it (`plan_sha256`, `departures`)."""
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
    )


async def store_publication(prepared: PreparedPublication, actor: str = "") -> PublicationInfo:
    """Store `prepared` under the next number (taken inside the write transaction)."""
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
) -> PublicationInfo:
    """Analyse `tidy`, suppress small cells and store the next numbered publication."""
    return await store_publication(prepare_publication(tidy, settings, reference, timing, plan), actor)


async def publish_database(registry: object, settings: GradationSettings, actor: str = "") -> PublicationInfo:
    """Analyse every submitted response in the database and publish the result."""
    from server.gradation.runner import reference_tiers
    from server.gradation.snapshot import tidy_snapshot
    from server.publication.data_quality import database_timing
    from server.credentials.bursts import burst_responses

    tidy = await tidy_snapshot(registry)  # type: ignore[arg-type]
    # Responses a tablet or invitation completed faster than people can are left out;
    # the data-quality section counts them (`server.credentials.bursts`).
    tidy = tidy[~tidy["respondent"].isin(await burst_responses())]
    if tidy.empty:
        raise PublicationError("respondents: no submitted responses to publish")
    return await publish_frame(tidy, settings, reference_tiers(), actor, await database_timing())


async def publication_info(number: int) -> PublicationInfo | None:
    """Metadata of publication `number`, or None."""
    row = await Publication.select(*_INFO_COLUMNS).where(Publication.number == number).first()
    return None if row is None else _info(row)


async def list_publications() -> list[PublicationInfo]:
    """Every publication, newest first."""
    rows = await Publication.select(*_INFO_COLUMNS).order_by(Publication.number, ascending=False)
    return [_info(row) for row in rows]


async def latest_number(public_only: bool = False) -> int | None:
    """The newest publication's number (the newest public one if `public_only`)."""
    query = Publication.select(Publication.number).order_by(Publication.number, ascending=False)
    if public_only:
        query = query.where(Publication.is_public == True)  # noqa: E712
    row = await query.first()
    return None if row is None else row["number"]


async def load_publication(number: int) -> StoredPublication | None:
    """Publication `number` with its documents, or None."""
    row = await Publication.select().where(Publication.number == number).first()
    if row is None:
        return None
    return StoredPublication(
        info=_info(row),
        gradation=row["gradation"].encode(),
        method_settings=msgspec.json.decode(row["method_settings"], type=GradationSettings),
        report=msgspec.json.decode(row["report_data"], type=ReportData),
    )


async def set_public(number: int, public: bool) -> PublicationInfo:
    """Mark a publication public (or not); its content stays as it is."""
    if await publication_info(number) is None:
        raise PublicationError(f"number: no publication {number}")
    await Publication.update({Publication.is_public: public}).where(Publication.number == number)
    info = await publication_info(number)
    assert info is not None
    return info
