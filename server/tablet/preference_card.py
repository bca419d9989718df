"""The "My order" card as the respondent adjusts it: its state, carried in the page's own
form (never stored), the moves they can make, and its text for the QR code.

The card belongs to the respondent alone: adjusting it changes nothing stored. Its state
travels as two hidden fields and the note (`CardState.as_form`, `CardState.from_form`),
so the server keeps nothing between two screens of it.
"""

import functools

import msgspec

from server.respondent.errors import InvalidInput
from server.tablet.preference_order import PersonalOrder
from surveys.loader import load_catalogue
from surveys.model import Catalogue

#: The longest note the card takes; a longer one is cut here, and the screen says so.
NOTE_LIMIT = 140
#: Between measures rated the same, in the card's text.
TIE = " = "
#: Hidden-field separators: rungs, and measures within a rung (measure codes use neither).
RUNG_SEPARATOR = "|"
TIE_SEPARATOR = ","
MOVES = ("up", "down", "add")

@functools.cache
def catalogue() -> Catalogue:
    """The measures' labels and legal status (read once)."""
    return load_catalogue()


class CardState(msgspec.Struct, frozen=True):
    """What the card shows: rungs least intrusive first, the measures apart, the note."""

    rungs: list[list[str]]
    unrated: list[str]
    note: str = ""

    @classmethod
    def from_order(cls, order: PersonalOrder) -> "CardState":
        """The card as first shown: the order the respondent's answers give."""
        return cls(rungs=[list(rung) for rung in order.rungs], unrated=list(order.unrated))

    def measures(self) -> list[str]:
        """Every measure on the card, in order, those apart last."""
        return [code for rung in self.rungs for code in rung] + list(self.unrated)

    def as_form(self) -> dict[str, str]:
        """The hidden fields that carry the order to the next screen of the card."""
        return {
            "order": RUNG_SEPARATOR.join(TIE_SEPARATOR.join(rung) for rung in self.rungs),
            "unrated": TIE_SEPARATOR.join(self.unrated),
        }

    @classmethod
    def from_form(cls, form: dict[str, str]) -> tuple["CardState", bool]:
        """The card a form carries, and whether its note had to be cut to `NOTE_LIMIT`.
        Refuses (400, naming the field) an unknown measure or one listed twice."""
        known = {measure.code for measure in catalogue().measures}
        rungs = [_codes(rung, "order", known) for rung in form.get("order", "").split(RUNG_SEPARATOR) if rung]
        unrated = _codes(form.get("unrated", ""), "unrated", known)
        listed = [code for rung in rungs for code in rung] + unrated
        if len(set(listed)) != len(listed):
            raise InvalidInput("order", "lists a measure twice")
        note, cut = clean_note(form.get("note", ""))
        return cls(rungs=[rung for rung in rungs if rung], unrated=unrated, note=note), cut


def _codes(text: str, field: str, known: set[str]) -> list[str]:
    codes = [code for code in text.split(TIE_SEPARATOR) if code]
    unknown = [code for code in codes if code not in known]
    if unknown:
        # The reason never quotes what was posted: refusals are logged.
        raise InvalidInput(field, "names something that is not a measure")
    return codes


def clean_note(text: str) -> tuple[str, bool]:
    """The note on one line, at most `NOTE_LIMIT` characters; and whether it was cut."""
    flat = " ".join(text.split())
    return flat[:NOTE_LIMIT], len(flat) > NOTE_LIMIT


def move(state: CardState, code: str, direction: str) -> CardState:
    """The card with one measure moved one step.

    - "up" / "down": a measure tied with others leaves its rung for a rung of its own just
      above / below it; a measure alone swaps places with the rung above / below.
    - "add": a measure listed apart joins the order at the bottom (most intrusive), from
      where the respondent moves it up.
    A move that goes nowhere (the top measure up) leaves the card as it was.
    """
    if direction not in MOVES:
        raise InvalidInput("move", f"must be one of: {', '.join(MOVES)}")
    rungs = [list(rung) for rung in state.rungs]
    if direction == "add":
        if code not in state.unrated:
            raise InvalidInput("move", "names a measure that is not listed apart")
        return msgspec.structs.replace(state, rungs=[*rungs, [code]], unrated=[c for c in state.unrated if c != code])
    at = next((i for i, rung in enumerate(rungs) if code in rung), None)
    if at is None:
        raise InvalidInput("move", "names a measure that is not in the order")
    if len(rungs[at]) > 1:
        rungs[at].remove(code)
        rungs.insert(at if direction == "up" else at + 1, [code])
    else:
        other = at - 1 if direction == "up" else at + 1
        if 0 <= other < len(rungs):
            rungs[at], rungs[other] = rungs[other], rungs[at]
    return msgspec.structs.replace(state, rungs=rungs)


def parse_move(value: str) -> tuple[str, str]:
    """A move button's value, "<measure>:<direction>"."""
    code, _, direction = value.partition(":")
    if not code or direction not in MOVES:
        raise InvalidInput("move", "must be '<measure>:up', '<measure>:down' or '<measure>:add'")
    return code, direction


def label(code: str, lang: str) -> str:
    """A measure's name in the respondent's language."""
    return catalogue().measure(code).label[lang]


def is_legal(code: str) -> bool:
    """Whether Danish law allows the measure today (drawn solid, else dashed)."""
    return catalogue().measure(code).legal_today


def card_text(state: CardState, lang: str, words: dict[str, str]) -> str:
    """The card as plain text, the QR code's whole content: title, what it is, numbered
    rungs (ties joined by " = "), the measures apart, the note. `words` are the tablet's
    phrases in `lang`."""
    lines = [words["card_title"], words["card_not_a_rule"], words["card_direction"]]
    lines += [f"{n}. {TIE.join(label(code, lang) for code in rung)}" for n, rung in enumerate(state.rungs, start=1)]
    if state.unrated:
        lines.append(f"{words['card_unrated']}: {'; '.join(label(code, lang) for code in state.unrated)}")
    if state.note:
        lines.append(f"{words['card_note']}: {state.note}")
    return "\n".join(lines)
