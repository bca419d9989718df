"""A command that names a study refuses one that does not exist, listing those that do."""

import click


async def require_study(code: str) -> None:
    """Raise a ClickException naming `code` unless the database has that study."""
    from server.storage.tables import Study

    codes = sorted(row["code"] for row in await Study.select(Study.code))
    if code not in codes:
        known = ", ".join(codes) if codes else "none yet; `leastmeans demo` makes one"
        raise click.ClickException(f"study '{code}' does not exist (studies: {known})")
