"""Who may read the authority API: a bearer API token, or a signed-in staff member
with the authority, researcher or admin role. Everyone else gets 401."""

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from server.publication.tokens import token_is_valid

READER_ROLES = frozenset({"authority", "researcher", "admin"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="leastmeans"'}


def bearer_token(connection: ASGIConnection) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def session_role(connection: ASGIConnection) -> str | None:
    """The signed-in staff member's role, when the app runs workspace sessions."""
    if not isinstance(connection.scope.get("session"), dict):
        return None
    from server.workspace.roles import current_user

    user = await current_user(connection)
    return None if user is None else str(user["role"])


async def is_reader(connection: ASGIConnection) -> bool:
    """True for a valid token or a staff session with a reader role."""
    token = bearer_token(connection)
    if token is not None:
        return await token_is_valid(token)
    return await session_role(connection) in READER_ROLES


async def reader_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Refuse requests without a valid token or reader session (401, never 403, so the
    API does not reveal which of the two was wrong)."""
    if not await is_reader(connection):
        raise NotAuthorizedException(detail="authority API: send 'Authorization: Bearer <token>' with a valid, unrevoked token", headers=CHALLENGE)
