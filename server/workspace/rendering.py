"""Rendering workspace pages with the signed-in user and their navigation."""

from typing import Any

from litestar import Request
from litestar.response import Template

from server.workspace.roles import Role, role_name


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Template:
    """Render `workspace/<name>` with the current user (set by the role guard)."""
    user = request.state.get("user") if "user" in request.state else None
    role = user["role"] if user else None
    return Template(
        template_name=f"workspace/{name}",
        status_code=status_code,
        context={"user": user, "role": role, "Role": Role, "role_name": role_name, **context},
    )
