"""Server-side sessions whose id is replaced at login (no session fixation)."""

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig

ROTATE_FLAG = "session_rotate"
_ROTATED_ID = "session_rotated_id"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Like Litestar's backend, but a handler can ask for a fresh session id.

    Without this the id from before login (which someone else could have planted in the
    browser) would carry the logged-in session.
    """

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE_FLAG):
            if _ROTATED_ID not in state:
                state[_ROTATED_ID] = self.generate_session_id()
            return state[_ROTATED_ID]
        return super().get_session_id(connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    """Server-side session config using `RotatingSessionBackend`."""

    _backend_class = RotatingSessionBackend


def rotate_session(connection: ASGIConnection) -> None:
    """Store this response's session under a new id."""
    connection.scope.setdefault("state", {})[ROTATE_FLAG] = True
