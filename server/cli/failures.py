"""How a command fails: one line on stderr naming the problem, and a non-zero exit.

Click already prints its own errors that way; this group also turns the file-system
errors a command meets (a folder that does not exist, a file it may not write) into such
a line instead of a traceback. Anything else is a bug and keeps its traceback.
"""

from typing import Any

import click


class LoudGroup(click.Group):
    """A click group whose commands report OSError as `error: <file>: <reason>`."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a file-system error becomes a ClickException naming the file."""
        try:
            return super().invoke(ctx)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
