"""The publishing process a background job starts (`python -m server.publication.job_process ACTOR`).

It reads the method settings (JSON) on standard input and the database from DATABASE_URL,
analyses every submitted response, stores the next numbered publication, audits it as
the workspace always has (the actor who pressed publish), and writes one `JobOutcome`
line on standard output: the number, or the refusal (e.g. too few respondents).
The job that started it already holds the database's publication claim.
"""

import os
import sys
import time

import msgspec

from analysis.settings import GradationSettings
from server.publication.job import JobOutcome
from server.publication.store import PublicationError

#: Seconds of extra CPU-bound work before publishing; set only by tests that need a
#: publication to take a while without a dataset large enough to take that long.
EXTRA_CPU_VARIABLE = "LEASTMEANS_TEST_PUBLICATION_EXTRA_CPU_S"


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(10_000))


async def _publish(actor: str, settings: GradationSettings) -> JobOutcome:
    from server.instrument_registry import InstrumentRegistry
    from server.publication.store import publish_database
    from server.workspace import audit
    from server.workspace.audit import Action

    registry = InstrumentRegistry()
    try:
        info = await publish_database(registry, settings, actor)
    except PublicationError as exc:
        return JobOutcome(refusal=str(exc))
    await audit.record(actor, Action.PUBLICATION, f"publication:{info.number}", data_sha256=info.data_sha256, respondents=info.respondents)
    return JobOutcome(number=info.number, respondents=info.respondents)


def main() -> None:
    """Publish once and report the outcome on standard output."""
    from server.cli.database import run_with_database

    actor = sys.argv[1] if len(sys.argv) > 1 else ""
    settings = msgspec.json.decode(sys.stdin.buffer.read(), type=GradationSettings)
    _busy(float(os.environ.get(EXTRA_CPU_VARIABLE) or 0))
    outcome = run_with_database(lambda: _publish(actor, settings))
    sys.stdout.write(msgspec.json.encode(outcome).decode() + "\n")


if __name__ == "__main__":
    main()
