"""Publishing from the command line leaves the same audit trail as the workspace."""

from piccolo.engine.base import Engine

from server.demo import generate_demo
from server.instrument_registry import InstrumentRegistry
from server.process import run_cli
from server.workspace import audit
from tests.conftest import database_url


async def test_command_line_publication_and_public_switch_are_audited(engine: Engine) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=6, seed=3)
    url = database_url(engine)
    run_cli(url, "publish", "--no-models", "--resamples", "10", "--by", "methods team")
    run_cli(url, "publication-public", "1")
    entries = [e for e in await audit.entries() if e.action == "publication"]
    assert {(e.actor, e.target) for e in entries} == {
        ("command line (methods team)", "publication:1"),
        ("command line", "publication:1"),
    }
