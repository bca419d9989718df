"""`plan`: write the analysis plan; and how `analyse` reads a plan and its settings.

`leastmeans plan` writes the analysis plan (`analysis.plan`) with its SHA-256;
`leastmeans analyse --plan FILE` verifies the hash and holds the run to the
plan, recording the hash and every departure in the result.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

if TYPE_CHECKING:
    from analysis.plan import AnalysisPlan
    from analysis.settings import GradationSettings


def _setting_values(pairs: tuple[str, ...]) -> dict[str, object]:
    """NAME=VALUE pairs; a VALUE is read as JSON (5, 0.01, true) or else kept as text."""
    values: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE, e.g. margin=8", param_hint="--set")
        try:
            values[name.strip()] = msgspec.json.decode(text)
        except msgspec.DecodeError:
            values[name.strip()] = text
    return values


def planned_settings(pairs: tuple[str, ...]) -> "GradationSettings":
    """The default method settings with the NAME=VALUE changes of `--set` applied."""
    from analysis.settings import GradationSettings

    values = _setting_values(pairs)
    try:
        return msgspec.convert({**msgspec.to_builtins(GradationSettings()), **values}, GradationSettings)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None


def run_plan(plan_path: Path | None, resamples: int | None) -> tuple["AnalysisPlan | None", "GradationSettings"]:
    """The plan of an `analyse` run (None: the default plan) and the settings it runs with.

    A resample count given on the command line overrides the plan's; the
    result lists that as a departure.
    """
    from analysis.plan import PlanError, read_plan
    from analysis.settings import GradationSettings

    plan = None
    settings = GradationSettings()
    if plan_path is not None:
        try:
            plan, _ = read_plan(plan_path)
        except PlanError as exc:
            raise click.ClickException(str(exc)) from None
        settings = plan.settings
    if resamples is not None:
        settings = msgspec.structs.replace(settings, bootstrap_resamples=resamples)
    return plan, settings


@click.command("plan")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the plan here (YAML for a .yaml/.yml name, else JSON) instead of printing it.",
)
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default=None, help="Format (default: from the file name; JSON when printing).")
@click.option("--set", "changes", multiple=True, metavar="NAME=VALUE", help="Change a method setting, e.g. --set margin=8 (repeatable).")
@click.option("--margin-rationale", default=None, help="Why this margin; required when the margin differs from the default.")
def plan_command(out: Path | None, fmt: str | None, changes: tuple[str, ...], margin_rationale: str | None) -> None:
    """Write the pre-registered analysis plan (estimands, margin and its rationale, alpha, multiplicity,
    minimum n, sensitivity analyses, settings) with its SHA-256; give it to `analyse --plan`."""
    from analysis.plan import PlanError, build_plan, plan_document, plan_sha256

    try:
        plan = build_plan(planned_settings(changes), margin_rationale)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt is None:
        fmt = "yaml" if out is not None and out.suffix.lower() in (".yaml", ".yml") else "json"
    document = plan_document(plan, fmt)
    if out is None:
        click.echo(document.decode(), nl=False)
        return
    out.write_bytes(document)
    click.echo(f"wrote {out} (plan sha256 {plan_sha256(plan)})")
