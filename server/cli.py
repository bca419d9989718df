"""The `leastmeans` command line."""

import sys
from pathlib import Path

import click

from server.command_database import run_with_database
from server.settings import DemoModeRefused, Settings

@click.group()
def main() -> None:
    """leastmeans: collect intrusiveness ratings of coercive measures and grade them."""


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from server.storage.database import migrate as run_migrations

    ran = run_with_database(run_migrations)
    click.echo(f"applied {len(ran)} migration(s)" if ran else "database is up to date")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1 or $HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000 or $PORT).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--migrate/--no-migrate", "run_migrations", default=False, show_default=True,
              help="Apply pending migrations once, before any worker starts.")
def serve(host: str | None, port: int | None, workers: int, run_migrations: bool) -> None:
    """Serve the web application (several workers share the database and the session store)."""
    import uvicorn

    try:
        settings = Settings.from_env()
    except DemoModeRefused as exc:
        raise click.ClickException(str(exc)) from None
    if settings.demo_mode:
        click.echo("demo mode: anyone may start questionnaires from the open welcome screen and the API")
    if run_migrations:
        from server.storage.database import migrate as apply_migrations

        run_with_database(apply_migrations)
    click.echo(f"serving on http://{host or settings.host}:{port or settings.port} with {workers} worker(s)")
    uvicorn.run(
        "server.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,  # access logs would record respondents' IP addresses
        server_header=False,
        proxy_headers=False,
        # On SIGTERM, stop accepting and let in-flight saves finish.
        timeout_graceful_shutdown=30,
        # A tablet's browser keeps its connection while the respondent reads the next
        # question (often longer than uvicorn's default 5 s), so its saves keep reaching
        # the worker that holds its session (see server/respondent/session_cache.py).
        timeout_keep_alive=75,
    )


@main.command("enrol-tablet")
@click.argument("study")
@click.argument("site")
def enrol_tablet_command(study: str, site: str) -> None:
    """Enrol a (scripted) tablet at SITE of STUDY and print its bearer token, for load tests
    and integrations that start questionnaires through the API (`Authorization: Bearer`)."""
    from server.credentials.kiosk import enrol_tablet
    from server.storage.tables import Site
    from server.workspace.enrolment import issue_kiosk_code

    async def work() -> str:
        row = await Site.select(Site.id).where((Site.code == site) & (Site.study.code == study)).first()
        if row is None:
            raise click.ClickException(f"study '{study}' has no site '{site}'")
        issued = await issue_kiosk_code(row["id"], created_by=None, valid_hours=1)
        enrolled = await enrol_tablet(issued.code)
        if enrolled is None:
            raise click.ClickException(f"study '{study}' is not open")
        return enrolled[0]

    click.echo(run_with_database(work))


@main.command()
@click.option("--respondents", type=click.IntRange(min=0), default=60, show_default=True)
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option("--only-if-empty", is_flag=True, help="Do nothing if any response exists.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Publish the gradation afterwards, marked public (demo data only).")
def demo(respondents: int, seed: int, only_if_empty: bool, publish: bool) -> None:
    """Fill the database with synthetic respondents through the real answer path."""
    from analysis.settings import GradationSettings
    from server.demo import generate_demo
    from server.instrument_registry import InstrumentRegistry
    from server.publication.store import publish_database, set_public
    from server.storage.tables import Response

    async def work() -> str:
        if only_if_empty and await Response.count() > 0:
            return "database already has responses; demo data not added"
        registry = InstrumentRegistry()
        await registry.register_current()
        made = await generate_demo(registry, respondents, seed)
        if not (publish and made):
            return f"added {made} demo respondent(s)"
        published = await publish_database(registry, GradationSettings(), actor="demo")
        await set_public(published.number, True)
        return f"added {made} demo respondent(s); published gradation number {published.number} at /gradation"

    click.echo(run_with_database(work))


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the JSON here too.")
@click.option("--resamples", type=click.IntRange(min=1), default=None, help="Bootstrap resamples (a departure when a plan says otherwise).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Analyse this tidy CSV (e.g. data.csv of an export) instead of the database.",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Hold the run to this analysis plan (see `leastmeans plan`); its hash is verified and recorded.",
)
def analyse(out: Path | None, resamples: int | None, csv_path: Path | None, plan_path: Path | None) -> None:
    """Compute the gradation from all submitted responses, or from a tidy CSV (nothing is stored; see publish).

    Input that cannot be graded (wrong scale, unknown kinds, text where a number belongs, no data)
    is refused with the column and the file line."""
    from analysis.tidy import TidyDataError
    from server.plan_cli import run_plan

    plan, settings = run_plan(plan_path, resamples)
    progress = sys.stderr.isatty()
    if csv_path is not None:
        from analysis.gradation import analyse as analyse_frame
        from analysis.tidy import read_tidy_csv
        from server.gradation.runner import reference_tiers

        try:
            tidy = read_tidy_csv(csv_path)
            payload = analyse_frame(tidy, settings, reference=reference_tiers(), progress=progress, plan=plan).to_json()
        except TidyDataError as exc:
            raise click.ClickException(f"{csv_path}: {exc}") from None
    else:
        from server.gradation.runner import analyse_database
        from server.instrument_registry import InstrumentRegistry

        async def work() -> bytes:
            registry = InstrumentRegistry()
            await registry.register_current()
            return await analyse_database(registry, settings, progress=progress, plan=plan)

        try:
            payload = run_with_database(work)
        except TidyDataError as exc:
            raise click.ClickException(f"submitted responses in the database: {exc}") from None
    if out is not None:
        out.write_bytes(payload)
        click.echo(f"wrote {out}")
    else:
        click.echo(payload.decode())


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup(destination: Path) -> None:
    """Write a consistent backup of the database (online; the server may keep running)."""
    from server.backup import BackupError
    from server.backup import backup as run_backup

    try:
        run_backup(Settings.from_env().database_url, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {destination}")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the target database may be overwritten.")
def restore(source: Path, yes: bool) -> None:
    """Restore a backup into the database named by DATABASE_URL (overwrites it)."""
    from server.backup import BackupError
    from server.backup import restore as run_restore

    if not yes:
        raise click.UsageError("restore overwrites the target database: repeat with --yes to confirm")
    try:
        run_restore(Settings.from_env().database_url, source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {source}")


def _register_area_commands() -> None:
    # Each area keeps its commands in a module of its own; they join the one group here.
    from server.instruments_cli import check_instruments, codebook
    from server.plan_cli import plan_command
    from server.publication_cli import PUBLICATION_COMMANDS
    from server.workspace_cli import createuser, export_command, import_command

    for command in (createuser, export_command, import_command, check_instruments, codebook, plan_command, *PUBLICATION_COMMANDS):
        main.add_command(command)


_register_area_commands()
