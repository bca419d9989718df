"""`leastmeans export` and `leastmeans import` end to end, as an operator runs them."""

import asyncio
import json
import subprocess
import sqlite3
import sys
import zipfile
from pathlib import Path

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, use_database


def _run(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "leastmeans"), *args],
        input=stdin, capture_output=True, text=True, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, cwd=Path.cwd(),
    )


def test_export_then_import_through_the_command_line(tmp_path: Path) -> None:
    source, target = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"
    for db in (source, target):
        assert _run(f"sqlite:///{db}", "migrate").returncode == 0

    async def fill() -> None:
        use_database(engine_for_url(f"sqlite:///{source}"))
        registry = InstrumentRegistry()
        await registry.register_current()
        await seed(registry, 8, seed=9, demographics=False, text=True, sites=("w",))

    asyncio.run(fill())
    out = tmp_path / "export.zip"
    refused = _run(f"sqlite:///{source}", "export", str(out), "--include-free-text")
    assert refused.returncode != 0 and "only an admin" in refused.stderr and not out.exists()
    # As the README writes it: --out names the zip (a plain name as the argument works too, above).
    done = _run(f"sqlite:///{source}", "export", "--out", str(out), "--study", "bench", "--formats", "csv,parquet")
    assert done.returncode == 0, done.stderr
    assert "8 respondents" in done.stdout and "respondents left out" in done.stdout
    # Progress counts respondents; without a terminal it is whole log lines, the last complete.
    assert "\r" not in done.stderr and "8/8" in done.stderr.splitlines()[-1]
    assert {"data.csv", "data.parquet", "manifest.json"} <= set(zipfile.ZipFile(out).namelist())

    imported = _run(f"sqlite:///{target}", "import", str(out))
    assert imported.returncode == 0, imported.stderr
    # The operator is told that the zip was checked, file by file.
    listed = len(json.loads(zipfile.ZipFile(out).read("manifest.json"))["files"])
    assert f"{listed} files verified against manifest.json" in imported.stdout
    again = _run(f"sqlite:///{target}", "import", str(out))
    assert again.returncode != 0 and "already exists" in again.stderr
    with sqlite3.connect(source) as db:
        assert [r[0] for r in db.execute("SELECT action FROM audit_entry")] == ["export"]
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT count(*) FROM response").fetchone()[0] == 8
        assert [r[0] for r in db.execute("SELECT action FROM audit_entry")] == ["import"]
