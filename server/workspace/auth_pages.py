"""Log in, log out, change password, and the workspace home page."""

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.response import Redirect, Template
from litestar.stores.base import Store

from server.client_identity import client_key, keyed_hash
from server.settings import https_configured
from server.workspace import audit, throttle
from server.workspace.audit import Action
from server.workspace.config import THROTTLE_STORE
from server.workspace.forms import Form, form_text
from server.workspace.i18n import LANGUAGE_COOKIE, _, as_language, ngettext, use_language
from server.workspace.i18n_requests import LANGUAGE_COOKIE_MAX_AGE_S
from server.workspace.rendering import page
from server.workspace.roles import ALL_ROLES, SESSION_STAMP_KEY, SESSION_USER_KEY, allow, current_user, password_stamp
from server.workspace.sessions import rotate_session
from server.workspace.users import UserError, authenticate, change_password, set_language

ANONYMOUS = {"roles": "anonymous"}


def _throttle_store(request: Request) -> Store:
    return request.app.stores.get(THROTTLE_STORE)


def _back_to(target: str) -> str:
    """Where the language switch returns: the workspace page it was on, never elsewhere."""
    # A path on this site only: no "//host", no backslashes browsers read as slashes.
    if target.startswith("/workspace") and "\\" not in target and target.isprintable():
        return target
    return "/workspace/"


class AuthPages(Controller):
    """Session handling for staff."""

    path = "/"
    include_in_schema = False

    @get("/login", opt=ANONYMOUS)
    async def login_form(self, request: Request) -> Template:
        """The login form."""
        return page(request, "login.html")

    @post("/login", opt=ANONYMOUS)
    async def login(self, request: Request, data: Form) -> Template | Redirect:
        """Check the password, unless this client or username must wait first (see `throttle`)."""
        username, password = form_text(data, "username").strip(), form_text(data, "password")
        store = _throttle_store(request)
        # Hashed: people do type a password into the username field now and then.
        user_key, client = keyed_hash("username", username.lower()), client_key(request)
        turn = await throttle.take_turn(store, user_key, client)
        if not turn.allowed:
            if await throttle.first_refusal(store, user_key):
                await audit.record(username[:64], Action.LOGIN_LOCKED, "workspace", failures_in_window=turn.username_failures)
            wait = turn.retry_after_s
            message = ngettext(
                "Too many failed attempts. Try again in %(seconds)s second.",
                "Too many failed attempts. Try again in %(seconds)s seconds.",
                wait,
            ) % {"seconds": wait}
            refused = page(request, "login.html", status_code=429, error=message, username=username)
            refused.headers["Retry-After"] = str(wait)
            return refused
        user = await authenticate(username, password)
        if user is None:
            await audit.record(username[:64], Action.LOGIN_FAILED, "workspace", failures_in_window=turn.username_failures)
            return page(request, "login.html", status_code=401, error=_("Wrong username or password."), username=username)
        await throttle.succeeded(store, user_key, client)
        rotate_session(request)
        request.set_session({SESSION_USER_KEY: user["id"], SESSION_STAMP_KEY: password_stamp(user)})
        await audit.record(user["username"], Action.LOGIN, "workspace")
        return Redirect("/workspace/", status_code=303)

    @post("/language", opt=ANONYMOUS)
    async def switch_language(self, request: Request, data: Form) -> Redirect:
        """Show the workspace in Danish or English from now on: kept on the account when
        signed in (so every browser follows), and in a cookie for the login page."""
        language = as_language(form_text(data, "language"))
        if language is None:
            raise ValidationException(_("language: choose da or en"))
        user = await current_user(request)
        if user is not None:
            await set_language(user["id"], language)
        use_language(language)
        response = Redirect(_back_to(form_text(data, "next")), status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE, language, path="/workspace", max_age=LANGUAGE_COOKIE_MAX_AGE_S,
            httponly=True, samesite="lax", secure=https_configured(),
        )
        return response

    @post("/logout", opt=allow(ALL_ROLES))
    async def logout(self, request: Request) -> Redirect:
        """End the session on the server and in the browser."""
        await audit.record(request.state.user["username"], Action.LOGOUT, "workspace")
        request.clear_session()
        return Redirect("/workspace/login", status_code=303)

    @get("/", opt=allow(ALL_ROLES))
    async def home(self, request: Request) -> Template:
        """Links to what this role may do."""
        return page(request, "home.html")

    @get("/password", opt=allow(ALL_ROLES))
    async def password_form(self, request: Request) -> Template:
        """The password change form."""
        return page(request, "password.html")

    @post("/password", opt=allow(ALL_ROLES))
    async def password(self, request: Request, data: Form) -> Template | Redirect:
        """Change the password; other sessions of this user stop working."""
        user = request.state.user
        if form_text(data, "new_password") != form_text(data, "repeat_password"):
            return page(request, "password.html", status_code=400, error=_("new_password: the two entries differ"))
        try:
            await change_password(user["id"], form_text(data, "current_password"), form_text(data, "new_password"))
        except UserError as exc:
            return page(request, "password.html", status_code=400, error=str(exc))
        await audit.record(user["username"], Action.PASSWORD_CHANGED, f"user:{user['username']}")
        request.clear_session()
        return Redirect("/workspace/login?changed=1", status_code=303)
