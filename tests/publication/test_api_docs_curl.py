"""Every `sh` example of docs/api.md runs with real curl against a real server, and gets the
HTTP status its `# -> NNN` comment states (and, after `~`, prints that text), so the
page cannot drift from the API.

The server (`leastmeans serve`, a child process) has publications 1 and 3 released and
publication 2 a draft, and an API token in $LEASTMEANS_TOKEN. The examples of a page run
in one shell, in order, so a later command may use a variable an earlier one set (the
ETag); `curl` is a shell function that adds `-v --stderr <file>`, from which the status
of the command's request is read (the command's own options and output are untouched).
"""

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from server.gradation.runner import reference_tiers
from server.process import start_server
from server.publication.release import release, review
from server.publication.store import publish_frame
from server.publication.tokens import issue_token
from server.storage.database import engine_for_url, migrate, use_database
from tests.publication.conftest import WORKFLOW, simulated

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
EXPECTED = re.compile(r"\s+#\s*->\s*(\d{3})(?:\s+~\s+(.+?))?\s*$")
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


class Example(NamedTuple):
    """One command of the page, the status its request gets and text its output holds."""

    command: str
    status: int
    prints: str | None


def doc_commands(text: str) -> list[Example]:
    """Every command of the page's `sh` blocks, in order."""
    commands = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if not line.strip():
                continue
            expected = EXPECTED.search(line)
            assert expected, f"docs/api.md: an sh example without '# -> <status>': {line}"
            commands.append(Example(line[: expected.start()], int(expected.group(1)), expected.group(2)))
    return commands


def check_script(commands: list[Example], trace: Path, results: Path, outputs: Path) -> str:
    """A bash script that runs the commands in order, writes `<index> <status>` per command
    to `results` and each command's output to `outputs/<index>`."""
    lines = [
        "set -u",
        f'curl() {{ command curl -v --stderr "{trace}" "$@"; }}',
        f'__status() {{ grep -Eo "^< HTTP/[0-9.]+ [0-9]{{3}}" "{trace}" | tail -n 1 | grep -Eo "[0-9]{{3}}$" || echo none; }}',
    ]
    for index, example in enumerate(commands):
        lines += [f': > "{trace}"', "{ " + example.command, f'}} > "{outputs / str(index)}"', f'echo "{index} $(__status)" >> "{results}"']
    return "\n".join(lines) + "\n"


async def _seed(url: str) -> str:
    """Publications 1 and 3 released, 2 a draft (the examples read no statistics: the
    quick workflow settings); a new token's secret."""
    use_database(engine_for_url(url))
    await migrate()
    for seed in (7, 8, 9):
        info = await publish_frame(simulated(seed=seed), WORKFLOW, reference_tiers(), actor="researcher1", studies=["dk2026"])
        if info.number != 2:
            await review(info.number, "reviewer1")
            await release(info.number, "admin1")
    return (await issue_token("docs examples")).secret


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, token) of a server with one released publication and one draft."""
    scratch = tmp_path_factory.mktemp("api_docs")
    url = f"sqlite:///{scratch / 'docs.sqlite3'}"
    token = asyncio.run(_seed(url))
    server = start_server(url, scratch / "server.log")
    try:
        yield server.base_url, token
        assert "Traceback" not in server.log(), server.log()
    finally:
        server.stop()


def test_the_doc_has_examples_for_every_status_it_promises() -> None:
    statuses = {example.status for example in doc_commands(DOC.read_text())}
    assert {200, 304, 400, 401, 404} <= statuses


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_gets_the_status_the_doc_states(served: tuple[str, str], tmp_path: Path) -> None:
    base_url, token = served
    commands = doc_commands(DOC.read_text())
    results, outputs = tmp_path / "results", tmp_path / "outputs"
    outputs.mkdir()
    script = tmp_path / "examples.sh"
    script.write_text(check_script(commands, tmp_path / "trace", results, outputs))
    run = subprocess.run(
        ["bash", str(script)],
        env={"PATH": "/usr/bin:/bin", "LEASTMEANS_URL": base_url, "LEASTMEANS_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    got = dict(line.split(" ", 1) for line in results.read_text().splitlines())
    assert len(got) == len(commands)
    wrong = [f"{e.command.strip()}: expected {e.status}, got {got[str(i)]}" for i, e in enumerate(commands) if got[str(i)] != str(e.status)]
    for index, example in enumerate(commands):
        output = (outputs / str(index)).read_text()
        if example.prints is not None and example.prints not in output:
            wrong.append(f"{example.command.strip()}: output lacks {example.prints!r}: {output[:300]}")
    assert not wrong, "\n".join(wrong)
