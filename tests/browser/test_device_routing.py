"""The device's skip logic (routing.js, as the tablet pages load it) gives every shared
case's `visible` in Chromium, and so agrees with the server's rule on each of them."""

import json
from typing import Any

import msgspec
import pytest

from surveys.routing import RouteStep, visible_codes
from tests.vectors.make_routing_cases import CASES_FILE

pytestmark = pytest.mark.browser


def test_the_device_asks_what_the_server_asks_in_every_shared_case(live_server: str, tablet: Any) -> None:
    text = CASES_FILE.read_text(encoding="utf-8")
    cases: list[dict[str, Any]] = json.loads(text)
    page = tablet
    response = page.goto(f"{live_server}/")
    assert response is not None and response.ok
    # The welcome page loads routing.js through base.html, as every respondent page does.
    page.wait_for_function("window.leastmeans && typeof window.leastmeans.visibleCodes === 'function'")
    # Sent and returned as JSON text: Playwright's per-object serialisation of the whole
    # file takes seconds, one string takes milliseconds.
    on_device = json.loads(
        page.evaluate(
            "text => JSON.stringify(JSON.parse(text).map(c => window.leastmeans.visibleCodes(c.plan, c.answers)))", text
        )
    )
    wrong_on_device = [case["name"] for case, got in zip(cases, on_device, strict=True) if got != case["visible"]]
    assert wrong_on_device == [], f"routing.js disagrees with the shared cases: {wrong_on_device[:10]}"
    on_server = [
        visible_codes(msgspec.convert(case["plan"], list[RouteStep]), {k: (v, m) for k, (v, m) in case["answers"].items()})
        for case in cases
    ]
    disagreeing = [case["name"] for case, device, server in zip(cases, on_device, on_server, strict=True) if device != server]
    assert disagreeing == [], f"the device and the server route differently: {disagreeing[:10]}"
    assert page.js_errors == []
