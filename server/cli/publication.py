"""Publications: `publish` (a draft), `publications`, the release gate (`publication-review`,
`publication-release`, `publication-public`), `report`, `figures`, `token`."""

from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from server.cli.database import run_with_database

if TYPE_CHECKING:
    from analysis.settings import GradationSettings


def _settings(resamples: int | None, models: bool) -> "GradationSettings":
    """The method settings of a command: the defaults, with fewer resamples or no models if asked."""
    from analysis.settings import GradationSettings

    base = GradationSettings() if resamples is None else GradationSettings(bootstrap_resamples=resamples)
    return base if models else msgspec.structs.replace(base, mixed_model=False, ordinal_model=False)


def _actor(by: str) -> str:
    """How the command line is named in the record: "command line (NAME)"."""
    return f"command line ({by})" if by else "command line"


@click.command()
@click.option("--study", "studies", multiple=True, required=True, help="Code of a study to analyse (repeat for several).")
@click.option("--resamples", type=click.IntRange(min=1), default=None, help="Bootstrap resamples (default: the method default).")
@click.option("--models/--no-models", default=True, show_default=True, help="Fit the mixed and ordinal models.")
@click.option("--by", "actor", default="", help="Who computes the draft (recorded with it).")
def publish(studies: tuple[str, ...], resamples: int | None, models: bool, actor: str) -> None:
    """Analyse the submitted responses of the chosen studies into the next numbered draft.

    A draft is not served to the authority: it needs `publication-review` by another person
    and `publication-release`."""
    from server.cli.progress import analysis_progress
    from server.instrument_registry import InstrumentRegistry
    from server.publication.job import claim, release
    from server.publication.release import Step
    from server.publication.report_files import render_reports
    from server.publication.store import PublicationError, publish_database
    from server.workspace import audit

    async def work():  # type: ignore[no-untyped-def]
        registry = InstrumentRegistry()
        await registry.register_current()
        # One publication job at a time per database, whether from here or the workspace.
        await claim(actor)
        try:
            with analysis_progress():
                info = await publish_database(registry, _settings(resamples, models), _actor(actor), list(studies))
            await audit.record(
                _actor(actor), Step.DRAFTED, f"publication:{info.number}", studies=info.studies, simulated=info.simulated,
                data_sha256=info.data_sha256, respondents=info.respondents,
            )
            await render_reports(info.number)
        finally:
            await release()
        return info

    try:
        info = run_with_database(work)
    except PublicationError as exc:
        raise click.ClickException(str(exc)) from None
    note = " (simulated data: never released)" if info.simulated else ""
    click.echo(f"draft number {info.number}{note}: {info.respondents} respondents from {', '.join(info.studies)}, data sha256 {info.data_sha256}")


@click.command()
def publications() -> None:
    """List publications with their status, newest first."""
    from server.publication.store import list_publications

    for info in run_with_database(list_publications):
        simulated = " simulated" if info.simulated else ""
        click.echo(f"{info.number:>4}  {info.status:<8}{simulated}  {info.published_at:%Y-%m-%d %H:%M}  {info.respondents:>6} respondents  {','.join(info.studies) or '-'}  {info.published_by or '-'}")


def _gate_step(step):  # type: ignore[no-untyped-def]
    """Run one step of the release gate, turning a refusal into a clear command-line error."""
    from server.publication.store import PublicationError

    try:
        return run_with_database(step)
    except PublicationError as exc:
        raise click.ClickException(str(exc)) from None


@click.command(name="publication-review")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--by", "actor", required=True, help="Who reviewed the draft's report (not who computed it).")
def publication_review(number: int, actor: str) -> None:
    """Mark draft NUMBER reviewed."""
    from server.publication.release import review

    info = _gate_step(lambda: review(number, _actor(actor)))
    click.echo(f"publication {info.number} is reviewed by {info.reviewed_by}")


@click.command(name="publication-release")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--by", "actor", required=True, help="Who releases it.")
@click.option("--reason", default="", help="Why, when the same data were released before with the same plan.")
def publication_release(number: int, actor: str, reason: str) -> None:
    """Release reviewed publication NUMBER to the authority (the API serves it from now on)."""
    from server.publication.release import release
    from server.publication.report_files import render_reports

    async def work():  # type: ignore[no-untyped-def]
        info = await release(number, _actor(actor), reason)
        await render_reports(number)
        return info

    info = _gate_step(work)
    click.echo(f"publication {info.number} is released to the authority at /api/v1/gradation/{info.number}")


