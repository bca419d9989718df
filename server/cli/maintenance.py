"""Database upkeep: `migrate` (the only command that creates a database), `backup`, `restore`."""

from pathlib import Path

import click

from server.cli.database import check_database, run_with_database


@click.command()
def migrate() -> None:
    """Create the database if needed and apply pending migrations."""
    from server.storage.database import migrate as run_migrations

    ran = run_with_database(run_migrations, creating=True)
    click.echo(f"applied {len(ran)} migration(s)" if ran else "database is up to date")


@click.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup(destination: Path) -> None:
    """Write a consistent backup of the database (online; the server may keep running)."""
    from server.backup import BackupError
    from server.backup import backup as run_backup
    from server.cli.progress import working

    url = check_database()
    try:
        with working(f"backup to {destination}"):
            run_backup(url, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {destination}")


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the target database may be overwritten.")
def restore(source: Path, yes: bool) -> None:
    """Restore a backup into the database named by DATABASE_URL (overwrites it; may create it)."""
    from server.backup import BackupError
    from server.backup import restore as run_restore

    if not yes:
        raise click.UsageError("restore overwrites the target database: repeat with --yes to confirm")
    # A restore writes a whole database, so like migrate it may create the file, but not a mistyped folder.
    url = check_database(creating=True)
    try:
        run_restore(url, source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {source}")
