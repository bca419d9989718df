"""The command lines in README.md's code blocks work as written, in the order written, against a
migrated database with demo respondents at the default place (var/leastmeans.sqlite3 in the
current folder, as after `make run`)."""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
#: Commands that do not return (a server): checked to exist, not run.
LONG_RUNNING = {"serve"}
_CODE_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def readme_commands() -> list[tuple[str, dict[str, str], list[str]]]:
    """(line, environment assignments, arguments) of every README code line that runs `leastmeans`
    (`leastmeans ...`, `.venv/bin/leastmeans ...`, either after NAME=VALUE assignments)."""
    found = []
    for block in _CODE_BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            env = {}
            while words and _ASSIGNMENT.match(words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            if words and words[0] in ("leastmeans", ".venv/bin/leastmeans"):
                found.append((line.strip(), env, words[1:]))
    return found


def test_the_readme_shows_the_commands_a_user_types() -> None:
    commands = [args[0] for _, _, args in readme_commands() if args]
    for expected in ("--version", "analyse", "publish", "export", "import", "backup", "serve"):
        assert expected in commands, f"README.md: no example of `leastmeans {expected}`"
    assert all(name in main.commands for name in commands if not name.startswith("-"))


def test_every_readme_command_line_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    for setup in (["migrate"], ["demo", "--respondents", "10", "--seed", "5", "--no-publish"]):
        done = runner.invoke(main, setup, env={"DATABASE_URL": None})
        assert done.exit_code == 0, done.output
    # The demo's progress reached the log (stderr is no terminal here), up to the last respondent.
    assert "demo respondents: 100%" in done.stderr and "10/10" in done.stderr
    for line, env, args in readme_commands():
        if args and args[0] in LONG_RUNNING:
            continue
        result = runner.invoke(main, args, env={"DATABASE_URL": None, **env})
        assert result.exit_code == 0, f"README.md: `{line}` failed:\n{result.output}"
