"""Synthetic but plausible respondents, answered through the real respondent service.

The true means follow the pattern the Danish survey and the literature report (belt
restraint most intrusive, area restriction least, clusters in between); women and people
with experience of a measure rate it as more intrusive, and staff accept forced
medication more than patients and relatives do. A new user thus sees a meaningful
gradation without real data. Every answer takes the same code path as a real one.
Answering takes milliseconds here, so each questionnaire's start is moved back by a
plausible time to answer (a few minutes; about one in thirty implausibly fast), drawn
from its own random stream so the answers stay those of the seed; the data-quality
report and the export's fast flag then show what real fieldwork looks like.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

from server.instrument_registry import InstrumentRegistry
from server.respondent import service
from server.respondent.schemas import AnswerIn, ItemOut, StartRequest
from server.storage.tables import Response, Study
from server.studies import ensure_study, mark_simulated

DEMO_STUDY = "demo"
DEMO_SITES = [
    ("ward-a", "Afsnit A (voksen)", "general_adult"),
    ("ward-b", "Afsnit B (voksen)", "general_adult"),
    ("ward-c", "Børne- og ungdomsafsnit", "child_adolescent"),
    ("ward-f", "Retspsykiatrisk afsnit", "forensic"),
]
#: Shown before consent; example values, as a real study's would read.
DEMO_DATA_CONTROLLER = "Region Hovedstadens Psykiatri"
DEMO_CONTACT = "Projektleder, tlf. 3864 0000, mindstemiddel@example.dk"
GROUP_WEIGHTS = {"patient": 0.6, "relative": 0.15, "staff": 0.25}
#: Share of demo questionnaires answered implausibly fast (under a minute in all).
FAST_SHARE = 1 / 30

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
#: Staff rate forced medication as less intrusive than patients and relatives do.
STAFF_SHIFT = {"acute_sedation": -15.0, "sedation_danger": -12.0}


@dataclass
class RespondentProfile:
    """The hidden traits that shape one synthetic respondent's answers."""

    group: str
    offset: float
    female: bool
    experienced: frozenset[str]

    def true_rating(self, measure: str) -> float:
        """The rating this respondent would give without noise."""
        base = TRUE_MEANS.get(measure, 50.0) + self.offset
        if self.group == "staff":
            base += STAFF_SHIFT.get(measure, 0.0)
        if self.female:
            base += 4.0
        if measure in self.experienced:
            base += 5.0
        return base


def _profile(group: str, rng: random.Random) -> RespondentProfile:
    measures = list(TRUE_MEANS)
    experienced = frozenset(m for m in measures if rng.random() < (0.3 if group == "patient" else 0.1))
    return RespondentProfile(group=group, offset=rng.gauss(0, 10), female=rng.random() < 0.55, experienced=experienced)


def synthetic_answer(item: ItemOut, profile: RespondentProfile, rng: random.Random) -> AnswerIn | None:
    """A plausible answer to one item, or None to skip it (free text is never filled in)."""
    if item.type == "text":
        return None
    if item.missing_options and rng.random() < 0.04:
        return AnswerIn(missing=rng.choice(item.missing_options))  # type: ignore[arg-type]
    codes = [option.code for option in item.options]
    if item.type in ("vas", "numeric"):
        if item.kind == "rating" and item.measure:
            rating = profile.true_rating(item.measure) + rng.gauss(0, 14)
        else:
            rating = rng.uniform(item.minimum, item.maximum)
        return AnswerIn(value=int(min(max(round(rating), item.minimum), item.maximum)))
    if item.type == "paired" and item.measure and item.measure_b:
        difference = profile.true_rating(item.measure_b) - profile.true_rating(item.measure)
        first_less = rng.random() < 1 / (1 + math.exp(-difference / 10))
        return AnswerIn(value=item.measure if first_less else item.measure_b)
    if item.type == "ranking":
        return AnswerIn(value=sorted(codes, key=lambda code: profile.true_rating(code) + rng.gauss(0, 8)))
    if item.type == "multiple":
        return AnswerIn(value=[code for code in codes if rng.random() < 0.4] or codes[:1])
    if item.kind == "gender":
        return AnswerIn(value="female" if profile.female else "male")
    if item.kind == "experience" and item.measure:
        return AnswerIn(value="experienced" if item.measure in profile.experienced else rng.choice(["none", "witnessed"]))
    if item.kind == "consent" and "yes" in codes:
        return AnswerIn(value="yes")
    return AnswerIn(value=rng.choice(codes)) if codes else None


def answering_time(rng: random.Random) -> dt.timedelta:
    """A plausible time from start to submit: log-normal around nine minutes, or under a
    minute for the FAST_SHARE who click through."""
    if rng.random() < FAST_SHARE:
        return dt.timedelta(seconds=rng.uniform(20, 60))
    return dt.timedelta(seconds=min(3600.0, rng.lognormvariate(math.log(540), 0.4)))


async def answer_everything(
    registry: InstrumentRegistry, request: StartRequest, rng: random.Random, timing: random.Random | None = None
) -> None:
    """Start, answer every item the skip logic shows (in order), and submit; with `timing`,
    the start is moved back by a plausible answering time (see the module docstring)."""
    started = await service.start_response(registry, request)
    profile = _profile(request.group, rng)
    done: set[str] = set()
    response = started
    while True:
        pending = [item for item in response.items if item.code not in done]
        if not pending:
            break
        item = pending[0]
        done.add(item.code)
        body = synthetic_answer(item, profile, rng)
        if body is not None:
            await service.save_answer(registry, started.id, started.session_key, item.code, body)
            response = await service.get_response(registry, started.id, started.session_key)
    await service.submit_response(started.id, started.session_key)
    if timing is not None:
        submitted = await Response.select(Response.submitted_at).where(Response.id == started.id).first()
        if submitted is not None and submitted["submitted_at"] is not None:
            start = submitted["submitted_at"] - answering_time(timing)
            await Response.update({Response.started_at: start}).where(Response.id == started.id)


async def generate_demo(registry: InstrumentRegistry, respondents: int, seed: int = 2025) -> int:
    """Create the demo study and `respondents` submitted questionnaires; return how many."""
    await ensure_study(DEMO_STUDY, "Demonstration", DEMO_SITES)
    await mark_simulated(DEMO_STUDY)
    # Only where not set yet, so running the demo again keeps what a researcher entered.
    await Study.update({Study.data_controller: DEMO_DATA_CONTROLLER}).where(
        (Study.code == DEMO_STUDY) & (Study.data_controller == "")
    )
    await Study.update({Study.contact: DEMO_CONTACT}).where((Study.code == DEMO_STUDY) & (Study.contact == ""))
    rng = random.Random(seed)
    timing = random.Random(seed + 1)
    groups, weights = zip(*GROUP_WEIGHTS.items(), strict=True)
    for _ in range(respondents):
        site_code, _, setting = rng.choice(DEMO_SITES)
        group = rng.choices(groups, weights)[0]
        # The study's choice gives each ward its questionnaire (the youth one on ward-c).
        request = StartRequest(
            study=DEMO_STUDY, site=site_code, group=group, setting=setting,  # type: ignore[arg-type]
            language="da", consent=True,
        )
        await answer_everything(registry, request, rng, timing)
    return respondents
