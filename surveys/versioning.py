"""Content-addressed instrument versions: the same content always has the same id."""

import hashlib

import msgspec

from surveys.model import Instrument


def canonical_bytes(instrument: Instrument) -> bytes:
    """The instrument as canonical JSON (sorted keys), the input of its hash."""
    return msgspec.json.encode(instrument, order="sorted")


def content_hash(instrument: Instrument) -> str:
    """A sha256 hex digest identifying this exact instrument content."""
    return hashlib.sha256(canonical_bytes(instrument)).hexdigest()


def decode_instrument(raw: bytes | str) -> Instrument:
    """Read back an instrument stored as canonical JSON."""
    return msgspec.json.decode(raw, type=Instrument)
