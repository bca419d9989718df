"""The release gate on the command line leaves the same audit trail as the workspace, and
refuses what the workspace refuses, with a clear message."""

import pytest
from piccolo.engine.base import Engine

from server.demo import generate_demo
from server.instrument_registry import InstrumentRegistry
from server.process import run_cli
from server.publication.release import Step
from server.workspace import audit
from tests.conftest import database_url


async def test_command_line_draft_review_and_refused_release_are_audited(engine: Engine) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=6, seed=3)
    url = database_url(engine)
    with pytest.raises(RuntimeError, match="study"):
        run_cli(url, "publish", "--no-models", "--resamples", "10")
    out = run_cli(url, "publish", "--study", "demo", "--no-models", "--resamples", "10", "--by", "methods team")
    assert "draft number 1 (simulated data: never released)" in out
    with pytest.raises(RuntimeError, match="another person must review"):
        run_cli(url, "publication-review", "1", "--by", "methods team")
    run_cli(url, "publication-review", "1", "--by", "second reader")
    with pytest.raises(RuntimeError, match="simulated"):
        run_cli(url, "publication-release", "1", "--by", "admin")
    entries = [(e.action, e.actor) for e in reversed(await audit.entries()) if e.target == "publication:1"]
    assert entries == [(Step.DRAFTED, "command line (methods team)"), (Step.REVIEWED, "command line (second reader)")]
    listed = run_cli(url, "publications")
    assert "reviewed" in listed and "simulated" in listed and "demo" in listed


async def test_command_line_tokens_are_audited(engine: Engine) -> None:
    url = database_url(engine)
    token_id = run_cli(url, "token", "issue", "ministry systems").split()[1]
    run_cli(url, "token", "revoke", token_id)
    entries = [(e.action, e.actor, e.target) for e in reversed(await audit.entries())]
    assert entries == [("api_token_issued", "command line", f"token:{token_id}"), ("api_token_revoked", "command line", f"token:{token_id}")]
