"""Long publication work in the background: one job per database, in a process of its own.

Two kinds of job: computing a draft for chosen studies (reading their answers, the
statistics, the report aggregates, then its report PDFs), and rendering the report PDFs of
a publication whose status changed (after release). Both are CPU-bound Python that would
hold a serving worker's event loop for seconds, stalling the answer saves it serves. So
the workspace only claims the job and starts `python -m server.publication.job_process`,
which does the work, reports its stage as it goes, audits and exits; the worker awaits
that process without blocking and records the outcome.

The claim is a hold on a key of the database's `workspace_store` table (`claim_turn`),
so whichever worker, host or command line publishes, only one publication is computed
per database at a time; a second attempt is refused with who started the first and when.
The hold ends when the job ends, or after `MAX_SECONDS` should the server stop meanwhile.
"""

import asyncio
import datetime as dt
import logging
import os
import sys
from typing import Final, Literal

import msgspec

from analysis.settings import GradationSettings
from server.publication.store import PublicationError
from server.storage.database import current_engine
from server.workspace.store import DatabaseStore
from server.workspace.i18n import N_, _, local_time

#: A publication that takes longer is stopped (and the hold ends, should the server stop).
MAX_SECONDS: Final = 30 * 60
#: How long the last job's outcome stays shown.
#: A running job's stage, stored in English and shown in the page's language.
STARTING: Final = N_("starting")
ANALYSING: Final = N_("analysing the answers")
RENDERING: Final = {"da": N_("rendering the Danish report PDF"), "en": N_("rendering the English report PDF")}
KEEP_OUTCOME_S: Final = 7 * 24 * 3600
_STATE, _HOLD = "state", "hold"

log = logging.getLogger(__name__)


class PublicationBusy(PublicationError):
    """Another publication of this database is being computed."""


class JobRequest(msgspec.Struct, frozen=True):
    """What the job process is asked to do (sent on its standard input)."""

    kind: Literal["draft", "render"]
    settings: GradationSettings | None = None
    #: Study codes of a draft.
    studies: list[str] = []
    #: The publication whose PDFs a render job renders.
    number: int | None = None


class PublicationJob(msgspec.Struct, frozen=True):
    """The newest publication job of this database and how it ended (if it has)."""

    state: Literal["running", "done", "failed"]
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    number: int | None = None
    respondents: int | None = None
    message: str = ""
    kind: Literal["draft", "render"] = "draft"
    studies: list[str] = []
    #: What the job is doing now, in words (shown while it runs).
    stage: str = ""


class JobOutcome(msgspec.Struct, frozen=True):
    """What the publishing process reports on its standard output."""

    number: int | None = None
    respondents: int | None = None
    refusal: str = ""


def _store() -> DatabaseStore:
    # The job belongs to the database, not to the session store (which may be Redis).
    return DatabaseStore("publication")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def database_url() -> str:
    """The URL of the database this process uses, for the publishing process."""
    from server.settings import Settings

    engine = current_engine()
    if engine.engine_type == "sqlite":
        return f"sqlite:///{engine.path}"  # type: ignore[attr-defined]
    return str(getattr(engine, "config", {}).get("dsn") or Settings.from_env().database_url)


async def claim(actor: str) -> None:
    """Take this database's publication hold, or raise PublicationBusy naming the holder."""
    wait = await _store().claim_turn(_HOLD, MAX_SECONDS)
    if wait:
        job = await current_job()
        if job and job.state == "running":
            message = _("publication: another publication is being computed (started by %(who)s at %(when)s); wait until it has finished") % {
                "who": job.started_by or _("the command line"),
                "when": local_time(job.started_at),
            }
        else:
            message = _("publication: another publication is being computed; wait until it has finished")
        raise PublicationBusy(message)


async def release() -> None:
    """End the hold (the job has finished)."""
    await _store().delete(_HOLD)


async def _save(job: PublicationJob) -> None:
    await _store().set(_STATE, msgspec.json.encode(job), expires_in=KEEP_OUTCOME_S)


async def report_stage(stage: str) -> None:
    """Say what the running job is doing now (called by the job process)."""
    job = await current_job()
    if job is not None and job.state == "running":
        await _save(msgspec.structs.replace(job, stage=stage))


async def current_job() -> PublicationJob | None:
    """The newest job, or None; a running job whose hold has lapsed is shown as failed."""
    raw = await _store().get(_STATE)
    if raw is None:
        return None
    job = msgspec.json.decode(raw, type=PublicationJob)
    if job.state == "running" and await _store().get(_HOLD) is None:
        return msgspec.structs.replace(
            job, state="failed", message=f"the publication did not finish within {MAX_SECONDS // 60} minutes or the server stopped"
        )
    return job


_running: set[asyncio.Task[None]] = set()


async def start_publication(actor: str, settings: GradationSettings, studies: list[str]) -> PublicationJob:
    """Claim the job and start computing a draft of `studies` in a separate process;
    return at once. Raises PublicationBusy when another job of this database runs."""
    return await _start(actor, JobRequest(kind="draft", settings=settings, studies=sorted(studies)))


async def start_rendering(actor: str, number: int) -> PublicationJob:
    """Claim the job and start rendering publication `number`'s report PDFs."""
    return await _start(actor, JobRequest(kind="render", number=number))


async def _start(actor: str, request: JobRequest) -> PublicationJob:
    await claim(actor)
    job = PublicationJob(
        state="running", started_by=actor, started_at=_now(), kind=request.kind, studies=request.studies, number=request.number,
        stage=STARTING,
    )
    try:
        await _save(job)
    except BaseException:
        await release()
        raise
    task = asyncio.create_task(_supervise(job, request, database_url()))
    # The loop holds tasks weakly; keep a reference until the job ends.
    _running.add(task)
    task.add_done_callback(_running.discard)
    return job


async def _supervise(job: PublicationJob, request: JobRequest, url: str) -> None:
    """Run the publishing process, wait for it without blocking, and record how it ended."""
    outcome: JobOutcome | None = None
    message = ""
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.publication.job_process", job.started_by,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "DATABASE_URL": url},
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(msgspec.json.encode(request)), MAX_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            out, err = b"", b""
            message = f"the publication did not finish within {MAX_SECONDS // 60} minutes and was stopped"
        if not message:
            try:
                outcome = msgspec.json.decode(out.strip().splitlines()[-1], type=JobOutcome) if out.strip() else None
            except msgspec.DecodeError:
                outcome = None
            if outcome is None:
                log.error("publishing process ended with code %s: %s", process.returncode, err.decode(errors="replace")[-4000:])
                message = "the analysis failed unexpectedly; the server log has the details"
    except Exception:
        log.exception("publication job failed")
        message = "the analysis failed unexpectedly; the server log has the details"
    finally:
        if outcome is not None and outcome.number is not None:
            ended = msgspec.structs.replace(job, state="done", finished_at=_now(), number=outcome.number, respondents=outcome.respondents, stage="")
        else:
            ended = msgspec.structs.replace(job, state="failed", finished_at=_now(), message=(outcome.refusal if outcome else "") or message, stage="")
        try:
            await _save(ended)
        finally:
            await release()


async def wait_for_jobs() -> None:
    """Wait until this process's running jobs have ended (for tests and an orderly stop)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
