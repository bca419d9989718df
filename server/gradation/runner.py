"""Run the gradation analysis on the submitted answers in the database.

Results are kept only as publications (`server.publication.store`); an unpublished
analysis is a computation, returned to the caller.
"""

from typing import TYPE_CHECKING

import msgspec

from analysis.settings import GradationSettings
from server.instrument_registry import InstrumentRegistry
from server.gradation.snapshot import tidy_snapshot
from surveys.loader import load_reference_gradation

if TYPE_CHECKING:
    from analysis.plan import AnalysisPlan


def reference_tiers() -> dict[str, list[list[str]]]:
    """The authority's reference gradation as plain data, per setting."""
    return msgspec.to_builtins(load_reference_gradation().settings)


async def analyse_database(
    registry: InstrumentRegistry,
    settings: GradationSettings | None = None,
    progress: bool = False,
    plan: "AnalysisPlan | None" = None,
) -> bytes:
    """Analyse every submitted response (held to `plan`, default: the default plan) and return the result's JSON."""
    from analysis.gradation import analyse  # here, not at the top: it loads scipy, which a serving worker seldom needs

    tidy = await tidy_snapshot(registry)
    return analyse(tidy, settings, reference=reference_tiers(), progress=progress, plan=plan).to_json()

