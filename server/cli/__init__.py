"""The `leastmeans` command line: one click group, a module per area.

- `database`: how a command reaches the database (refuses to create one), `maintenance`:
  migrate, backup, restore; `serving`: serve, enrol-tablet; `demo`: synthetic respondents;
- `instruments`: check-instruments, codebook; `plan` and `analysis`: plan, analyse;
- `publication`: publish, publications, report, figures, tokens;
- `workspace`: createuser; `export_import`: export, import;
- `progress`: progress bars that become log lines when stderr is not a terminal.
"""

from typing import Any

import click

from server.cli.failures import LoudGroup
from server.cli.versions import version_text


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


@click.group(cls=LoudGroup)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the leastmeans version and the versions of the numerical libraries, then exit.")
def main() -> None:
    """leastmeans: collect intrusiveness ratings of coercive measures and grade them."""


def _register_area_commands(group: click.Group) -> None:
    from server.cli.analysis import analyse
    from server.cli.demo import demo
    from server.cli.export_import import export_command, import_command
    from server.cli.instruments import check_instruments, codebook
    from server.cli.maintenance import backup, migrate, restore
    from server.cli.plan import plan_command
    from server.cli.publication import PUBLICATION_COMMANDS
    from server.cli.serving import enrol_tablet_command, serve
    from server.cli.workspace import createuser

    commands: list[Any] = [
        migrate, serve, enrol_tablet_command, demo, analyse, backup, restore, createuser,
        export_command, import_command, check_instruments, codebook, plan_command, *PUBLICATION_COMMANDS,
    ]
    for command in commands:
        group.add_command(command)


_register_area_commands(main)

__all__ = ["main"]
