"""Workspace commands: `leastmeans createuser`, `leastmeans export`, `leastmeans import`."""

import sys
from pathlib import Path

import click

from server.command_database import run_with_database


@click.command()
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "researcher", "coordinator", "authority"]),
    default="admin",
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
def createuser(username: str, role: str, password_stdin: bool) -> None:
    """Create a workspace account (the first admin is made this way; there is no default password)."""
    from server.workspace import audit
    from server.workspace.audit import Action
    from server.workspace.users import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work() -> str:
        made = await create_user(username, password, role)
        await audit.record("", Action.USER_CREATED, f"user:{made.username}", role=made.role, via="command line")
        return f"created {made.role} '{made.username}'"

    try:
        click.echo(run_with_database(work))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--study", default=None, help="Only this study (default: every study).")
@click.option("--k", "k", type=click.IntRange(min=5), default=5, show_default=True, help="k-anonymity threshold (at least 5).")
@click.option("--period", type=click.Choice(["quarter", "week"]), default="quarter", show_default=True, help="Time column: calendar quarter or ISO week.")
@click.option("--include-free-text", is_flag=True, help="Include free-text answers (needs --as-admin).")
@click.option("--as-admin", default=None, help="Admin username; required for --include-free-text, recorded in the audit log.")
@click.option("--formats", default="csv,parquet,dta,sav", show_default=True)
def export_command(
    out: Path, study: str | None, k: int, period: str, include_free_text: bool, as_admin: str | None, formats: str
) -> None:
    """Write an anonymised export zip (data, codebook, manifest)."""
    from server.instrument_registry import InstrumentRegistry
    from server.storage.workspace_tables import StaffUser
    from server.workspace import audit
    from server.workspace.audit import Action
    from server.workspace.export.bundle import ExportSettings, build_export

    settings = ExportSettings(
        study=study, k=k, include_free_text=include_free_text, formats=tuple(formats.split(",")), period=period  # type: ignore[arg-type]
    )

    async def work() -> str:
        actor = ""
        if include_free_text:
            admin = await StaffUser.select(StaffUser.role).where(
                (StaffUser.username == (as_admin or "")) & (StaffUser.is_active == True)  # noqa: E712
            ).first()
            if admin is None or admin["role"] != "admin":
                raise click.ClickException("--include-free-text: only an admin may export free text (give --as-admin NAME)")
            actor = as_admin or ""
        registry = InstrumentRegistry()
        await registry.register_current()
        manifest = await build_export(registry, settings, out)
        await audit.record(
            actor, Action.EXPORT, f"study:{study or '*'}", via="command line", respondents=manifest.respondents,
            rows=manifest.rows, k=k, free_text=include_free_text, data_sha256=manifest.data_sha256,
        )
        a = manifest.anonymisation
        return (
            f"wrote {out}: {manifest.respondents} respondents, {manifest.rows} rows; "
            f"k={k}: {a.suppressed_respondents} suppressed, generalised {a.generalised}"
        )

    try:
        click.echo(run_with_database(work))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import an export zip (one transaction: a bad row stores nothing)."""
    from server.workspace import audit
    from server.workspace.audit import Action
    from server.workspace.importer import ImportError_, import_export

    async def work() -> str:
        report = await import_export(path)
        await audit.record("", Action.IMPORT, f"study:{report.study}", via="command line", respondents=report.respondents)
        return f"imported study '{report.study}': {report.respondents} respondents, {report.answers} answers"

    try:
        click.echo(run_with_database(work))
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
