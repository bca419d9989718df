"""Workspace accounts: `createuser`."""

import sys

import click

from server.cli.database import run_with_database


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
    from server.cli.database import check_database
    from server.workspace import audit
    from server.workspace.audit import Action
    from server.workspace.users import UserError, create_user

    # Before the password prompt: a missing database should not cost a typed password.
    check_database()
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
