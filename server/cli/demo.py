"""`demo`: fill the database with synthetic respondents through the real answer path."""

import click

from server.cli.database import run_with_database


@click.command()
@click.option("--respondents", type=click.IntRange(min=0), default=60, show_default=True)
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option("--only-if-empty", is_flag=True, help="Do nothing if any response exists.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Publish the gradation afterwards, marked public (demo data only).")
def demo(respondents: int, seed: int, only_if_empty: bool, publish: bool) -> None:
    """Fill the database with synthetic respondents through the real answer path."""
    from analysis.settings import GradationSettings
    from server.cli.progress import analysis_progress, working
    from server.demo import generate_demo
    from server.instrument_registry import InstrumentRegistry
    from server.publication.store import publish_database, set_public
    from server.storage.tables import Response

    async def work() -> str:
        if only_if_empty and await Response.count() > 0:
            return "database already has responses; demo data not added"
        registry = InstrumentRegistry()
        await registry.register_current()
        with working(f"demo: {respondents} respondent(s)"):
            made = await generate_demo(registry, respondents, seed)
        if not (publish and made):
            return f"added {made} demo respondent(s)"
        with analysis_progress():
            published = await publish_database(registry, GradationSettings(), actor="demo")
        await set_public(published.number, True)
        return f"added {made} demo respondent(s); published gradation number {published.number} at /gradation"

    click.echo(run_with_database(work))
