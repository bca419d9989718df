"""Content-addressed instrument versions: the same content always has the same id.

A version is the sha256 of the compiled instrument's canonical JSON. Any edit, to an item,
an option, a translation or a skip rule, gives a new hash and so a new version; the old one
stays stored and keeps the meaning of the answers given under it.

Between versions of one questionnaire an option list may only grow at the end: the
codebook numbers a single-choice, Likert or paired answer by its option's position, so
moving or removing an option would give an existing number a new meaning.
"""

import hashlib

import msgspec

from surveys.model import Instrument


class VersionIntegrityError(RuntimeError):
    """A stored version's content no longer matches its hash: it was changed after use."""


def canonical_bytes(instrument: Instrument) -> bytes:
    """The instrument as canonical JSON (sorted keys), the input of its hash."""
    return msgspec.json.encode(instrument, order="sorted")


def content_hash(instrument: Instrument) -> str:
    """A sha256 hex digest identifying this exact instrument content."""
    return hashlib.sha256(canonical_bytes(instrument)).hexdigest()


def decode_instrument(raw: bytes | str, expected_hash: str | None = None) -> Instrument:
    """Read back an instrument stored as canonical JSON, verifying its hash if given."""
    instrument = msgspec.json.decode(raw, type=Instrument)
    if expected_hash is not None and content_hash(instrument) != expected_hash:
        raise VersionIntegrityError(
            f"instrument version {expected_hash[:12]} was modified after it was stored; "
            "versions are immutable, an edit must be registered as a new version"
        )
    return instrument


#: Item types whose answers the codebook numbers by option position. A multiple-choice
#: item becomes one 0/1 variable per option and a ranking one variable per measure, both
#: named by option code, so their order carries no number.
POSITIONAL_TYPES: tuple[str, ...] = ("likert", "single", "paired")


def option_order_changes(old: Instrument, new: Instrument) -> list[str]:
    """Every option of `old` that moved or disappeared in `new`, one message each.

    Only items present in both versions are compared (adding or removing a whole item
    changes no other item's numbers); options added after the existing ones are fine.
    Positions are 1-based, as the codebook numbers them.
    """
    changes: list[str] = []
    after = {item.code: item for item in new.items}
    for item in old.items:
        if item.type not in POSITIONAL_TYPES or item.code not in after:
            continue
        new_codes = after[item.code].option_codes()
        for position, code in enumerate(item.option_codes(), start=1):
            if code not in new_codes:
                changes.append(f"item '{item.code}': option '{code}' (number {position}) was removed")
            elif new_codes.index(code) + 1 != position:
                changes.append(f"item '{item.code}': option '{code}' moved from number {position} to {new_codes.index(code) + 1}")
    return changes
