"""Progress bars for long commands: a tqdm bar in a terminal, periodic log lines elsewhere.

A command run by cron, CI or a pipe has no terminal to redraw a bar in; there each
update becomes one line on stderr, at most every LEASTMEANS_PROGRESS_SECONDS (default 10).
"""

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from tqdm import tqdm

#: Seconds between log lines when stderr is not a terminal.
LOG_INTERVAL_ENV = "LEASTMEANS_PROGRESS_SECONDS"


class _LogLines:
    """A stream for tqdm that turns each redraw (carriage return + line) into a whole log line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").replace("\x1b[A", "").strip()
        if line:
            self._stream.write(line + "\n")

    def flush(self) -> None:
        self._stream.flush()


def _log_interval() -> float:
    try:
        return max(0.0, float(os.environ.get(LOG_INTERVAL_ENV, "10")))
    except ValueError:
        return 10.0


def progress_bar(desc: str, total: int | None = None, unit: str = "it", **options: Any) -> tqdm:
    """A tqdm bar on stderr; when stderr is not a terminal, its updates are log lines."""
    if sys.stderr.isatty():
        return tqdm(desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, **options)
    interval = _log_interval()
    return tqdm(
        desc=desc, total=total, unit=unit, file=_LogLines(sys.stderr), ascii=True, ncols=80,
        mininterval=interval, maxinterval=max(interval, 1.0), leave=True, **options,
    )


@contextmanager
def working(desc: str) -> Iterator[tqdm]:
    """An elapsed-time bar for a step that reports no progress of its own (it ticks every second
    in a terminal, every LEASTMEANS_PROGRESS_SECONDS in a log); the step may still `update` it."""
    bar = progress_bar(desc, total=None, unit="step", bar_format="{desc}: {elapsed} elapsed{postfix}")
    stop = threading.Event()
    tick = 1.0 if sys.stderr.isatty() else max(_log_interval(), 1.0)

    def refresh() -> None:
        while not stop.wait(tick):
            bar.refresh()

    ticker = threading.Thread(target=refresh, name=f"progress: {desc}", daemon=True)
    ticker.start()
    try:
        yield bar
    finally:
        stop.set()
        ticker.join()
        bar.close()


@contextmanager
def analysis_progress() -> Iterator[None]:
    """Within this block every gradation analysis shows its long steps as progress bars
    (also the one inside a publication, whose caller cannot pass `progress`)."""
    from analysis.gradation import PROGRESS_BARS

    token = PROGRESS_BARS.set(lambda desc, total: progress_bar(desc, total=total, unit="cell"))
    try:
        yield
    finally:
        PROGRESS_BARS.reset(token)
