"""A backup restored into a new database gives the same analysis."""

from pathlib import Path

from piccolo.engine.base import Engine

from analysis.settings import GradationSettings
from server.backup import backup, restore
from server.demo import generate_demo
from server.gradation.runner import analyse_database
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, use_database
from server.storage.tables import Answer, Response
from tests.conftest import database_url

QUICK = GradationSettings(bootstrap_resamples=20, mixed_model=False, ordinal_model=False, bradley_terry=False)



async def test_restore_into_a_new_database_reproduces_the_analysis(
    engine: Engine, empty_database_url: str, tmp_path: Path
) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=12, seed=7)
    original = await analyse_database(registry, QUICK)
    answers, responses = await Answer.count(), await Response.count()

    archive = backup(database_url(engine), tmp_path / "backup.bin")
    assert archive.stat().st_size > 0
    restore(empty_database_url, archive)

    restored_engine = engine_for_url(empty_database_url)
    use_database(restored_engine)
    try:
        assert await Answer.count() == answers and await Response.count() == responses
        fresh_registry = InstrumentRegistry()
        await fresh_registry.register_current()
        assert await analyse_database(fresh_registry, QUICK) == original
    finally:
        use_database(engine)
