"""Every `sh` example of docs/api.md runs with real curl against a real server, and gets the
HTTP status its `# -> NNN` comment states, so the page cannot drift from the API.

The server (`leastmeans serve`, a child process) has publication 1 released and
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

import pytest

from server.gradation.runner import reference_tiers
from server.process import start_server
from server.publication.release import release, review
from server.publication.store import publish_frame
from server.publication.tokens import issue_token
from server.storage.database import engine_for_url, migrate, use_database
from tests.publication.conftest import QUICK, simulated

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
EXPECTED = re.compile(r"\s+#\s*->\s*(\d{3})\s*$")
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def doc_commands(text: str) -> list[tuple[str, int]]:
    """(command, expected status) for every command of the page's `sh` blocks."""
    commands = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if not line.strip():
                continue
            expected = EXPECTED.search(line)
            assert expected, f"docs/api.md: an sh example without '# -> <status>': {line}"
            commands.append((line[: expected.start()], int(expected.group(1))))
    return commands


def check_script(commands: list[tuple[str, int]], trace: Path, results: Path) -> str:
    """A bash script that runs the commands in order and writes `<index> <status>` per command."""
    lines = [
        "set -u",
        f'curl() {{ command curl -v --stderr "{trace}" "$@"; }}',
        f'__status() {{ grep -Eo "^< HTTP/[0-9.]+ [0-9]{{3}}" "{trace}" | tail -n 1 | grep -Eo "[0-9]{{3}}$" || echo none; }}',
    ]
    for index, (command, _) in enumerate(commands):
        lines += [f': > "{trace}"', command, f'echo "{index} $(__status)" >> "{results}"']
    return "\n".join(lines) + "\n"


async def _seed(url: str) -> str:
    """Publication 1 released, publication 2 a draft; a new token's secret."""
    use_database(engine_for_url(url))
    await migrate()
    await publish_frame(simulated(), QUICK, reference_tiers(), actor="researcher1", studies=["dk2026"])
    await review(1, "reviewer1")
    await release(1, "admin1")
    await publish_frame(simulated(seed=8), QUICK, reference_tiers(), actor="researcher1", studies=["dk2026"])
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
    statuses = {status for _, status in doc_commands(DOC.read_text())}
    assert {200, 304, 400, 401, 404} <= statuses


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_gets_the_status_the_doc_states(served: tuple[str, str], tmp_path: Path) -> None:
    base_url, token = served
    commands = doc_commands(DOC.read_text())
    results = tmp_path / "results"
    script = tmp_path / "examples.sh"
    script.write_text(check_script(commands, tmp_path / "trace", results))
    run = subprocess.run(
        ["bash", str(script)],
        env={"PATH": "/usr/bin:/bin", "LEASTMEANS_URL": base_url, "LEASTMEANS_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    got = dict(line.split(" ", 1) for line in results.read_text().splitlines())
    wrong = [f"{command.strip()}: expected {expected}, got {got.get(str(i))}" for i, (command, expected) in enumerate(commands) if got.get(str(i)) != str(expected)]
    assert not wrong, "\n".join(wrong)
    assert len(got) == len(commands)
