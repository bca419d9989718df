"""Narrowing a published gradation document to one setting and/or respondent group."""

from typing import Any

from analysis.tidy import GROUPS, SETTINGS
from server.respondent.errors import InvalidInput


def check_filters(setting: str | None, group: str | None) -> None:
    """Refuse unknown setting or group codes, naming the allowed ones."""
    if setting is not None and setting not in SETTINGS:
        raise InvalidInput("setting", f"'{setting}' is not one of {', '.join(SETTINGS)}", source="query")
    if group is not None and group not in GROUPS:
        raise InvalidInput("group", f"'{group}' is not one of {', '.join(GROUPS)}", source="query")


def filter_document(document: dict[str, Any], setting: str | None, group: str | None) -> dict[str, Any]:
    """The document with only the matching groups (and that setting's models and
    reference); the rest (schema, settings, snapshot, notes) is unchanged."""
    groups = [
        g for g in document["groups"] if (setting is None or g["setting"] == setting) and (group is None or g["group"] == group)
    ]
    out = {**document, "groups": groups}
    if setting is not None:
        out["models"] = [m for m in document.get("models", []) if m["setting"] == setting]
        reference = document.get("reference_gradation")
        if reference is not None:
            out["reference_gradation"] = {k: v for k, v in reference.items() if k == setting}
    return out
