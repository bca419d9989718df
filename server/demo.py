"""Synthetic but plausible respondents, answered through the real respondent service.

The true means follow the pattern the Danish survey and the literature report (belt
restraint most intrusive, area restriction least, clusters in between), so a new user
sees a meaningful gradation without real data.
"""

import random

from server.instrument_registry import InstrumentRegistry
from server.respondent import service
from server.respondent.schemas import AnswerIn, ItemOut, StartRequest
from server.studies import ensure_study

DEMO_STUDY = "demo"
DEMO_SITES = [
    ("ward-a", "Afsnit A (voksen)", "general_adult"),
    ("ward-b", "Afsnit B (voksen)", "general_adult"),
    ("ward-f", "Retspsykiatrisk afsnit", "forensic"),
]

#: Plausible population means on the 0–100 scale, by measure code.
TRUE_MEANS: dict[str, float] = {
    "personal_observation": 30,
    "area_restriction": 25,
    "time_out": 28,
    "holding_short": 45,
    "holding_long": 62,
    "acute_sedation": 47,
    "sedation_danger": 70,
    "locked_room": 66,
    "seclusion": 72,
    "belt_short": 80,
    "belt_long": 92,
    "ambulatory_belt": 74,
    "transport_straps": 55,
    "net_bed": 85,
}


async def generate_demo(registry: InstrumentRegistry, respondents: int, seed: int = 2025) -> int:
    """Create the demo study and `respondents` submitted questionnaires; return how many."""
    await ensure_study(DEMO_STUDY, "Demonstration", DEMO_SITES)
    rng = random.Random(seed)
    for _ in range(respondents):
        site_code, _, setting = rng.choice(DEMO_SITES)
        started = await service.start_response(
            registry,
            StartRequest(study=DEMO_STUDY, site=site_code, group="patient", setting=setting, language="da", consent=True),  # type: ignore[arg-type]
        )
        offset = rng.gauss(0, 10)
        for item in started.items:
            if rng.random() < 0.04:
                continue
            body = _demo_answer(item, offset, rng)
            if body is not None:
                await service.save_answer(registry, started.id, item.code, body)
        await service.submit_response(started.id)
    return respondents


def _demo_answer(item: ItemOut, offset: float, rng: random.Random) -> AnswerIn | None:
    """A plausible answer to one item, or None for items the demo leaves unanswered."""
    if item.kind == "rating":
        if rng.random() < 0.05:
            return AnswerIn(missing=rng.choice(item.missing_options))  # type: ignore[arg-type]
        rating = TRUE_MEANS.get(item.measure or "", 50) + offset + rng.gauss(0, 14)
        return AnswerIn(value=int(min(max(round(rating), item.minimum), item.maximum)))
    if item.kind == "paired" and item.measure and item.measure_b:
        # The measure with the lower true mean tends to be chosen as less intrusive.
        a, b = TRUE_MEANS.get(item.measure, 50), TRUE_MEANS.get(item.measure_b, 50)
        return AnswerIn(value=item.measure if a + rng.gauss(0, 12) < b + rng.gauss(0, 12) else item.measure_b)
    if item.type in ("single", "likert") and item.kind in ("gender", "age_band", "allowed", "coercion_any"):
        return AnswerIn(value=rng.choice([option.code for option in item.options]))
    return None
