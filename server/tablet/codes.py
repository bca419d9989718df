"""Moved to `server.credentials.codes`; kept so older imports keep working."""

from server.credentials.codes import ALPHABET, code_hash, new_code, normalise

__all__ = ["ALPHABET", "code_hash", "new_code", "normalise"]
