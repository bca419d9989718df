"""Run a hypothesis test whose examples need the test's event loop.

`@given` functions are synchronous, while the app under test (the `client` fixture) lives
in the pytest-asyncio event loop. The hypothesis run therefore goes to a worker thread,
and each example hands its coroutine back to the loop, which stays free meanwhile.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hypothesis import HealthCheck, settings

T = TypeVar("T")

#: Examples per hypothesis test: small in the default suite, raised by `make fuzz`.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


class LoopBridge:
    """Call coroutines on `loop` from the hypothesis thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, work: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)  # type: ignore[arg-type]


async def run_in_thread(test: Callable[[LoopBridge], None]) -> None:
    """Run the synchronous hypothesis `test` in a thread, bridged to this loop."""
    bridge = LoopBridge(asyncio.get_running_loop())
    await asyncio.to_thread(test, bridge)
