"""What a well-behaved API client does with session keys, for tests that are about
something else: keep the `session_key` each start returns (or, like the tablet page's
script, the key of the session cookie a tablet start sets) and send it as
`X-Session-Key` on that session's later API calls. A request that already carries the header is left alone,
so a test can send a wrong or empty key on purpose."""

import re

import httpx

_SESSION_PATH = re.compile(r"^/api/v1/responses/([0-9a-f-]{36})(/|$)")
_START_PATHS = ("/api/v1/responses", "/api/v1/responses/")


class SessionKeys:
    """httpx event hooks that remember and present session keys."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}

    async def on_request(self, request: httpx.Request) -> None:
        match = _SESSION_PATH.match(request.url.path)
        if match and "x-session-key" not in request.headers and match[1] in self.keys:
            request.headers["X-Session-Key"] = self.keys[match[1]]

    async def on_response(self, response: httpx.Response) -> None:
        held = response.cookies.get("lm_questionnaire")
        if held:
            response_id, _, key = held.partition(".")
            self.keys[response_id] = key
        request = response.request
        if request.method == "POST" and request.url.path in _START_PATHS and response.status_code in (200, 201):
            await response.aread()
            body = response.json()
            if body.get("session_key"):
                self.keys[body["id"]] = body["session_key"]

    def hooks(self) -> dict[str, list]:
        """The hooks, as `httpx.AsyncClient(event_hooks=...)` takes them."""
        return {"request": [self.on_request], "response": [self.on_response]}
