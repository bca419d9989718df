"""Session binding: a questionnaire session answers only to the device that holds its key.

A response id names a session; it is not a secret (it sits in API paths and in the
device's queue). What lets a device read, change, submit or withdraw a session is its
*session key*: 256 random bits made at the start, handed to the device once and stored
only as a SHA-256 hash (the key is random, so no slow hash is needed). An API client
sends it as the `X-Session-Key` header; the tablet pages keep it in an HttpOnly cookie
(`server.tablet.cookies`), and their script sends it as the header.

A start made with a `start_key` gets a key derived from it, so a retried start (the
client never saw the first answer) returns the same key, even when retries race; the
start key is already a bearer secret of that session (presenting it returns the session).
A resume with a resume code hands out a new random key and makes the old one worthless: a
resumed session must not stay open to the device it was paused on.
"""

import base64
import hashlib
import hmac
import secrets

#: The header an API client sends the session key in.
SESSION_KEY_HEADER = "X-Session-Key"


def new_session_key() -> tuple[str, str]:
    """A fresh session key and the hash that is stored in its place."""
    key = secrets.token_urlsafe(32)
    return key, session_key_hash(key)


def session_key_for_start(start_key: str) -> tuple[str, str]:
    """The session key of a start made with `start_key`, and its hash: the same for every
    retry of that start. (Distinct from the start key's own stored hash, so neither stored
    hash gives the other's preimage.)"""
    digest = hashlib.sha256(b"leastmeans session key\0" + start_key.encode("utf-8", "surrogatepass")).digest()
    key = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return key, session_key_hash(key)


def session_key_hash(key: str) -> str:
    """The stored form of a session key (hex SHA-256)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_matches(key: str | None, stored_hash: str | None) -> bool:
    """True when `key` is the key of a session stored with `stored_hash`.

    A session without a hash (started before binding existed) matches no key; it can be
    taken up again only with its resume code.
    """
    if not key or not stored_hash or len(key) > 128:
        return False
    return hmac.compare_digest(session_key_hash(key), stored_hash)
