"""`serve` the web application and `enrol-tablet` a scripted tablet."""

import click

from server.cli.database import check_database, run_with_database
from server.settings import DemoModeRefused, Settings


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1 or $HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000 or $PORT).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--migrate/--no-migrate", "run_migrations", default=False, show_default=True,
              help="Apply pending migrations once, before any worker starts (creating the database if needed).")
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

        run_with_database(apply_migrations, creating=True)
    else:
        # Before any worker starts: a worker would create an empty file and fail on every request.
        check_database()
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


@click.command("enrol-tablet")
@click.argument("study")
@click.argument("site")
def enrol_tablet_command(study: str, site: str) -> None:
    """Enrol a (scripted) tablet at SITE of STUDY and print its bearer token, for load tests
    and integrations that start questionnaires through the API (`Authorization: Bearer`)."""
    from server.cli.studies import require_study
    from server.credentials.kiosk import enrol_tablet
    from server.storage.tables import Site
    from server.workspace.enrolment import issue_kiosk_code

    async def work() -> str:
        await require_study(study)
        row = await Site.select(Site.id).where((Site.code == site) & (Site.study.code == study)).first()
        if row is None:
            raise click.ClickException(f"study '{study}' has no site '{site}'")
        issued = await issue_kiosk_code(row["id"], created_by=None, valid_hours=1)
        enrolled = await enrol_tablet(issued.code)
        if enrolled is None:
            raise click.ClickException(f"study '{study}' is not open")
        return enrolled[0]

    click.echo(run_with_database(work))
