"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_LENGTH = 12



@cache
def _dummy_hash() -> str:
    # Verifying against this when the username is unknown makes a failed login take as
    # long for an unknown user as for a wrong password, so timing reveals no usernames.
    # Made on first use: hashing costs a third of a second, which every worker's start
    # would otherwise pay.
    return _HASHER.hash("leastmeans-dummy-password")


class WeakPassword(ValueError):
    """The new password does not meet the minimum rules."""


def check_strength(password: str, username: str) -> None:
    """Raise WeakPassword naming the rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"must be at least {MIN_LENGTH} characters long")
    if username and username.lower() in password.lower():
        raise WeakPassword("must not contain the username")


def hash_password(password: str) -> str:
    """An argon2id hash with its own salt and parameters."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; a missing hash still costs one verification."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)
