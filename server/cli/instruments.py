"""For questionnaire authors and researchers: `check-instruments`, `codebook`."""

import sys
from pathlib import Path

import click

from surveys.errors import InstrumentError
from surveys.model import Instrument


@click.command("check-instruments")
@click.option("--surveys-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="A surveys folder with catalogue/ and instruments/ (default: the installed one).")
@click.option("--stored", is_flag=True,
              help="Also compare with every version stored in the database (DATABASE_URL): options may only be added at the end.")
def check_instruments(surveys_dir: Path | None, stored: bool) -> None:
    """Validate the catalogue, the reference gradation and every questionnaire; list every problem."""
    from surveys.loader import SURVEYS_DIR, STRUCTURE_FILE, load_catalogue, load_instrument, load_reference_gradation
    from surveys.versioning import content_hash, option_order_changes

    root = surveys_dir or SURVEYS_DIR
    problems: list[str] = []
    history = _stored_versions() if stored else {}
    try:
        catalogue = load_catalogue(root / "catalogue")
    except InstrumentError as exc:
        click.echo(f"error: catalogue/{exc}", err=True)
        sys.exit(1)
    click.echo(f"ok  catalogue: {len(catalogue.measures)} measures, languages {', '.join(catalogue.languages)}")
    try:
        reference = load_reference_gradation(root / "catalogue" / "reference_gradation.yaml", catalogue)
        click.echo(f"ok  reference gradation: settings {', '.join(reference.settings)}")
    except InstrumentError as exc:
        problems.append(f"catalogue/{exc}")
    folder = root / "instruments"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith((".", "_")):
            continue
        if not path.is_dir():
            problems.append(f"instruments/{path.name}: $: expected a folder per questionnaire")
            continue
        try:
            instrument = load_instrument(path, catalogue)
        except InstrumentError as exc:
            problems.append(f"instruments/{exc}")
            continue
        reordered = [
            f"instruments/{instrument.code}/{STRUCTURE_FILE}: option_sets: {change} (compared with stored version {digest[:12]})"
            for digest, old in history.items()
            if old.code == instrument.code
            for change in option_order_changes(old, instrument)
        ]
        if reordered:
            problems.extend(reordered)
            continue
        click.echo(f"ok  {instrument.code}: {len(instrument.items)} items, languages {', '.join(instrument.languages)}, version {content_hash(instrument)[:12]}")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)


@click.command("codebook")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into.")
@click.option("--stored", is_flag=True, help="Also every version stored in the database (DATABASE_URL).")
def codebook(out_dir: Path, stored: bool) -> None:
    """Write the codebook (CSV and JSON) of every instrument version."""
    from surveys.codebook import build_codebook, codebook_csv, codebook_json
    from surveys.loader import load_instruments
    from surveys.versioning import content_hash

    versions: dict[str, Instrument] = {}
    try:
        for instrument in load_instruments().values():
            versions[content_hash(instrument)] = instrument
    except InstrumentError as exc:
        raise click.ClickException(f"instruments/{exc}") from exc
    if stored:
        versions.update(_stored_versions())
    out_dir.mkdir(parents=True, exist_ok=True)
    for digest, instrument in sorted(versions.items(), key=lambda kv: (kv[1].code, kv[0])):
        book = build_codebook(instrument, digest)
        stem = f"{instrument.code}-{digest[:12]}.codebook"
        (out_dir / f"{stem}.csv").write_text(codebook_csv(book), encoding="utf-8")
        (out_dir / f"{stem}.json").write_bytes(codebook_json(book))
        click.echo(f"wrote {stem}.csv and {stem}.json ({len(book.variables)} variables)")


def _stored_versions() -> "dict[str, Instrument]":
    """Every instrument version in the database, verified against its hash."""
    from server.cli.database import run_with_database
    from server.storage.tables import InstrumentVersion
    from surveys.versioning import decode_instrument

    async def work() -> "dict[str, Instrument]":
        rows = await InstrumentVersion.select(InstrumentVersion.content, InstrumentVersion.content_hash)
        return {row["content_hash"]: decode_instrument(row["content"], expected_hash=row["content_hash"]) for row in rows}

    return run_with_database(work)
