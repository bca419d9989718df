"""`analyse`: the gradation from the database or a tidy CSV, printed or written (nothing is stored)."""

from pathlib import Path

import click

from server.cli.database import run_with_database


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the JSON here too.")
@click.option("--resamples", type=click.IntRange(min=1), default=None, help="Bootstrap resamples (a departure when a plan says otherwise).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Analyse this tidy CSV (e.g. data.csv of an export) instead of the database.",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Hold the run to this analysis plan (see `leastmeans plan`); its hash is verified and recorded.",
)
def analyse(out: Path | None, resamples: int | None, csv_path: Path | None, plan_path: Path | None) -> None:
    """Compute the gradation from all submitted responses, or from a tidy CSV (nothing is stored; see publish).

    Input that cannot be graded (wrong scale, unknown kinds, text where a number belongs, no data)
    is refused with the column and the file line."""
    from analysis.tidy import TidyDataError
    from server.cli.plan import run_plan
    from server.cli.progress import analysis_progress

    plan, settings = run_plan(plan_path, resamples)
    if csv_path is not None:
        from analysis.gradation import analyse as analyse_frame
        from analysis.tidy import read_tidy_csv
        from server.gradation.runner import reference_tiers

        try:
            tidy = read_tidy_csv(csv_path)
            with analysis_progress():
                payload = analyse_frame(tidy, settings, reference=reference_tiers(), plan=plan).to_json()
        except TidyDataError as exc:
            raise click.ClickException(f"{csv_path}: {exc}") from None
    else:
        from server.gradation.runner import analyse_database
        from server.instrument_registry import InstrumentRegistry

        async def work() -> bytes:
            registry = InstrumentRegistry()
            await registry.register_current()
            with analysis_progress():
                return await analyse_database(registry, settings, plan=plan)

        try:
            payload = run_with_database(work)
        except TidyDataError as exc:
            raise click.ClickException(f"submitted responses in the database: {exc}") from None
    if out is not None:
        out.write_bytes(payload)
        click.echo(f"wrote {out}")
    else:
        click.echo(payload.decode())
