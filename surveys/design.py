"""The balanced paired-comparison design: which pairs a respondent is asked.

Pairs of the measures relevant to a setting are laid out in round-robin order (the circle
method), so consecutive pairs share no measure. Respondent number `slot` gets the next
`k` pairs of that cycle, wrapping around. Over any run of consecutive respondents every
pair is therefore asked a number of times that differs by at most one between pairs, and
each full cycle swaps which measure is shown first, so position is balanced too.
"""

from surveys.model import Instrument, Item


def round_robin(measures: list[str]) -> list[tuple[str, str]]:
    """Every pair of `measures` once, ordered so that each round's pairs are disjoint."""
    players: list[str | None] = list(measures)
    if len(players) % 2:
        players.append(None)
    n = len(players)
    pairs: list[tuple[str, str]] = []
    for _ in range(n - 1):
        for i in range(n // 2):
            a, b = players[i], players[n - 1 - i]
            if a is not None and b is not None:
                pairs.append((a, b))
        players = [players[0], players[-1], *players[1:-1]]
    return pairs


#: pair_cycle results by (id(instrument), setting), holding the instrument itself so its
#: id cannot be reused while the entry lives. The cycle is recomputed on every save
#: otherwise (twice: before and after the answer), and instruments never change.
_CYCLES: dict[tuple[int, str], tuple[Instrument, list[Item]]] = {}
_CYCLES_MAX = 256


def pair_cycle(instrument: Instrument, setting: str) -> list[Item]:
    """The paired items of a setting in design order (one full cycle; do not mutate)."""
    cached = _CYCLES.get((id(instrument), setting))
    if cached is not None and cached[0] is instrument:
        return cached[1]
    cycle = _pair_cycle(instrument, setting)
    if len(_CYCLES) >= _CYCLES_MAX:
        _CYCLES.clear()
    _CYCLES[(id(instrument), setting)] = (instrument, cycle)
    return cycle


def _pair_cycle(instrument: Instrument, setting: str) -> list[Item]:
    paired = {frozenset((i.measure, i.measure_b)): i for i in instrument.items_for(setting) if i.type == "paired"}
    measures: list[str] = []
    for item in instrument.items_for(setting):
        if item.type == "paired":
            for code in (item.measure, item.measure_b):
                if code is not None and code not in measures:
                    measures.append(code)
    return [paired[frozenset(p)] for p in round_robin(measures) if frozenset(p) in paired]


def assigned_pairs(instrument: Instrument, setting: str, slot: int) -> list[tuple[Item, bool]]:
    """The pairs respondent number `slot` is asked, with whether to show measure_b first."""
    cycle = pair_cycle(instrument, setting)
    k = min(instrument.pairs_per_respondent, len(cycle))
    if not cycle or k == 0:
        return []
    start = slot * k
    return [(cycle[(start + j) % len(cycle)], ((start + j) // len(cycle)) % 2 == 1) for j in range(k)]
