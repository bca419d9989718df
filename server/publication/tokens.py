"""Revocable bearer tokens for the authority's systems.

A token is shown once when issued; only its sha256 is stored, so a database copy gives
nobody access. Revoking sets `revoked_at`; the row stays for the record.
"""

import datetime as dt
import hashlib
import secrets

import msgspec

from server.storage.publication_tables import ApiToken

TOKEN_PREFIX = "lmt_"


class IssuedToken(msgspec.Struct, frozen=True):
    """A new token; `secret` is never stored and cannot be shown again."""

    id: int
    label: str
    secret: str


class TokenInfo(msgspec.Struct, frozen=True):
    """A token as listed (no secret)."""

    id: int
    label: str
    created_by: str
    created_at: dt.datetime
    revoked: bool


def token_hash(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_token(label: str, created_by: str = "") -> IssuedToken:
    """Create a token for `label` (who or what system will use it)."""
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise ValueError("label: give 1-100 characters saying who uses the token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    rows = await ApiToken.insert(ApiToken(label=label, token_hash=token_hash(secret), created_by=created_by)).returning(ApiToken.id)
    return IssuedToken(id=rows[0]["id"], label=label, secret=secret)


async def revoke_token(token_id: int) -> bool:
    """Revoke a token; False if there is no such active token."""
    row = await ApiToken.select(ApiToken.id).where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null()).first()
    if row is None:
        return False
    await ApiToken.update({ApiToken.revoked_at: dt.datetime.now(dt.timezone.utc)}).where(ApiToken.id == token_id)
    return True


async def token_is_valid(secret: str) -> bool:
    """True for an issued, unrevoked token."""
    if not secret.startswith(TOKEN_PREFIX):
        return False
    return await ApiToken.exists().where((ApiToken.token_hash == token_hash(secret)) & ApiToken.revoked_at.is_null())


async def list_tokens() -> list[TokenInfo]:
    """Every token, newest first."""
    rows = await ApiToken.select().order_by(ApiToken.id, ascending=False)
    return [
        TokenInfo(id=r["id"], label=r["label"], created_by=r["created_by"], created_at=r["created_at"], revoked=r["revoked_at"] is not None)
        for r in rows
    ]
