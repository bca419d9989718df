"""Short codes people type by hand: an alphabet without look-alikes, and how they are hashed.

Codes are random (never derived from anything about a person) and only their SHA-256 is
stored, so a database copy does not reveal working codes.
"""

import hashlib
import secrets

#: No 0/O, 1/I/L: codes are read off paper and typed on a touch keyboard.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int = 8) -> str:
    """A random code shown in groups of four (ABCD-EFGH)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def normalise(code: str) -> str:
    """What the person meant: case, spaces and dashes do not matter."""
    return code.upper().replace("-", "").replace(" ", "").strip()


def code_hash(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(normalise(code).encode()).hexdigest()
