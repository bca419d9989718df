"""Demo questionnaires take a plausible time to answer, so quality flags mean something on demo data."""

import random
import statistics

from piccolo.engine.base import Engine

from server.demo import FAST_SHARE, answering_time, generate_demo
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Response
from surveys.quality_flags import FAST_SECONDS_PER_ANSWER


async def test_demo_questionnaires_take_minutes_not_milliseconds(engine: Engine) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=8, seed=3)
    rows = await Response.select(Response.started_at, Response.submitted_at).where(Response.submitted_at.is_not_null())
    seconds = [(r["submitted_at"] - r["started_at"]).total_seconds() for r in rows]
    assert len(seconds) == 8
    # Without the shift every questionnaire took well under a second and was flagged fast.
    assert 180 < statistics.median(seconds) < 1800
    assert min(seconds) >= 20


def test_about_one_in_thirty_demo_respondents_click_through() -> None:
    rng = random.Random(11)
    times = [answering_time(rng).total_seconds() for _ in range(6000)]
    # Under a minute for a questionnaire of 40+ answers is below the fast flag's rate.
    fast = sum(t < 60 for t in times) / len(times)
    assert abs(fast - FAST_SHARE) < 0.012
    assert 60 / 40 < FAST_SECONDS_PER_ANSWER
    assert max(times) <= 3600
