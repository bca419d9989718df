"""Keeping the Danish catalogue in step with the strings marked in code and templates.

`python -m server.workspace.i18n_catalogue` extracts every marked string (per `babel.cfg`),
adds the new ones to `messages.po` with an empty translation, marks those no longer used as
obsolete, and lists what still lacks Danish; `--check` only lists it (exit status 1 if any).
The workspace test `test_workspace_language.py` runs the same check.
"""

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from server.workspace.i18n import catalogue_path

REPOSITORY = Path(__file__).resolve().parents[2]
MAPPING = REPOSITORY / "babel.cfg"
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]?\d*(?:\.\d+)?[sdifr%]")


def extracted() -> Catalog:
    """Every string marked for translation in the workspace's code and templates."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    template = Catalog(project="leastmeans", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(REPOSITORY), method_map, options_map, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def danish() -> Catalog:
    """The Danish catalogue as it is on disk."""
    with catalogue_path("da").open("rb") as po:
        return read_po(po, locale="da")


def _placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in _PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def _texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def problems(template: Catalog, translated: Catalog) -> list[str]:
    """Each marked string without a usable Danish translation (missing, empty or fuzzy), and
    each translation whose %-placeholders differ from the English ones."""
    found = []
    for message in template:
        if not message.id:
            continue
        entry: Message | None = translated.get(message.id, context=message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if entry is None or entry.fuzzy or not all(_texts(entry.string)) or not _texts(entry.string):
            found.append(f"untranslated: {key!r}")
            continue
        english = _placeholders(_texts(message.id)[-1])
        for text in _texts(entry.string):
            if _placeholders(text) != english:
                found.append(f"placeholders differ: {key!r} -> {text!r}")
    return found


def update() -> Catalog:
    """Merge the extracted strings into the Danish catalogue on disk and return it."""
    catalogue = danish()
    catalogue.update(extracted(), no_fuzzy_matching=True, update_creation_date=False)
    with catalogue_path("da").open("wb") as po:
        write_po(po, catalogue, width=100, include_previous=False, include_lineno=False)
    return catalogue


def main(argv: list[str]) -> int:
    """Update (default) or only `--check` the catalogue; print what lacks Danish."""
    if "--check" not in argv:
        update()
    found = problems(extracted(), danish())
    for line in found:
        print(line)
    print(f"{len(found)} problem(s) in {catalogue_path('da')}", file=sys.stderr)
    return 1 if found and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
