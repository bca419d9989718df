"""The shapes of the instrument data, as frozen msgspec Structs.

Authors write two kinds of file per questionnaire: one language-neutral structure file
(`instrument.yaml`: items, types, options, skip rules) and one text file per language
(`da.yaml`, `en.yaml`, ...), so adding a language is adding files. The `*Source` structs
mirror those files; the compiled `Instrument` carries every text in every language and is
what respondents see and what is hashed into an instrument version.
"""

from typing import Literal

import msgspec

Setting = Literal["general_adult", "child_adolescent", "forensic"]
Group = Literal["patient", "relative", "staff"]
MissingCode = Literal["dont_know", "prefer_not_to_answer"]
ItemType = Literal["vas", "numeric", "likert", "single", "multiple", "paired", "ranking", "text"]
Voice = Literal["second_person", "third_person"]

#: A text in several languages, keyed by language code ("da", "en", ...).
Text = dict[str, str]

SETTINGS: tuple[str, ...] = ("general_adult", "child_adolescent", "forensic")
MISSING_CODES: tuple[str, ...] = ("dont_know", "prefer_not_to_answer")
ITEM_TYPES: tuple[str, ...] = ("vas", "numeric", "likert", "single", "multiple", "paired", "ranking", "text")
#: Types whose answer is one option code (likert and single) or several (multiple).
CHOICE_TYPES: tuple[str, ...] = ("likert", "single", "multiple")
#: Every questionnaire must be complete in these languages; Danish is the primary one.
REQUIRED_LANGUAGES: tuple[str, ...] = ("da", "en")
#: Study features that items may require (see `ItemSource.requires`).
FEATURES: tuple[str, ...] = ("free_text",)


# --- catalogue ------------------------------------------------------------------------


class MeasureSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One coercive measure as written in `catalogue/measures.yaml` (no texts)."""

    code: str
    legal_today: bool
    settings: list[Setting]
    #: Fixed numeric code in exports, read by `surveys.codes`; kept out of the compiled
    #: `Measure` so it never enters an instrument's content hash.
    number: int | None = None


class MeasureText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A measure's wording in one language."""

    label: str
    description: str
    description_third: str
    legal_note: str


class CatalogueSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`catalogue/measures.yaml`."""

    measures: list[MeasureSource]


class CatalogueText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`catalogue/<language>.yaml`: measure wording and the shared missing-code labels."""

    measures: dict[str, MeasureText]
    missing: dict[str, str]
    hypothetical: str


class Measure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One coercive measure that respondents rate, with its texts in every language."""

    code: str
    label: Text
    description: Text
    description_third: Text
    legal_today: bool
    settings: list[Setting]
    legal_note: Text


class Catalogue(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """All measures in the catalogue's order, and the labels of the missing codes."""

    measures: list[Measure]
    languages: list[str]
    missing_labels: dict[str, Text]
    hypothetical_note: Text

    def measure(self, code: str) -> Measure:
        """Return the measure with this code, or raise KeyError."""
        for m in self.measures:
            if m.code == code:
                return m
        raise KeyError(code)


# --- authored questionnaire -----------------------------------------------------------


class Condition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Show an item only if an earlier item's answer allows it; give exactly one of:

    - `any_of`: the earlier item was answered with one of these (unanswered: hidden);
    - `none_of`: the earlier item was not answered with one of these (unanswered, a
      missing code or a hidden item: shown), for rules whose safe default is to ask.

    `{measure}` in `item` is replaced by the measure of a per-measure item, so each
    experience follow-up can point at its own measure's question.
    """

    item: str
    # Defaults are omitted when encoding, so an `any_of` rule encodes exactly as it did
    # before `none_of` existed and the stored versions keep their content hashes.
    any_of: list[str] = msgspec.field(default_factory=list)
    none_of: list[str] = msgspec.field(default_factory=list)


class MeasureFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which catalogue measures a per-measure item is repeated for (empty: all)."""

    legal_today: bool | None = None


class ItemSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An item in `instrument.yaml`.

    `for_each_measure` repeats the item per catalogue measure (code contains
    `{measure}`); a `paired` item expands to one item per pair of measures
    (`<code>.<a>.<b>`); a `ranking` item lists the measures to put in order.
    """

    code: str
    type: ItemType
    kind: str
    options: str | None = None
    missing: list[MissingCode] = msgspec.field(default_factory=list)
    for_each_measure: MeasureFilter | None = None
    measures: list[str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    show_if: list[Condition] = msgspec.field(default_factory=list)
    requires: str | None = None


class InstrumentSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`instruments/<code>/instrument.yaml`: the language-neutral structure."""

    code: str
    group: Group
    #: The ward settings this questionnaire is for (e.g. the youth version only on child
    #: and adolescent wards). It decides where the questionnaire is offered, not what it
    #: asks, so it stays out of the compiled `Instrument` and its content hash: serving
    #: one more setting is not a new version.
    settings: list[Setting]
    voice: Voice
    option_sets: dict[str, list[str]]
    items: list[ItemSource]
    pairs_per_respondent: int = 0
    #: Conditions added to every item about a measure (per-measure items and the pairs
    #: that include it), keyed by measure code: e.g. a measure that only applies from
    #: an age is not asked of younger respondents.
    measure_show_if: dict[str, list[Condition]] = msgspec.field(default_factory=dict)


class AnchorsText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Labels for the two ends of a scale, in one language."""

    low: str
    high: str


class ItemText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One item's wording in one language; `{label}` is replaced by the measure label."""

    prompt: str
    help: str | None = None
    anchors: AnchorsText | None = None


class InstrumentText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`instruments/<code>/<language>.yaml`: every text of the questionnaire in one language."""

    title: str
    information: str
    consent: str
    options: dict[str, dict[str, str]]
    items: dict[str, ItemText]


# --- compiled questionnaire -----------------------------------------------------------


class Anchors(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Labels for the two ends of a scale."""

    low: Text
    high: Text


class Option(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One answer option: a stable code and its label."""

    code: str
    label: Text


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question as shown to a respondent (one item per screen)."""

    code: str
    type: ItemType
    kind: str
    prompt: Text
    measure: str | None = None
    measure_b: str | None = None
    help: Text | None = None
    anchors: Anchors | None = None
    minimum: int = 0
    maximum: int = 100
    options: list[Option] = msgspec.field(default_factory=list)
    missing_options: list[MissingCode] = msgspec.field(default_factory=list)
    settings: list[Setting] = msgspec.field(default_factory=lambda: list(SETTINGS))
    show_if: list[Condition] = msgspec.field(default_factory=list)
    requires: str | None = None
    max_length: int = 0
    hypothetical: bool = False

    def option_codes(self) -> list[str]:
        """The codes of this item's options, in order."""
        return [option.code for option in self.options]


class Instrument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A compiled questionnaire: every item expanded, every text in every language."""

    code: str
    group: Group
    languages: list[str]
    title: Text
    information: Text
    consent: Text
    items: list[Item]
    pairs_per_respondent: int = 0
    #: Labels of the missing codes, so a stored version is self-contained.
    missing_labels: dict[str, Text] = msgspec.field(default_factory=dict)

    def items_for(self, setting: str) -> list[Item]:
        """The items a respondent in this setting may be asked, in order (before skip logic)."""
        return [item for item in self.items if setting in item.settings]

    def item(self, code: str) -> Item:
        """Return the item with this code, or raise KeyError."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)


class ReferenceGradation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The authority's current gradation: per setting, tiers of measure codes, least first.

    Measures in one tier are judged equally intrusive (a tie). Whether each measure is
    legal today comes from the catalogue, so it is stated once.
    """

    source: Text
    settings: dict[Setting, list[list[str]]]
