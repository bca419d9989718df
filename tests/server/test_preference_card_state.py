"""The card's own state: its text for the QR code, the moves a respondent makes, and the
hidden fields that carry it between screens (pure functions, no database)."""

import pytest

from server.respondent.errors import InvalidInput
from server.tablet.phrases import PHRASES
from server.tablet.preference_card import NOTE_LIMIT, CardState, card_text, move

CARD = CardState(rungs=[["personal_observation"], ["area_restriction", "time_out"], ["belt_long"]], unrated=["net_bed"], note="tal roligt")


def test_the_qr_text_is_the_card_in_the_respondents_language() -> None:
    lines = card_text(CARD, "da", PHRASES["da"]).splitlines()
    assert lines[:2] == [PHRASES["da"]["card_title"], PHRASES["da"]["card_not_a_rule"]]
    assert lines[3:6] == [
        "1. Personlig skærmning",
        "2. Arealbegrænsning = Skærmning til egen stue (time out)",
        "3. Bæltefiksering, over 4 timer",
    ]
    assert lines[-2] == f"{PHRASES['da']['card_unrated']}: Net-seng"
    assert lines[-1] == f"{PHRASES['da']['card_note']}: tal roligt"
    english = card_text(CARD, "en", PHRASES["en"])
    assert english.startswith("My order\n") and "1. Constant observation by staff" in english


def test_a_tied_measure_moved_leaves_its_rung_and_a_lone_one_swaps() -> None:
    up = move(CARD, "time_out", "up")
    assert up.rungs == [["personal_observation"], ["time_out"], ["area_restriction"], ["belt_long"]]
    down = move(CARD, "area_restriction", "down")
    assert down.rungs == [["personal_observation"], ["time_out"], ["area_restriction"], ["belt_long"]]
    assert move(CARD, "belt_long", "up").rungs == [["personal_observation"], ["belt_long"], ["area_restriction", "time_out"]]
    # At the ends nothing moves.
    assert move(CARD, "personal_observation", "up") == CARD
    assert move(CARD, "belt_long", "down") == CARD


def test_a_measure_listed_apart_joins_at_the_bottom() -> None:
    added = move(CARD, "net_bed", "add")
    assert added.rungs[-1] == ["net_bed"] and added.unrated == []
    with pytest.raises(InvalidInput):
        move(CARD, "time_out", "add")
    with pytest.raises(InvalidInput):
        move(CARD, "net_bed", "up")


def test_the_form_carries_the_card_and_cuts_a_long_note() -> None:
    fields = CARD.as_form()
    again, cut = CardState.from_form({**fields, "note": "tal roligt"})
    assert again == CARD and not cut
    long, cut = CardState.from_form({**fields, "note": "ord " * 100})
    assert cut and len(long.note) == NOTE_LIMIT
    # Line breaks would break the card's text lines.
    assert CardState.from_form({**fields, "note": "a\nb"})[0].note == "a b"


@pytest.mark.parametrize(
    "fields", [{"order": "nothing_like_this"}, {"order": "time_out|time_out"}, {"order": "time_out", "unrated": "time_out"}]
)
def test_a_forged_card_is_refused_naming_the_field(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        CardState.from_form(fields)
    assert refused.value.field in ("order", "unrated")
    assert "nothing_like_this" not in refused.value.reason


def test_the_longest_card_fits_one_a5_page() -> None:
    from jinja2 import Environment, FileSystemLoader
    from weasyprint import HTML

    from server.app import TABLET_DIR
    from server.tablet.card_pdf import TEMPLATE
    from server.tablet.preference_card import catalogue
    from server.tablet.preference_card_pages import card_context

    env = Environment(loader=FileSystemLoader(TABLET_DIR / "templates"), autoescape=True)
    longest = CardState(rungs=[[m.code] for m in catalogue().measures], unrated=[], note="æ" * NOTE_LIMIT)
    for lang in ("da", "en"):
        html = env.get_template(TEMPLATE).render(lang=lang, t=PHRASES[lang], **card_context(longest, lang))
        pages = HTML(string=html).render().pages
        assert len(pages) == 1, lang
        assert round(pages[0].width * 25.4 / 96) == 148 and round(pages[0].height * 25.4 / 96) == 210


def test_the_clinicians_guide_shows_the_qr_text_as_the_card_writes_it() -> None:
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "preference-card.md").read_text()
    example = CardState(
        rungs=[["personal_observation"], ["holding_short"], ["area_restriction", "time_out"], ["belt_short"]],
        unrated=["acute_sedation"],
        note="Tal roligt til mig først",
    )
    assert f"```text\n{card_text(example, 'da', PHRASES['da'])}\n```" in guide
