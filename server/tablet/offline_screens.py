"""Everything a device needs to run a questionnaire without the network.

The first item page a browser loads carries the session's route plan, the answers saved
so far and the rendered screen of every item the session may ask (one `<template>` per
candidate item, plus the end screen). queue.js then shows any screen and decides the next
one with the same skip rules as the server (routing.js), so an outage at any moment,
even in the first second, never strands the respondent. Screens are rendered without an
answer and without a position: the device fills in both from what it holds.
"""

from typing import Any

import msgspec
from jinja2 import Environment, Template as JinjaTemplate

from server.respondent.item_rendering import rendered_items
from server.respondent.schemas import ResponseOut, RouteOut
from surveys.model import Instrument


class OfflineScreen(msgspec.Struct, frozen=True):
    """One candidate item's screen, rendered once for the device."""

    code: str
    html: str


class OfflineBundle(msgspec.Struct, frozen=True):
    """What the page embeds: `data` is JSON for queue.js, the screens go into templates."""

    data: dict[str, Any]
    screens: list[OfflineScreen]
    end: str


def _render_block(template: JinjaTemplate, context: dict[str, Any]) -> str:
    return "".join(template.blocks["main"](template.new_context(context)))


def offline_bundle(
    environment: Environment,
    response: ResponseOut,
    route: RouteOut,
    instrument: Instrument,
    page_context: dict[str, Any],
) -> OfflineBundle:
    """The route plan, the saved answers and every candidate screen of `response`
    (answered under `instrument`, with `route` from `service.get_response_and_route`).

    `page_context` is the shared context of the page being rendered (wording, language),
    so each screen is rendered exactly as the server would render it on its own.
    """
    items = rendered_items(instrument, response.language, [(instrument.item(step.code), step.swapped) for step in route.plan])
    item_template = environment.get_template("item.html")
    total = max(len(response.items), 1)
    screens = []
    for item in items:
        # Position 1 of 2: the screen has its Back button; the device renumbers it.
        context = {**page_context, "item": item, "index": 1, "n": 2, "total": total, "answer": None, "value": None, "missing": None}
        context.update(next_url="", previous_url="", bundle=None)
        screens.append(OfflineScreen(code=item.code, html=_render_block(item_template, context)))
    end_context = {**page_context, "previous_url": "", "n": None, "bundle": None}
    end = _render_block(environment.get_template("end.html"), end_context)
    data = {
        "id": str(response.id),
        "plan": msgspec.to_builtins(route.plan),
        "answers": msgspec.to_builtins(route.answers),
        "questionOf": page_context["t"]["question_of"],
    }
    return OfflineBundle(data=data, screens=screens, end=end)

