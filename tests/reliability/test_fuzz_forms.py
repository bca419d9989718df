"""Arbitrary form posts to the tablet pages never cause a 5xx, and every refusal says
what was wrong; a refused post leaves the stored answers as they were."""

import uuid

import httpx
from hypothesis import given
from hypothesis import strategies as st

from server.studies import ensure_study
from tests.reliability.hypothesis_bridge import FUZZ_SETTINGS, LoopBridge, run_in_thread

# Field names the tablet's forms use, so the fuzzer reaches the parsers behind them.
KNOWN_KEYS = [
    "consent", "group", "site", "setting", "language", "action", "value", "vas_set",
    "choice", "code", "value.yes", "value.no", "rank.belt_short", "rank.area_restriction",
]
KNOWN_VALUES = [
    "yes", "no", "1", "0", "-1", "100", "101", "patient", "relative", "staff", "general_adult",
    "forensic", "da", "en", "next", "back", "skip", "stop", "pause", "dont_know", "prefer_not_to_answer",
    "keep", "discard", "fuzz/ward", "9" * 5000, "1e3", " 7 ", "\x00", "٣",
]
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=20))
values = st.one_of(st.sampled_from(KNOWN_VALUES), st.text(max_size=60), st.integers().map(str))
forms = st.dictionaries(keys, values, max_size=8)
raw_bodies = st.binary(max_size=300)


def _check(reply: httpx.Response) -> None:
    """No server error; a refused form gets a page (not JSON) that says why."""
    assert reply.status_code < 500, (reply.status_code, reply.text[:500])
    if reply.status_code in (400, 409):
        assert reply.headers.get("content-type", "").startswith("text/html"), reply.text[:300]
        assert "<h1" in reply.text or 'role="alert"' in reply.text or "error" in reply.text, "a refusal must say why"


async def _open_session(client: httpx.AsyncClient) -> tuple[str, int]:
    """Start a questionnaire through the tablet's own start form; (id, item count)."""
    await ensure_study("fuzz", "Form fuzzing", [("ward", "Ward", "general_adult")])
    started = await client.post(
        "/tablet/start", data={"consent": "yes", "group": "patient", "site": "fuzz/ward", "language": "da"}
    )
    assert started.status_code == 303, started.text
    response_id = started.cookies["lm_questionnaire"].split(".")[0]
    body = (await client.get(f"/api/v1/responses/{response_id}")).json()
    return response_id, len(body["items"])


async def test_tablet_form_posts_never_fail_the_server(client: httpx.AsyncClient) -> None:
    response_id, item_count = await _open_session(client)
    targets = [
        "/tablet/start",
        "/tablet/resume",
        "/tablet/kiosk",
        "/tablet/invite",
        "/tablet/questions/stop",
        f"/tablet/{uuid.uuid4()}/0",
        f"/tablet/questions/{item_count + 3}",
    ]

    def fuzz(loop: LoopBridge) -> None:
        @FUZZ_SETTINGS
        @given(
            index=st.integers(min_value=0, max_value=item_count - 1),
            form=forms,
            target=st.sampled_from([None, *targets]),
        )
        def post(index: int, form: dict[str, str], target: str | None) -> None:
            if target == "/tablet/questions/stop" and form.get("choice") in ("keep", "discard"):
                form = {**form, "choice": "maybe"}  # keep the one open session open
            path = target or f"/tablet/questions/{index}"
            before = loop(client.get(f"/api/v1/responses/{response_id}")).json()["answers"]
            reply = loop(client.post(path, data=form))
            _check(reply)
            if reply.status_code >= 400:
                after = loop(client.get(f"/api/v1/responses/{response_id}")).json()["answers"]
                assert after == before, "a refused post changed stored answers"

        post()

    await run_in_thread(fuzz)


async def test_tablet_raw_bodies_never_fail_the_server(client: httpx.AsyncClient) -> None:
    response_id, _ = await _open_session(client)
    content_types = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain", ""]

    def fuzz(loop: LoopBridge) -> None:
        @FUZZ_SETTINGS
        @given(body=raw_bodies, content_type=st.sampled_from(content_types), index=st.sampled_from(["0", "1", "x", "-1"]))
        def post(body: bytes, content_type: str, index: str) -> None:
            headers = {"content-type": content_type} if content_type else {}
            reply = loop(client.post(f"/tablet/questions/{index}", content=body, headers=headers))
            _check(reply)

        post()

    await run_in_thread(fuzz)

