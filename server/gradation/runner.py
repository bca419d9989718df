"""Run the gradation analysis on the database and keep the result."""

import msgspec

from analysis.gradation import analyse
from analysis.settings import GradationSettings
from server.instrument_registry import InstrumentRegistry
from server.gradation.snapshot import tidy_snapshot
from server.storage.tables import AnalysisRun
from surveys.loader import load_reference_gradation


def reference_tiers() -> dict[str, list[list[str]]]:
    """The authority's reference gradation as plain data, per setting."""
    return msgspec.to_builtins(load_reference_gradation().settings)


async def analyse_database(
    registry: InstrumentRegistry, settings: GradationSettings | None = None, progress: bool = False
) -> bytes:
    """Analyse every submitted response, store the result, and return its JSON."""
    tidy = await tidy_snapshot(registry)
    result = analyse(tidy, settings, reference=reference_tiers(), progress=progress)
    payload = result.to_json()
    snapshot = msgspec.json.decode(payload)["snapshot"]
    await AnalysisRun.insert(
        AnalysisRun(data_sha256=snapshot["sha256"], respondents=snapshot["respondents"], result=payload.decode())
    ).run()
    return payload

