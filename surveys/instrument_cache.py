"""A bounded cache of values derived from an instrument, keyed by the instrument itself.

Instruments are frozen and a stored version never changes, so anything computed from
one (items per setting, rendered texts, lookups) can be computed once per instrument
instead of on every request. Entries are keyed by the instrument's identity (hashing
a whole instrument would cost more than most of what is cached) and hold the instrument,
so its id cannot be reused by another object while the entry lives.
"""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from surveys.model import Instrument

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class InstrumentCache(Generic[K, V]):
    """`compute(instrument, key)`, remembered per (instrument, key); at most `limit` entries."""

    def __init__(self, compute: Callable[[Instrument, K], V], limit: int = 256) -> None:
        self._compute = compute
        self._limit = limit
        self._entries: dict[tuple[int, K], tuple[Instrument, V]] = {}

    def get(self, instrument: Instrument, key: K) -> V:
        """The cached value, computed on first use (do not mutate it)."""
        entry = self._entries.get((id(instrument), key))
        if entry is not None and entry[0] is instrument:
            return entry[1]
        value = self._compute(instrument, key)
        if len(self._entries) >= self._limit:
            # Only a few versions and languages are live at a time; clearing all (rather
            # than tracking recency) keeps the hit path a single dict lookup.
            self._entries.clear()
        self._entries[(id(instrument), key)] = (instrument, value)
        return value
