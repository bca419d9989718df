"""Workspace commands: `leastmeans createuser`, `leastmeans export`, `leastmeans import`."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from server.settings import Settings

T = TypeVar("T")


def _with_database(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` against the database named by DATABASE_URL (default: the SQLite file)."""
    from server.storage.database import engine_for_url, use_database

    async def run() -> T:
        use_database(engine_for_url(Settings.from_env().database_url))
        return await work()

    return asyncio.run(run())


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
        click.echo(_with_database(work))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
