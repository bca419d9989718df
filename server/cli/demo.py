"""`demo`: fill the database with synthetic respondents through the real answer path."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import click

from server.cli.database import run_with_database

#: Seconds between counts of the submitted responses while the demo answers.
_POLL_S = 1.0


async def _submitted() -> int:
    from server.storage.tables import Response

    return await Response.count().where(Response.submitted_at.is_not_null())


async def _with_progress(answering: Coroutine[Any, Any, int], respondents: int) -> int:
    """Run the demo's answering with a bar of submitted respondents: the demo reports nothing
    itself, so the bar counts submitted responses in the database while it runs."""
    from server.cli.progress import progress_bar

    before = await _submitted()
    bar = progress_bar("demo respondents", total=respondents, unit="respondent")
    task = asyncio.ensure_future(answering)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=_POLL_S)
            bar.update(min(respondents, await _submitted() - before) - bar.n)
        return task.result()
    finally:
        task.cancel()
        bar.close()


@click.command()
@click.option("--respondents", type=click.IntRange(min=0), default=60, show_default=True)
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option("--only-if-empty", is_flag=True, help="Do nothing if any response exists.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Compute a draft publication of the demo study afterwards (simulated: never released).")
def demo(respondents: int, seed: int, only_if_empty: bool, publish: bool) -> None:
    """Fill the database with synthetic respondents through the real answer path."""
    from analysis.settings import GradationSettings
    from server.cli.progress import analysis_progress
    from server.demo import generate_demo
    from server.instrument_registry import InstrumentRegistry
    from server.demo import DEMO_STUDY
    from server.publication.release import Step
    from server.publication.store import publish_database
    from server.workspace import audit
    from server.storage.tables import Response

    async def work() -> str:
        if only_if_empty and await Response.count() > 0:
            return "database already has responses; demo data not added"
        registry = InstrumentRegistry()
        await registry.register_current()
        made = await _with_progress(generate_demo(registry, respondents, seed), respondents)
        if not (publish and made):
            return f"added {made} demo respondent(s)"
        with analysis_progress():
            published = await publish_database(registry, GradationSettings(), actor="demo", studies=[DEMO_STUDY])
        await audit.record("demo", Step.DRAFTED, f"publication:{published.number}", studies=[DEMO_STUDY], simulated=True)
        return (
            f"added {made} demo respondent(s); draft publication {published.number} of simulated data "
            "(in the workspace under Publications; simulated data are never released)"
        )

    click.echo(run_with_database(work))
