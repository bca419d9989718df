"""Each item type's tablet partial renders its controls, and the posted form parses back."""

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from server.respondent.item_rendering import item_out
from server.tablet.item_forms import parse_item_form
from server.tablet.phrases import PHRASES
from surveys.loader import load_instruments
from surveys.model import ITEM_TYPES

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "tablet" / "templates"
STAFF = load_instruments()["staff"]
EXAMPLES = {
    "vas": ({"value": "40", "vas_set": "1"}, 40),
    "numeric": ({"value": "7"}, 7),
    "likert": ({"value": "easy"}, "easy"),
    "single": ({"value": "18-29"}, "18-29"),
    "multiple": ({"value.general_adult": "1", "value.forensic": "1"}, ["general_adult", "forensic"]),
    "paired": ({"value": "time_out"}, "time_out"),
    "ranking": ({"rank.seclusion": "1", "rank.belt_short": "2", "rank.area_restriction": "3", "rank.holding_short": "4", "rank.acute_sedation": "5"},
                ["seclusion", "belt_short", "area_restriction", "holding_short", "acute_sedation"]),
    "text": ({"value": "Godt spørgeskema"}, "Godt spørgeskema"),
}


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_partial_renders_and_form_parses(item_type: str) -> None:
    item = next(i for i in STAFF.items if i.type == item_type)
    rendered = item_out(item, "da", STAFF.missing_labels)
    html = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True).get_template(f"items/{item_type}.html").render(
        item=rendered, value=None, missing=None, t=PHRASES["da"]
    )
    assert "name=" in html
    for option in rendered.options:
        assert option.label.replace("'", "&#39;") in html
    form, expected = EXAMPLES[item_type]
    parsed = parse_item_form(item_type, form)
    assert parsed is not None and parsed.value == expected
    assert parse_item_form(item_type, {}) is None, "an untouched screen is a skip, never an answer"
