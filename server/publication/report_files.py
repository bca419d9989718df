"""The report PDFs of a publication, rendered in the background job and kept in the database.

A report says whether its publication is a draft (a banner) and what changed since the
previous released publication, so a publication has draft PDFs until it is released and
released PDFs after. Rendering takes seconds; requests only ever read what was rendered.
"""

import datetime as dt
from collections.abc import Awaitable, Callable


from server.publication.job import RENDERING
from server.publication.store import StoredPublication, load_publication, previous_released
from server.publication.wording import LANGUAGES
from server.storage.database import write_transaction
from server.storage.publication_tables import PublicationReport


def report_status(publication: StoredPublication) -> str:
    """Which report the publication's status calls for: "draft" or "released"."""
    return "released" if publication.info.released else "draft"


async def changes_since_previous(publication: StoredPublication):  # type: ignore[no-untyped-def]
    """What changed since the newest released publication before this one (None if none)."""
    from server.publication.diff import diff_publications

    number = await previous_released(publication.info.number)
    previous = await load_publication(number) if number is not None else None
    return None if previous is None else diff_publications(previous, publication)


async def report_page(publication: StoredPublication, language: str) -> str:
    """The report's HTML (fast: no PDF), with the changes since the previous release."""
    from server.publication.report import report_html

    return report_html(publication, language, await changes_since_previous(publication))


async def render_reports(number: int, stage: Callable[[str], Awaitable[None]] | None = None) -> None:
    """Render publication `number`'s PDFs in every language for its current status and keep them."""
    from server.publication.report import report_pdf

    publication = await load_publication(number)
    if publication is None:
        return
    status = report_status(publication)
    for language in LANGUAGES:
        if stage is not None:
            await stage(RENDERING[language])
        pdf = report_pdf(await report_page(publication, language))
        async with write_transaction():
            await PublicationReport.delete().where((PublicationReport.number == number) & (PublicationReport.language == language))
            await PublicationReport.insert(
                PublicationReport(number=number, language=language, status=status, pdf=pdf, rendered_at=dt.datetime.now(dt.timezone.utc))
            ).run()


async def stored_report(publication: StoredPublication, language: str) -> bytes | None:
    """The rendered PDF matching the publication's current status, or None (not rendered yet)."""
    row = await PublicationReport.select(PublicationReport.pdf).where(
        (PublicationReport.number == publication.info.number)
        & (PublicationReport.language == language)
        & (PublicationReport.status == report_status(publication))
    ).first()
    return None if row is None else bytes(row["pdf"])
