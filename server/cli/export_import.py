"""Anonymised data delivery: `export` a zip, `import` one."""

from pathlib import Path
from typing import TYPE_CHECKING

import click

from server.cli.database import run_with_database

if TYPE_CHECKING:
    from server.workspace.export.bundle import Manifest

_OUT = click.Path(dir_okay=False, path_type=Path)


def _destination(positional: Path | None, option: Path | None) -> Path:
    """The zip to write: `export data.zip` or `export --out data.zip`, exactly one of them."""
    if positional is not None and option is not None and positional != option:
        raise click.UsageError(f"two destinations ({positional} and --out {option}): give one")
    out = option or positional
    if out is None:
        raise click.UsageError("where to write the export: give --out FILE.zip (or FILE.zip)")
    if not out.parent.is_dir():
        # Checked before the export's work, not after it.
        raise click.BadParameter(f"{out}: there is no folder {out.parent}", param_hint="--out")
    return out


def export_summary(out: Path, manifest: "Manifest") -> str:
    """What the export wrote and what k-anonymity changed, per variable that changed (counts only)."""
    a = manifest.anonymisation
    # The experience pattern is never widened, only emptied (see kanon.py).
    changed = [
        f"experience emptied for {v.generalised}" if v.field == "experience" else f"{v.field} {v.generalised} widened, {v.suppressed} suppressed"
        for v in a.variables
        if v.generalised or v.suppressed
    ]
    return (
        f"wrote {out}: {manifest.respondents} respondents, {manifest.rows} rows; k={a.k}: "
        f"{a.suppressed_respondents} respondents left out"
        + (f"; {'; '.join(changed)}" if changed else "; nothing generalised")
        + " (the manifest says why)"
    )


@click.command("export")
@click.argument("out_argument", metavar="[OUT]", required=False, type=_OUT)
@click.option("--out", "out_option", type=_OUT, default=None, help="The zip to write (or give it as the argument).")
@click.option("--study", default=None, help="Only this study (default: every study).")
@click.option("--k", "k", type=click.IntRange(min=5), default=5, show_default=True, help="k-anonymity threshold (at least 5).")
@click.option("--period", type=click.Choice(["quarter", "week"]), default="quarter", show_default=True, help="Time column: calendar quarter or ISO week.")
@click.option("--language", type=click.Choice(["da", "en"]), default="da", show_default=True,
              help="Language of the value and variable labels in the data files (the codebook has both).")
@click.option("--include-free-text", is_flag=True, help="Include free-text answers (needs --as-admin).")
@click.option("--as-admin", default=None, help="Admin username; required for --include-free-text, recorded in the audit log.")
@click.option("--formats", default="csv,parquet,dta,sav", show_default=True)
def export_command(
    out_argument: Path | None, out_option: Path | None, study: str | None, k: int, period: str, language: str,
    include_free_text: bool, as_admin: str | None, formats: str,
) -> None:
    """Write an anonymised export zip (data, codebook, manifest) to OUT or --out."""
    from server.cli.progress import progress_bar
    from server.cli.studies import require_study
    from server.instrument_registry import InstrumentRegistry
    from server.storage.workspace_tables import StaffUser
    from server.workspace import audit
    from server.workspace.audit import Action

    out = _destination(out_argument, out_option)

    async def work() -> str:
        if study is not None:
            await require_study(study)
        # The export's modules load after the arguments are known to be right.
        from server.workspace.export.bundle import ExportSettings, build_export

        settings = ExportSettings(
            study=study, k=k, include_free_text=include_free_text, formats=tuple(formats.split(",")), period=period,  # type: ignore[arg-type]
            language=language,  # type: ignore[arg-type]
        )
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
        with progress_bar(f"export to {out.name}", unit=" respondents") as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            manifest = await build_export(registry, settings, out, progress=advance)
        await audit.record(
            actor, Action.EXPORT, f"study:{study or '*'}", via="command line", respondents=manifest.respondents,
            rows=manifest.rows, k=k, free_text=include_free_text, data_sha256=manifest.data_sha256,
        )
        return export_summary(out, manifest)

    try:
        click.echo(run_with_database(work))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import an export zip (one transaction: a bad row stores nothing)."""
    from server.cli.progress import working
    from server.workspace import audit
    from server.workspace.audit import Action
    from server.workspace.importer import ImportError_, import_export

    async def work() -> str:
        with working(f"import of {path}"):
            report = await import_export(path)
        await audit.record("", Action.IMPORT, f"study:{report.study}", via="command line", respondents=report.respondents)
        checked = (
            f"{report.verified_files} files verified against manifest.json"
            if report.verified_files is not None
            else "no manifest.json in the zip: checksums not verified"
        )
        return f"imported study '{report.study}': {report.respondents} respondents, {report.answers} answers; {checked}"

    try:
        click.echo(run_with_database(work))
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
