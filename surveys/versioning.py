"""Content-addressed instrument versions: the same content always has the same id.

A version is the sha256 of the compiled instrument's canonical JSON. Any edit, to an item,
an option, a translation or a skip rule, gives a new hash and so a new version; the old one
stays stored and keeps the meaning of the answers given under it.
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