@click.command(name="publication-public")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--off", is_flag=True, help="Take the publication off the public page.")
@click.option("--by", "actor", default="", help="Who decides (recorded).")
def publication_public(number: int, off: bool, actor: str) -> None:
    """Show released publication NUMBER on the public /gradation page (or stop showing it)."""
    from server.publication.release import set_public

    info = _gate_step(lambda: set_public(number, not off, _actor(actor)))
    click.echo(f"publication {info.number} is {'public' if info.status == 'public' else 'not public'}")


def _load(number: int | None):  # type: ignore[no-untyped-def]
    from server.publication.store import latest_released_number, load_publication

    async def work():  # type: ignore[no-untyped-def]
        chosen = number if number is not None else await latest_released_number()
        return None if chosen is None else await load_publication(chosen)

    publication = run_with_database(work)
    if publication is None:
        raise click.ClickException("number: no such publication (without --number: none is released yet)")
    return publication


@click.command()
@click.option("--number", type=click.IntRange(min=1), default=None, help="Publication number (default: the latest released).")
@click.option("--language", type=click.Choice(["da", "en"]), default="da", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The HTML file to write.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write a PDF here.")
def report(number: int | None, language: str, out: Path, pdf: Path | None) -> None:
    """Write the report of a publication as self-contained HTML (and optionally PDF)."""
    from server.publication.report import report_pdf
    from server.publication.report_files import report_page

    publication = _load(number)
    html = run_with_database(lambda: report_page(publication, language))
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out}")
    if pdf is not None:
        pdf.write_bytes(report_pdf(html))
        click.echo(f"wrote {pdf}")


@click.command()
@click.option("--number", type=click.IntRange(min=1), default=None, help="Publication number (default: the latest released).")
@click.option("--simulated", is_flag=True, help="Use the built-in simulated dataset instead of a publication (no database).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def figures(number: int | None, simulated: bool, out: Path) -> None:
    """Write the ladder and forest figures (SVG and PNG, Danish and English) to a folder."""
    import msgspec

    from server.publication.figures import all_figures, simulated_mark, svg_to_png
    from server.publication.forest import forest_svg

    if simulated:
        from analysis.settings import GradationSettings
        from analysis.simulate import Simulation, simulate_answers
        from server.gradation.runner import reference_tiers
        from server.publication.store import prepare_publication

        quick = GradationSettings(bootstrap_resamples=200, mixed_model=False, ordinal_model=False)
        gradation = prepare_publication(simulate_answers(Simulation()), quick, reference_tiers()).gradation
        watermark = True
    else:
        publication = _load(number)
        gradation, watermark = publication.gradation, publication.info.simulated
    document = msgspec.json.decode(gradation)
    out.mkdir(parents=True, exist_ok=True)
    alpha = float((document.get("settings") or {}).get("alpha", 0.05))
    for language in ("da", "en"):
        figures = dict(all_figures(document, language, simulated=watermark))
        # The means with their intervals, as printed beside each ladder in the report.
        mark = simulated_mark(document, language, watermark)
        figures.update({f"forest-{g['setting']}-{g['group']}-{language}": forest_svg(document, g, language, alpha, mark) for g in document["groups"]})
        for name, svg in figures.items():
            (out / f"{name}.svg").write_text(svg, encoding="utf-8")
            (out / f"{name}.png").write_bytes(svg_to_png(svg))
            click.echo(f"wrote {out / name}.svg and .png")


@click.group()
def token() -> None:
    """API tokens for the authority's systems."""


@token.command(name="issue")
@click.argument("label")
def token_issue(label: str) -> None:
    """Issue a token for LABEL (who uses it); it is shown once."""
    from server.publication.tokens import issue_token
    from server.workspace import audit

    async def work():  # type: ignore[no-untyped-def]
        made = await issue_token(label, "command line")
        await audit.record("command line", "api_token_issued", f"token:{made.id}", label=made.label)
        return made

    try:
        issued = run_with_database(work)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {issued.id} for {issued.label}: {issued.secret}")
    click.echo("Keep it now; it cannot be shown again.", err=True)


@token.command(name="revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID."""
    from server.publication.tokens import revoke_token
    from server.workspace import audit

    async def work() -> bool:
        revoked = await revoke_token(token_id)
        if revoked:
            await audit.record("command line", "api_token_revoked", f"token:{token_id}")
        return revoked

    if not run_with_database(work):
        raise click.ClickException(f"token_id: no active token {token_id}")
    click.echo(f"token {token_id} revoked")


@token.command(name="list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from server.publication.tokens import list_tokens

    for t in run_with_database(list_tokens):
        click.echo(f"{t.id:>4}  {t.created_at:%Y-%m-%d}  {'revoked' if t.revoked else 'active '}  {t.label}")


PUBLICATION_COMMANDS = [publish, publications, publication_review, publication_release, publication_public, report, figures, token]
