"""The shapes of the instrument data, as frozen msgspec Structs.

`*Source` structs mirror what authors write in YAML; the compiled `Instrument` is what
respondents see and what is hashed into an instrument version.
"""

from typing import Literal

import msgspec

Setting = Literal["general_adult", "child_adolescent", "forensic"]
Group = Literal["patient", "relative", "staff"]
MissingCode = Literal["dont_know", "prefer_not_to_answer"]

#: A text in several languages, keyed by language code ("da", "en", ...).
Text = dict[str, str]

SETTINGS: tuple[str, ...] = ("general_adult", "child_adolescent", "forensic")
MISSING_CODES: tuple[str, ...] = ("dont_know", "prefer_not_to_answer")


class Measure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One coercive measure that respondents rate."""

    code: str
    label: Text
    description: Text
    legal_today: bool
    settings: list[Setting]
    legal_note: Text | None = None


class Catalogue(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """All measures, in the catalogue's order."""

    measures: list[Measure]

    def measure(self, code: str) -> Measure:
        """Return the measure with this code, or raise KeyError."""
        for m in self.measures:
            if m.code == code:
                return m
        raise KeyError(code)


class Anchors(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Labels for the two ends of a scale."""

    low: Text
    high: Text


class ItemSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An item as written by an author; `for_each_measure` expands it per measure."""

    code: str
    type: Literal["vas"]
    kind: str
    prompt: Text
    anchors: Anchors | None = None
    missing_options: list[MissingCode] = msgspec.field(default_factory=list)
    measure: str | None = None
    for_each_measure: bool = False


class InstrumentSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A questionnaire file as written by an author."""

    code: str
    group: Group
    languages: list[str]
    title: Text
    intro: Text
    items: list[ItemSource]


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question as shown to a respondent (one item per screen)."""

    code: str
    type: Literal["vas"]
    kind: str
    prompt: Text
    measure: str | None = None
    help: Text | None = None
    anchors: Anchors | None = None
    minimum: int = 0
    maximum: int = 100
    missing_options: list[MissingCode] = msgspec.field(default_factory=list)
    settings: list[Setting] = msgspec.field(default_factory=lambda: list(SETTINGS))


class Instrument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A compiled questionnaire: every item expanded, every text in every language."""

    code: str
    group: Group
    languages: list[str]
    title: Text
    intro: Text
    items: list[Item]

    def items_for(self, setting: str) -> list[Item]:
        """The items a respondent in this setting is asked, in order."""
        return [item for item in self.items if setting in item.settings]

    def item(self, code: str) -> Item:
        """Return the item with this code, or raise KeyError."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)


class ReferenceGradation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The authority's current gradation: per setting, tiers of measure codes, least first."""

    source: Text
    settings: dict[Setting, list[list[str]]]
