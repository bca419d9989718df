"""Per-respondent data-quality flags: their thresholds and their definitions, in one place.

The report's data-quality section counts them (server.publication.data_quality), the
export writes them per respondent (flag_fast, flag_straightline, flag_nonresponse, 0/1)
and the codebook defines them, so all three use the same rules from here.
"""

from surveys.model import Text

#: Implausibly fast: fewer seconds per saved answer than this, start to submit.
FAST_SECONDS_PER_ANSWER = 2.0
#: Straight-lining: at least this many numeric ratings, all identical.
STRAIGHT_LINE_MIN_RATINGS = 5
#: Item non-response: more than this share of the items asked has no answer or a missing code.
NONRESPONSE_SHARE = 0.5

#: Each flag's variable label and definition, in every language.
FLAG_DEFINITIONS: dict[str, tuple[Text, Text]] = {
    "flag_fast": (
        {"da": "Usandsynligt hurtig besvarelse", "en": "Implausibly fast response"},
        {
            "da": f"1 = færre end {FAST_SECONDS_PER_ANSWER:g} sekunder pr. gemt svar fra start til indsendelse.",
            "en": f"1 = fewer than {FAST_SECONDS_PER_ANSWER:g} seconds per saved answer from start to submit.",
        },
    ),
    "flag_straightline": (
        {"da": "Ens vurderinger (straight-lining)", "en": "Straight-lining"},
        {
            "da": f"1 = mindst {STRAIGHT_LINE_MIN_RATINGS} numeriske vurderinger (0-100), alle ens.",
            "en": f"1 = at least {STRAIGHT_LINE_MIN_RATINGS} numeric ratings (0-100), all identical.",
        },
    ),
    "flag_nonresponse": (
        {"da": "Høj andel ubesvarede spørgsmål", "en": "High item non-response"},
        {
            "da": "1 = mere end halvdelen af de spørgsmål, respondenten blev stillet, har intet svar eller en manglende-kode"
            " (ved ikke, vil ikke svare).",
            "en": "1 = more than half of the items asked of the respondent have no answer or a missing code"
            " (don't know, prefer not to answer).",
        },
    ),
}


def is_fast(seconds: float, answers: int) -> bool:
    """Whether start-to-submit time is implausibly fast for this many saved answers."""
    return answers > 0 and seconds / answers < FAST_SECONDS_PER_ANSWER


def is_straightline(ratings: list[float]) -> bool:
    """Whether the numeric ratings are at least STRAIGHT_LINE_MIN_RATINGS, all identical."""
    return len(ratings) >= STRAIGHT_LINE_MIN_RATINGS and len(set(ratings)) == 1


def is_nonresponse(asked: int, without_answer: int) -> bool:
    """Whether more than NONRESPONSE_SHARE of the asked items have no answer or a missing code."""
    return asked > 0 and without_answer > NONRESPONSE_SHARE * asked
