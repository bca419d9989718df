"""The process a background job starts (`python -m server.publication.job_process ACTOR`).

It reads a `JobRequest` (JSON) on standard input and the database from DATABASE_URL, and
either computes a draft of the chosen studies (then renders its report PDFs) or renders
the PDFs of a publication whose status changed. It says what it is doing as it goes
(`report_stage`), audits a draft as the actor who asked for it, and writes one
`JobOutcome` line on standard output: the number, or the refusal (e.g. too few
respondents). The job that started it already holds the database's publication claim.
"""

import logging
import os
import sys
import time

import msgspec

from analysis.settings import GradationSettings
from server.publication.job import ANALYSING, JobOutcome, JobRequest, report_stage
from server.publication.store import PublicationError

#: Seconds of extra CPU-bound work before publishing; set only by tests that need a
#: publication to take a while without a dataset large enough to take that long.
EXTRA_CPU_VARIABLE = "LEASTMEANS_TEST_PUBLICATION_EXTRA_CPU_S"


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(10_000))


async def _draft(actor: str, settings: GradationSettings, studies: list[str]) -> JobOutcome:
    from server.instrument_registry import InstrumentRegistry
    from server.publication.release import Step
    from server.publication.report_files import render_reports
    from server.publication.store import publish_database
    from server.workspace import audit

    registry = InstrumentRegistry()
    await report_stage(ANALYSING)
    try:
        info = await publish_database(registry, settings, actor, studies)
    except PublicationError as exc:
        return JobOutcome(refusal=str(exc))
    await audit.record(
        actor, Step.DRAFTED, f"publication:{info.number}", studies=info.studies, simulated=info.simulated,
        data_sha256=info.data_sha256, respondents=info.respondents,
    )
    try:
        await render_reports(info.number, report_stage)
    except Exception:
        # The draft stands; its PDFs are rendered again when someone asks for them.
        logging.getLogger(__name__).exception("rendering the report PDFs of draft %s failed", info.number)
    return JobOutcome(number=info.number, respondents=info.respondents)


async def _render(number: int) -> JobOutcome:
    from server.publication.report_files import render_reports

    await render_reports(number, report_stage)
    return JobOutcome(number=number)


def main() -> None:
    """Do the requested job once and report the outcome on standard output."""
    from server.cli.database import run_with_database

    actor = sys.argv[1] if len(sys.argv) > 1 else ""
    request = msgspec.json.decode(sys.stdin.buffer.read(), type=JobRequest)
    _busy(float(os.environ.get(EXTRA_CPU_VARIABLE) or 0))
    if request.kind == "draft":
        outcome = run_with_database(lambda: _draft(actor, request.settings or GradationSettings(), request.studies))
    else:
        outcome = run_with_database(lambda: _render(request.number or 0))
    sys.stdout.write(msgspec.json.encode(outcome).decode() + "\n")


if __name__ == "__main__":
    main()
